import { extname } from 'node:path';
import { parseFlags } from './args.js';
import type { Command } from './command.js';
import { checkpointFlag } from './shared-flags.js';
import { UserError } from '../errors.js';
import { ensureParentDir, writeFileAtomic } from '../io/atomic.js';
import { encodeContainer } from '../io/container.js';
import { loadCheckpoint } from '../train/checkpoint.js';
import { toTorchStateDict, torchExportProblem } from '../vae/torch-interop.js';

const flags = {
  checkpoint: checkpointFlag,
  format: { kind: 'enum', choices: ['torch-safetensors'], default: 'torch-safetensors', help: "torch-safetensors: the classic PyTorch VAE example's state dict (fc1, fc21, fc22, fc3, fc4)" },
  out: { kind: 'string', required: true, help: 'File to write', valueName: 'FILE.safetensors' },
} as const;

export const exportCommand: Command = {
  name: 'export',
  summary:
    "Write a trained MLP VAE's weights as a safetensors file in the classic PyTorch example's names and layouts, " +
    'ready for load_state_dict in Python.',
  flags,
  async run(argv) {
    const opts = parseFlags('vae export', argv, flags);
    if (extname(opts.out).toLowerCase() !== '.safetensors') throw new UserError(`vae export: --out must name a .safetensors file, got ${opts.out}`);
    const { model } = loadCheckpoint(opts.checkpoint);
    const problem = torchExportProblem(model.config);
    if (problem !== null) throw new UserError(`vae export: ${problem}`);
    // 'pt' is what PyTorch's own safetensors writer puts in the format field.
    const bytes = encodeContainer({ noun: 'state dict', format: 'pt' }, toTorchStateDict(model), {});
    ensureParentDir(opts.out);
    writeFileAtomic(opts.out, bytes);
    const { inputDim, hidden, latent } = model.config;
    process.stdout.write(`wrote the ${[inputDim, ...hidden, latent].join('-')} VAE as fc1, fc21, fc22, fc3, fc4 to ${opts.out}\n`);
    return 0;
  },
};
