/**
 * The classic PyTorch VAE example's state dict, both ways. Its model is
 *   fc1: Linear(784, H)   encoder hidden layer (ReLU)
 *   fc21: Linear(H, L)    posterior mean          fc22: Linear(H, L)   posterior log-variance
 *   fc3: Linear(L, H)     decoder hidden layer (ReLU)
 *   fc4: Linear(H, 784)   Bernoulli logits (the example applies the sigmoid in decode)
 * with weights in [out, in] layout, the same as ours, so the mapping is a renaming. Sizes
 * are read from the shapes, so any H, L and pixel count of that shape work.
 */
import { Random } from '../engine/random.js';
import type { NamedTensor } from '../io/safetensors.js';
import { type VaeConfig, archOf, classesOf } from './config.js';
import { VAE } from './model.js';

/** Our parameter name for each of the classic example's. */
export const TORCH_NAMES: Readonly<Record<string, string>> = {
  'fc1.weight': 'encoder.layers.0.weight',
  'fc1.bias': 'encoder.layers.0.bias',
  'fc21.weight': 'encoder.mu.weight',
  'fc21.bias': 'encoder.mu.bias',
  'fc22.weight': 'encoder.logvar.weight',
  'fc22.bias': 'encoder.logvar.bias',
  'fc3.weight': 'decoder.layers.0.weight',
  'fc3.bias': 'decoder.layers.0.bias',
  'fc4.weight': 'decoder.out.weight',
  'fc4.bias': 'decoder.out.bias',
};

/** Why a model cannot be written in the classic layout, or null when it can. */
export function torchExportProblem(c: VaeConfig): string | null {
  if (archOf(c) !== 'mlp') return `the classic layout is an MLP; this model is ${archOf(c)}`;
  if (c.hidden.length !== 1) return `the classic layout has one hidden layer; this model has ${c.hidden.length}`;
  if (c.likelihood !== 'bernoulli') return `the classic layout has a Bernoulli decoder; this model's is ${c.likelihood}`;
  if (classesOf(c) > 0) return 'the classic layout is not conditional';
  return null;
}

/** The model's weights under the classic names (copies, so the file is independent of the model). */
export function toTorchStateDict(model: VAE): Record<string, NamedTensor> {
  const problem = torchExportProblem(model.config);
  if (problem !== null) throw new RangeError(`cannot export to the PyTorch example's layout: ${problem}`);
  const ours = new Map(model.parameters().map(([name, t]) => [name, t]));
  const out: Record<string, NamedTensor> = {};
  for (const [torchName, name] of Object.entries(TORCH_NAMES)) {
    const t = ours.get(name)!;
    out[torchName] = { shape: [...t.shape], data: t.data.slice() };
  }
  return out;
}

function shapeOf(tensors: Record<string, NamedTensor>, name: string): number[] {
  const t = tensors[name];
  if (t === undefined) throw new RangeError(`tensor ${name} is missing`);
  return t.shape;
}

/**
 * A model built from a classic state dict. Image height and width default to the square
 * whose area is the pixel count (28 x 28 for 784); anything else needs them given.
 */
export function fromTorchStateDict(tensors: Record<string, NamedTensor>, image?: { height: number; width: number }): VAE {
  const extra = Object.keys(tensors).filter((k) => !(k in TORCH_NAMES));
  if (extra.length > 0) throw new RangeError(`unexpected tensor ${extra[0]}; the classic layout has ${Object.keys(TORCH_NAMES).join(', ')}`);
  const fc1 = shapeOf(tensors, 'fc1.weight');
  const fc21 = shapeOf(tensors, 'fc21.weight');
  if (fc1.length !== 2 || fc21.length !== 2) throw new RangeError('fc1.weight and fc21.weight must be matrices');
  const [hidden, pixels] = fc1 as [number, number];
  const latent = fc21[0]!;
  const side = Math.round(Math.sqrt(pixels));
  const { height, width } = image ?? (side * side === pixels ? { height: side, width: side } : { height: 1, width: pixels });
  const config: VaeConfig = { inputDim: pixels, imageHeight: height, imageWidth: width, hidden: [hidden], latent, likelihood: 'bernoulli' };
  const model = new VAE(config, new Random(0));
  const ours = new Map(model.parameters().map(([name, t]) => [name, t]));
  for (const [torchName, name] of Object.entries(TORCH_NAMES)) {
    const target = ours.get(name)!;
    const shape = shapeOf(tensors, torchName);
    if (shape.length !== target.shape.length || shape.some((d, i) => d !== target.shape[i])) {
      throw new RangeError(`tensor ${torchName} has shape [${shape.join(', ')}], expected [${target.shape.join(', ')}] from fc1 [${hidden}, ${pixels}] and fc21 [${latent}, ${hidden}]`);
    }
    target.data.set(tensors[torchName]!.data);
  }
  return model;
}
