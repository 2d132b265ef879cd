/**
 * The classic PyTorch VAE example's state dict, both ways. Its model is
 *   fc1: Linear(784, H)   encoder hidden layer (ReLU)
 *   fc21: Linear(H, L)    posterior mean          fc22: Linear(H, L)   posterior log-variance
 *   fc3: Linear(L, H)     decoder hidden layer (ReLU)
 *   fc4: Linear(H, 784)   Bernoulli logits (the example applies the sigmoid in decode)
 * with weights in [out, in] layout, the same as ours, so the mapping is a renaming. Sizes
 * are read from the shapes, so any H, L and pixel count of that shape work.
 */
import type { NamedTensor } from '../io/safetensors.js';
import { type VaeConfig, archOf, classesOf } from './config.js';
import type { VAE } from './model.js';
import { modelFromTensors } from './from-tensors.js';

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

/**
 * A model built from a classic state dict. Image height and width default to the square
 * whose area is the pixel count (28 x 28 for 784); anything else needs them given.
 * `take(name, shape)` returns a tensor's data after checking its shape, `shapeOf` its shape;
 * both throw when the tensor is missing, and the caller refuses tensors never taken.
 */
export function fromTorchTensors(
  shapeOf: (name: string) => readonly number[],
  take: (name: string, shape: readonly number[]) => Float32Array,
  image?: { height: number; width: number },
): VAE {
  const fc1 = shapeOf('fc1.weight');
  const fc21 = shapeOf('fc21.weight');
  if (fc1.length !== 2 || fc21.length !== 2) throw new RangeError('fc1.weight and fc21.weight must be matrices');
  const [hidden, pixels] = fc1 as [number, number];
  const latent = fc21[0]!;
  if (hidden < 1 || pixels < 1 || latent < 1) throw new RangeError(`fc1.weight [${fc1.join(', ')}] and fc21.weight [${fc21.join(', ')}] must have no empty dimension`);
  const side = Math.round(Math.sqrt(pixels));
  const { height, width } = image ?? (side * side === pixels ? { height: side, width: side } : { height: 1, width: pixels });
  const config: VaeConfig = { inputDim: pixels, imageHeight: height, imageWidth: width, hidden: [hidden], latent, likelihood: 'bernoulli' };
  const torchName = new Map(Object.entries(TORCH_NAMES).map(([t, ours]) => [ours, t]));
  return modelFromTensors(config, (name, shape) => take(torchName.get(name)!, shape));
}

/** fromTorchTensors over a plain record of tensors, refusing names outside the classic layout. */
export function fromTorchStateDict(tensors: Record<string, NamedTensor>, image?: { height: number; width: number }): VAE {
  const extra = Object.keys(tensors).filter((k) => !Object.hasOwn(TORCH_NAMES, k));
  if (extra.length > 0) throw new RangeError(`unexpected tensor ${extra[0]}; the classic layout has ${Object.keys(TORCH_NAMES).join(', ')}`);
  const get = (name: string): NamedTensor => {
    if (!Object.hasOwn(tensors, name)) throw new RangeError(`tensor ${name} is missing`);
    return tensors[name]!;
  };
  return fromTorchTensors(
    (name) => get(name).shape,
    (name, shape) => {
      const t = get(name);
      if (t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i])) {
        throw new RangeError(`tensor ${name} has shape [${t.shape.join(', ')}], expected [${shape.join(', ')}] from fc1.weight and fc21.weight`);
      }
      return t.data;
    },
    image,
  );
}
