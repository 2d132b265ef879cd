/**
 * The conv pair, for images whose sides are multiples of 2^S, S = the number of stages
 * (convChannels, default [32, 64]: S = 2):
 *   encoder: x [N, C, H, W] -> S times: conv 3x3 stride 2 (the stage's channels) -> ReLU
 *            -> flatten [N, c_S H/2^S W/2^S] -> hidden dense layers (ReLU) -> mu, logvar
 *   decoder: z -> mirrored dense layers (ReLU) -> dense to c_S H/2^S W/2^S (ReLU)
 *            -> [N, c_S, H/2^S, W/2^S] -> transposed convs 3x3 stride 2 back through
 *            c_{S-1} ... c_1 (ReLU after each) -> a last transposed conv 3x3 stride 2 to
 *            C x P planes, P parameters per value (two for a learned-variance Gaussian and the
 *            logistic): the first C planes the means (or logits) of the C channels, the next C
 *            the second parameter, so each comes out CHW as the data are.
 * Padding 1 with output padding 1 makes each stride-2 layer exactly halve or double a side.
 * The layers are named conv1..convS and deconv1..deconvS and drawn in that order, so models
 * saved before the stages could be chosen load, and build, as they always did.
 */
import type { Tensor } from '../engine/tensor.js';
import { relu } from '../engine/ops/elementwise.js';
import { reshape, slice } from '../engine/ops/shape.js';
import type { Random } from '../engine/random.js';
import { Conv2d, ConvTranspose2d } from '../nn/conv.js';
import { Linear } from '../nn/linear.js';
import type { Parameters } from '../nn/parameters.js';
import { CONV_CHANNELS } from './config.js';
import { withLabel, type Decoder, type DecoderOutput, type Encoder, type Posterior } from './networks.js';

export interface ConvImageShape {
  /** Channels of the data: 1 grey, 3 RGB. */
  channels: number;
  height: number;
  width: number;
}

/** The side lengths after `stages` stride-2 stages. */
function grid(image: ConvImageShape, stages: number): { height: number; width: number } {
  const m = 2 ** stages;
  return { height: image.height / m, width: image.width / m };
}

export class ConvEncoder implements Encoder {
  readonly convs: Conv2d[];
  readonly layers: Linear[];
  readonly mu: Linear;
  readonly logvar: Linear;

  constructor(
    readonly image: ConvImageShape,
    hidden: readonly number[],
    latent: number,
    rng: Random,
    classes = 0,
    stages: readonly number[] = CONV_CHANNELS,
  ) {
    const planes = [image.channels, ...stages];
    this.convs = stages.map((to, i) => new Conv2d(planes[i]!, to, { kernel: 3, stride: 2, padding: 1 }, rng));
    const g = grid(image, stages.length);
    const flat = stages[stages.length - 1]! * g.height * g.width;
    const widths = [flat + classes, ...hidden];
    this.layers = hidden.map((h, i) => new Linear(widths[i]!, h, rng));
    const last = widths[widths.length - 1]!;
    this.mu = new Linear(last, latent, rng);
    this.logvar = new Linear(last, latent, rng);
  }

  forward(x: Tensor, y: Tensor | null = null): Posterior {
    const n = x.shape[0]!;
    let features = reshape(x, [n, this.image.channels, this.image.height, this.image.width]);
    for (const conv of this.convs) features = relu(conv.forward(features));
    let h = withLabel(reshape(features, [n, -1]), y);
    for (const layer of this.layers) h = layer.forward(h, 'relu');
    return { mu: this.mu.forward(h), logvar: this.logvar.forward(h) };
  }

  parameters(prefix: string): Parameters {
    return [
      ...this.convs.flatMap((c, i) => c.parameters(`${prefix}.conv${i + 1}`)),
      ...this.layers.flatMap((l, i) => l.parameters(`${prefix}.layers.${i}`)),
      ...this.mu.parameters(`${prefix}.mu`),
      ...this.logvar.parameters(`${prefix}.logvar`),
    ];
  }
}

export class ConvDecoder implements Decoder {
  readonly layers: Linear[];
  readonly deconvs: ConvTranspose2d[];
  private readonly stages: readonly number[];
  private readonly outputsPerPixel: number;

  constructor(
    readonly image: ConvImageShape,
    hidden: readonly number[],
    latent: number,
    rng: Random,
    options: { classes?: number; outputsPerPixel: number; stages?: readonly number[] },
  ) {
    this.stages = options.stages ?? CONV_CHANNELS;
    this.outputsPerPixel = options.outputsPerPixel;
    const g = grid(image, this.stages.length);
    const deepest = this.stages[this.stages.length - 1]!;
    const flat = deepest * g.height * g.width;
    const widths = [latent + (options.classes ?? 0), ...[...hidden].reverse(), flat];
    this.layers = widths.slice(1).map((w, i) => new Linear(widths[i]!, w, rng));
    const planes = [...this.stages].reverse();
    planes.push(image.channels * options.outputsPerPixel);
    this.deconvs = planes.slice(1).map((to, i) => new ConvTranspose2d(planes[i]!, to, { kernel: 3, stride: 2, padding: 1, outputPadding: 1 }, rng));
  }

  forward(z: Tensor, y: Tensor | null = null): DecoderOutput {
    const n = z.shape[0]!;
    let h = withLabel(z, y);
    for (const layer of this.layers) h = layer.forward(h, 'relu');
    const g = grid(this.image, this.stages.length);
    let out = reshape(h, [n, this.stages[this.stages.length - 1]!, g.height, g.width]);
    const last = this.deconvs.length - 1;
    this.deconvs.forEach((deconv, i) => {
      out = deconv.forward(out);
      if (i < last) out = relu(out);
    });
    const flat = reshape(out, [n, -1]);
    if (this.outputsPerPixel === 1) return { mean: flat, rawLogvar: null };
    // [N, 2C, H, W]: the first C planes are the means, the next C the second parameter.
    const values = this.image.channels * this.image.height * this.image.width;
    return { mean: slice(flat, 0, values), rawLogvar: slice(flat, values, 2 * values) };
  }

  parameters(prefix: string): Parameters {
    return [
      ...this.layers.flatMap((l, i) => l.parameters(`${prefix}.layers.${i}`)),
      ...this.deconvs.flatMap((d, i) => d.parameters(`${prefix}.deconv${i + 1}`)),
    ];
  }
}
