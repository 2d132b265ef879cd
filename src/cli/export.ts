import { extname } from 'node:path';
import { parseFlags } from './args.js';
import type { Command } from './command.js';
import { checkpointFlag } from './shared-flags.js';
import { UserError } from '../errors.js';
import { ensureParentDir, writeFileAtomic } from '../io/atomic.js';
import { encodeContainer } from '../io/container.js';
import { loadCheckpoint } from '../train/checkpoint.js';
import { dataDescriptionOf } from '../train/config.js';
import { TORCH_META, toTorchExport } from '../vae/torch-interop.js';
import { isPreparedDataset } from '../data/source.js';
import { DEFAULT_TEST_FRACTION } from '../data/folder.js';
import { archOf } from '../vae/config.js';

const flags = {
  checkpoint: checkpointFlag,
  format: {
    kind: 'enum',
    choices: ['torch-safetensors'],
    default: 'torch-safetensors',
    help:
      "torch-safetensors: a PyTorch state dict; an MLP of the classic example's shape in its names (fc1, fc21, fc22, fc3, fc4), " +
      "every other model in python/vae_torch.py's; the model config and class names in the metadata",
  },
  out: { kind: 'string', required: true, help: 'File to write', valueName: 'FILE.safetensors' },
} as const;

export const exportCommand: Command = {
  name: 'export',
  summary:
    "Write a trained VAE's weights as a safetensors PyTorch state dict (python/vae_torch.py builds the module from its metadata; " +
    "the classic example's MLP loads into that example's class), ready for load_state_dict in Python.",
  flags,
  async run(argv) {
    const opts = parseFlags('vae export', argv, flags);
    if (extname(opts.out).toLowerCase() !== '.safetensors') throw new UserError(`vae export: --out must name a .safetensors file, got ${opts.out}`);
    const { model, config } = loadCheckpoint(opts.checkpoint);
    const { classNames } = dataDescriptionOf(config);
    const { tensors, fields, layout } = toTorchExport(model, { binarize: config.training.binarize, ...(classNames.length > 0 ? { classNames } : {}) });
    const t = config.training;
    if (isPreparedDataset(t.dataset)) {
      // How the images were fitted and split: python/train_ddp.py and vae import read the same ones again.
      const data = { fit: t.fit ?? 'stretch', seed: t.seed, testFraction: t.testFraction ?? DEFAULT_TEST_FRACTION };
      fields[TORCH_META.data] = JSON.stringify(data);
    }
    // 'pt' is what PyTorch's own safetensors writer puts in the format field.
    const bytes = encodeContainer({ noun: 'state dict', format: 'pt' }, tensors, fields);
    ensureParentDir(opts.out);
    writeFileAtomic(opts.out, bytes);
    const { inputDim, hidden, latent } = model.config;
    const shape = `${archOf(model.config) === 'conv' ? 'conv ' : ''}${[inputDim, ...hidden, latent].join('-')}`;
    const where = layout === 'classic' ? "in the classic example's names fc1, fc21, fc22, fc3, fc4" : "in python/vae_torch.py's names";
    process.stdout.write(`wrote the ${shape} VAE ${where}${classNames.length > 0 ? `, with its ${classNames.length} class names,` : ''} to ${opts.out}\n`);
    return 0;
  },
};

