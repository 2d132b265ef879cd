/**
 * Our models as PyTorch state dicts, both ways. Two layouts:
 *
 * classic: the classic PyTorch VAE example's five layers, for the MLPs of its shape (one
 *   hidden layer, Bernoulli decoder, not conditional), so the example's own class loads them:
 *     fc1: Linear(D, H)   encoder hidden layer (ReLU)
 *     fc21: Linear(H, L)  posterior mean          fc22: Linear(H, L)   posterior log-variance
 *     fc3: Linear(L, H)   decoder hidden layer (ReLU)
 *     fc4: Linear(H, D)   Bernoulli logits
 *
 * modules: every other model, under the names of python/vae_torch.py's VAE module, whose
 *   state_dict they are exactly:
 *     encoder.convs.{i}.weight|bias      Conv2d 3x3 stride 2, conv models only (ReLU after each)
 *     encoder.layers.{i}.weight|bias     Linear (ReLU), on the flattened features (+ one-hot label)
 *     encoder.mu / encoder.logvar        Linear heads of q(z|x)
 *     decoder.layers.{i}.weight|bias     Linear (ReLU), on z (+ one-hot label); a conv decoder's
 *                                        last one maps to the first transposed conv's input grid
 *     decoder.deconvs.{i}.weight|bias    ConvTranspose2d 3x3 stride 2, conv models only (ReLU
 *                                        between, none after the last)
 *     decoder.out / decoder.logvar       an MLP decoder's per-pixel parameter heads
 *
 * Weights are in PyTorch's layouts ([out, in] for Linear, [out, in, k, k] for Conv2d,
 * [in, out, k, k] for ConvTranspose2d), the same as ours, so both layouts are renamings.
 * The file's metadata carries what the Python side needs to build the module: the model
 * config as JSON, the class names when the run knows them, and how the run served its pixels.
 */
import type { NamedTensor } from '../io/safetensors.js';
import { type VaeConfig, archOf, classesOf, validateVaeConfig } from './config.js';
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

export type TorchLayout = 'classic' | 'modules';

/** Metadata keys of an export, beside safetensors' own `format`. */
export const TORCH_META = {
  layout: 'vae_toolkit.layout',
  model: 'vae_toolkit.model',
  classNames: 'vae_toolkit.class_names',
  binarize: 'vae_toolkit.binarize',
  /** How a prepared dataset (an image folder, emoji) was made: JSON {"fit", "seed", "testFraction"}, so its reader makes it again. */
  data: 'vae_toolkit.data',
} as const;

/** The layout a model is written in: the classic example's when it has that shape. */
export function torchLayoutOf(c: VaeConfig): TorchLayout {
  const classic = archOf(c) === 'mlp' && c.hidden.length === 1 && c.likelihood === 'bernoulli' && classesOf(c) === 0;
  return classic ? 'classic' : 'modules';
}

/** The module-layout name of one of our parameters: numbered conv stages become ModuleList entries. */
export function moduleName(ours: string): string {
  return ours.replace(/^(encoder|decoder)\.(conv|deconv)(\d+)\./, (_m, net: string, kind: string, n: string) => `${net}.${kind}s.${Number(n) - 1}.`);
}

/** Our name -> the file's name, for every parameter of a model with this config. */
function namesFor(model: VAE, layout: TorchLayout): Map<string, string> {
  const classic = new Map(Object.entries(TORCH_NAMES).map(([t, ours]) => [ours, t]));
  return new Map(model.parameters().map(([name]) => [name, layout === 'classic' ? classic.get(name)! : moduleName(name)]));
}

export interface TorchExport {
  tensors: Record<string, NamedTensor>;
  /** Metadata fields (strings, as safetensors requires). */
  fields: Record<string, string>;
  layout: TorchLayout;
}

/** The model's weights under the file's names (copies, so the file is independent of the model), and its metadata. */
export function toTorchExport(model: VAE, extra: { classNames?: readonly string[]; binarize?: string } = {}): TorchExport {
  const layout = torchLayoutOf(model.config);
  const names = namesFor(model, layout);
  const tensors: Record<string, NamedTensor> = {};
  for (const [name, t] of model.parameters()) tensors[names.get(name)!] = { shape: [...t.shape], data: t.data.slice() };
  const fields: Record<string, string> = { [TORCH_META.layout]: layout, [TORCH_META.model]: JSON.stringify(model.config) };
  if (extra.classNames !== undefined && extra.classNames.length > 0) fields[TORCH_META.classNames] = JSON.stringify(extra.classNames);
  if (extra.binarize !== undefined) fields[TORCH_META.binarize] = extra.binarize;
  return { tensors, fields, layout };
}

/** The model's weights under the file's names, without metadata. */
export function toTorchStateDict(model: VAE): Record<string, NamedTensor> {
  return toTorchExport(model).tensors;
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

function checkedGetter(tensors: Record<string, NamedTensor>, needs: string) {
  const get = (name: string): NamedTensor => {
    if (!Object.hasOwn(tensors, name)) throw new RangeError(`tensor ${name} is missing`);
    return tensors[name]!;
  };
  return {
    shapeOf: (name: string) => get(name).shape,
    take: (name: string, shape: readonly number[]) => {
      const t = get(name);
      if (t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i])) {
        throw new RangeError(`tensor ${name} has shape [${t.shape.join(', ')}], expected [${shape.join(', ')}] from ${needs}`);
      }
      return t.data;
    },
  };
}

/** fromTorchTensors over a plain record of tensors, refusing names outside the classic layout. */
export function fromTorchStateDict(tensors: Record<string, NamedTensor>, image?: { height: number; width: number }): VAE {
  const extra = Object.keys(tensors).filter((k) => !Object.hasOwn(TORCH_NAMES, k));
  if (extra.length > 0) throw new RangeError(`unexpected tensor ${extra[0]}; the classic layout has ${Object.keys(TORCH_NAMES).join(', ')}`);
  const { shapeOf, take } = checkedGetter(tensors, 'fc1.weight and fc21.weight');
  return fromTorchTensors(shapeOf, take, image);
}

export interface TorchImport {
  model: VAE;
  layout: TorchLayout;
  /** Class names the file carries; undefined when it carries none. */
  classNames?: string[];
  /** How the exporting run served its pixels, when the file says. */
  binarize?: string;
}

/**
 * A model from an export's tensors and metadata. With a model config in the metadata (every
 * file `vae export` or python/train_ddp.py writes) that config is built and every tensor must
 * be there under its layout's name; without one the file must be the classic example's, sized
 * from its shapes. Throws RangeError saying what does not fit.
 */
export function fromTorchExport(tensors: Record<string, NamedTensor>, metadata: Record<string, string>, image?: { height: number; width: number }): TorchImport {
  const meta = (key: string): string | undefined => (Object.hasOwn(metadata, key) ? metadata[key] : undefined);
  const classNames = parseClassNames(meta(TORCH_META.classNames));
  const binarize = meta(TORCH_META.binarize);
  const extras = { ...(classNames !== undefined ? { classNames } : {}), ...(binarize !== undefined ? { binarize } : {}) };
  const modelText = meta(TORCH_META.model);
  if (modelText === undefined) return { model: fromTorchStateDict(tensors, image), layout: 'classic', ...extras };
  let config: VaeConfig;
  try {
    config = JSON.parse(modelText) as VaeConfig;
    if (typeof config !== 'object' || config === null || Array.isArray(config)) throw new RangeError('not an object');
    validateVaeConfig(config);
  } catch (err) {
    throw new RangeError(`its model config (metadata ${TORCH_META.model}) is invalid: ${(err as Error).message}`);
  }
  const layout = torchLayoutOf(config);
  const declared = meta(TORCH_META.layout);
  if (declared !== undefined && declared !== layout) throw new RangeError(`metadata ${TORCH_META.layout} says ${declared}, but this model config is written in the ${layout} layout`);
  const { take } = checkedGetter(tensors, 'the model config');
  const taken = new Set<string>();
  const classic = new Map(Object.entries(TORCH_NAMES).map(([t, ours]) => [ours, t]));
  const model = modelFromTensors(config, (name, shape) => {
    const fileName = layout === 'classic' ? classic.get(name)! : moduleName(name);
    taken.add(fileName);
    return take(fileName, shape);
  });
  const extra = Object.keys(tensors).filter((k) => !taken.has(k));
  if (extra.length > 0) throw new RangeError(`unexpected tensor ${extra[0]} for this model config`);
  const classes = classesOf(config);
  if (classNames !== undefined && classes > 0 && classNames.length !== classes) {
    throw new RangeError(`metadata ${TORCH_META.classNames} names ${classNames.length} classes, the conditional model has ${classes}`);
  }
  return { model, layout, ...extras };
}

/** As many classes as 8-bit labels can tell apart, the most a run's config keeps. */
const MAX_CLASS_NAMES = 256;

function parseClassNames(text: string | undefined): string[] | undefined {
  if (text === undefined) return undefined;
  let names: unknown;
  try {
    names = JSON.parse(text);
  } catch {
    throw new RangeError(`metadata ${TORCH_META.classNames} is not valid JSON`);
  }
  if (!Array.isArray(names) || !names.every((n) => typeof n === 'string') || names.length > MAX_CLASS_NAMES) {
    throw new RangeError(`metadata ${TORCH_META.classNames} must be a list of at most ${MAX_CLASS_NAMES} strings`);
  }
  return names as string[];
}
