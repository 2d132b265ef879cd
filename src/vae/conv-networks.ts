/**
 * The conv pair, for images whose sides are multiples of 4:
 *   encoder: x [N, 1, H, W] -> conv 3x3 stride 2 (32) -> ReLU -> conv 3x3 stride 2 (64) -> ReLU
 *            -> flatten [N, 64 H/4 W/4] -> hidden dense layers (ReLU) -> mu, logvar
 *   decoder: z -> mirrored dense layers (ReLU) -> dense to 64 H/4 W/4 (ReLU) -> [N, 64, H/4, W/4]
 *            -> transposed conv 3x3 stride 2 (32) -> ReLU -> transposed conv 3x3 stride 2 to one
 *            channel per pixel parameter (two for a learned-variance Gaussian)
 * Padding 1 with output padding 1 makes each stride-2 layer exactly halve or double a side.
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

interface ImageShape {
  height: number;
  width: number;
}

export class ConvEncoder implements Encoder {
  readonly conv1: Conv2d;
  readonly conv2: Conv2d;
  readonly layers: Linear[];
  readonly mu: Linear;
  readonly logvar: Linear;

  constructor(
    readonly image: ImageShape,
    hidden: readonly number[],
    latent: number,
    rng: Random,
    classes = 0,
  ) {
    const [c1, c2] = CONV_CHANNELS;
    this.conv1 = new Conv2d(1, c1, { kernel: 3, stride: 2, padding: 1 }, rng);
    this.conv2 = new Conv2d(c1, c2, { kernel: 3, stride: 2, padding: 1 }, rng);
    const flat = c2 * (image.height / 4) * (image.width / 4);
    const widths = [flat + classes, ...hidden];
    this.layers = hidden.map((h, i) => new Linear(widths[i]!, h, rng));
    const last = widths[widths.length - 1]!;
    this.mu = new Linear(last, latent, rng);
    this.logvar = new Linear(last, latent, rng);
  }

  forward(x: Tensor, y: Tensor | null = null): Posterior {
    const n = x.shape[0]!;
    const img = reshape(x, [n, 1, this.image.height, this.image.width]);
    const features = relu(this.conv2.forward(relu(this.conv1.forward(img))));
    let h = withLabel(reshape(features, [n, -1]), y);
    for (const layer of this.layers) h = layer.forward(h, 'relu');
    return { mu: this.mu.forward(h), logvar: this.logvar.forward(h) };
  }

  parameters(prefix: string): Parameters {
    return [
      ...this.conv1.parameters(`${prefix}.conv1`),
      ...this.conv2.parameters(`${prefix}.conv2`),
      ...this.layers.flatMap((l, i) => l.parameters(`${prefix}.layers.${i}`)),
      ...this.mu.parameters(`${prefix}.mu`),
      ...this.logvar.parameters(`${prefix}.logvar`),
    ];
  }
}

export class ConvDecoder implements Decoder {
  readonly layers: Linear[];
  readonly deconv1: ConvTranspose2d;
  readonly deconv2: ConvTranspose2d;

  constructor(
    readonly image: ImageShape,
    hidden: readonly number[],
    latent: number,
    rng: Random,
    options: { classes?: number; outputsPerPixel: number },
  ) {
    const [c1, c2] = CONV_CHANNELS;
    const flat = c2 * (image.height / 4) * (image.width / 4);
    const widths = [latent + (options.classes ?? 0), ...[...hidden].reverse(), flat];
    this.layers = widths.slice(1).map((w, i) => new Linear(widths[i]!, w, rng));
    this.deconv1 = new ConvTranspose2d(c2, c1, { kernel: 3, stride: 2, padding: 1, outputPadding: 1 }, rng);
    this.deconv2 = new ConvTranspose2d(c1, options.outputsPerPixel, { kernel: 3, stride: 2, padding: 1, outputPadding: 1 }, rng);
  }

  forward(z: Tensor, y: Tensor | null = null): DecoderOutput {
    const n = z.shape[0]!;
    let h = withLabel(z, y);
    for (const layer of this.layers) h = layer.forward(h, 'relu');
    const { height, width } = this.image;
    const grid = reshape(h, [n, CONV_CHANNELS[1], height / 4, width / 4]);
    const out = this.deconv2.forward(relu(this.deconv1.forward(grid)));
    const pixels = height * width;
    const flat = reshape(out, [n, -1]);
    if (this.deconv2.outChannels === 1) return { mean: flat, rawLogvar: null };
    // Channel 0 holds the means, channel 1 the log-variances: [N, 2, H, W] -> two [N, H W].
    return { mean: slice(flat, 0, pixels), rawLogvar: slice(flat, pixels, 2 * pixels) };
  }

  parameters(prefix: string): Parameters {
    return [
      ...this.layers.flatMap((l, i) => l.parameters(`${prefix}.layers.${i}`)),
      ...this.deconv1.parameters(`${prefix}.deconv1`),
      ...this.deconv2.parameters(`${prefix}.deconv2`),
    ];
  }
}
