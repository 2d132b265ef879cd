/**
 * The variational autoencoder: encode, reparameterize, decode, and the loss, the negative
 * evidence lower bound
 *   -ELBO(x) = E_q(z|x)[-log p(x|z)] + KL(q(z|x) || N(0, I))
 * estimated with one sample of z per example, in nats per example. The same class is the
 * conditional VAE when its config has classes: then every call takes the labels y, and
 * q(z|x, y), p(x|z, y) see the one-hot label.
 */
import { Tensor, noGrad } from '../engine/tensor.js';
import { reparameterize as reparameterizeOp, gaussianKl } from '../engine/ops/fused.js';
import { add, mul, square, sub } from '../engine/ops/elementwise.js';
import { mean, sum } from '../engine/ops/reduce.js';
import { reshape } from '../engine/ops/shape.js';
import { logSumExp } from '../engine/ops/logsumexp.js';
import { repeatRows } from '../engine/ops/repeat.js';
import { Random } from '../engine/random.js';
import type { Parameters } from '../nn/parameters.js';
import {
  type VaeConfig,
  archOf,
  channelsOf,
  classesOf,
  convChannelsOf,
  decoderOutputsPerPixel,
  gaussianMeanOf,
  validateVaeConfig,
} from './config.js';
import { MlpDecoder, MlpEncoder, type Decoder, type Encoder, type Posterior } from './networks.js';
import { ConvDecoder, ConvEncoder } from './conv-networks.js';
import {
  bernoulliMean,
  bernoulliNegLogLikelihood,
  fixedLogvar,
  flooredLogScale,
  flooredLogvar,
  gaussianMeanFrom,
  gaussianNegLogLikelihood,
  logisticNegLogLikelihood,
} from './likelihood.js';
import { sigmoid } from '../engine/ops/elementwise.js';

export type { Posterior, DecoderOutput } from './networks.js';

/**
 * p(x|z) as tensors, [N, inputDim] each: Bernoulli logits (logvar null); a Gaussian's mean and
 * log-variance; or a discretized logistic's mean and log-scale (logvar null, logScale set).
 */
export interface DecodedDistribution {
  mean: Tensor;
  logvar: Tensor | null;
  logScale?: Tensor;
}

/** Class labels of a batch, one per example, for a conditional VAE. */
export type Labels = ArrayLike<number>;

/** The pieces of one loss evaluation, per example and averaged. */
export interface LossTerms {
  /** What training minimizes: the batch mean of the objective (negative ELBO, weighted or importance-weighted). */
  loss: Tensor;
  /** -log p(x|z) per example (nats). */
  recon: Float32Array;
  /** KL(q(z|x) || p(z)) per example (nats). */
  kl: Float32Array;
}

export interface ElboOptions {
  /** The labels of a conditional VAE's batch. */
  labels?: Labels;
  /** Weight of the KL term (beta-VAE); 1 is the ELBO. */
  klWeight?: number;
}

export class VAE {
  readonly config: VaeConfig;
  readonly encoder: Encoder;
  readonly decoder: Decoder;

  /** Builds a freshly initialized model; `rng` draws the initial weights. */
  constructor(config: VaeConfig, rng: Random) {
    validateVaeConfig(config);
    this.config = { ...config, hidden: [...config.hidden], ...(config.convChannels !== undefined ? { convChannels: [...config.convChannels] } : {}) };
    const classes = classesOf(config);
    const logvarHead = decoderOutputsPerPixel(config) === 2;
    if (archOf(config) === 'conv') {
      const image = { channels: channelsOf(config), height: config.imageHeight, width: config.imageWidth };
      const stages = convChannelsOf(config);
      this.encoder = new ConvEncoder(image, config.hidden, config.latent, rng, classes, stages);
      this.decoder = new ConvDecoder(image, config.hidden, config.latent, rng, { classes, outputsPerPixel: logvarHead ? 2 : 1, stages });
    } else {
      this.encoder = new MlpEncoder(config.inputDim, config.hidden, config.latent, rng, classes);
      this.decoder = new MlpDecoder(config.latent, config.hidden, config.inputDim, rng, { classes, logvarHead });
    }
  }

  /** Number of label classes of a conditional VAE; 0 for an ordinary one. */
  get classes(): number {
    return classesOf(this.config);
  }

  parameters(): Parameters {
    return [...this.encoder.parameters('encoder'), ...this.decoder.parameters('decoder')];
  }

  /**
   * The one-hot labels for a conditional model, null for an ordinary one. A conditional
   * model without labels, or a label out of range, is a mistake of the caller.
   */
  oneHot(labels: Labels | undefined, count: number): Tensor | null {
    const classes = this.classes;
    if (classes === 0) return null;
    if (labels === undefined) throw new RangeError(`this is a conditional VAE over ${classes} classes; it needs the labels`);
    if (labels.length !== count) throw new RangeError(`${labels.length} labels for ${count} examples`);
    const y = new Float32Array(count * classes);
    for (let i = 0; i < count; i++) {
      const c = labels[i]!;
      if (!Number.isInteger(c) || c < 0 || c >= classes) throw new RangeError(`label ${c} is not a class of this model (0 to ${classes - 1})`);
      y[i * classes + c] = 1;
    }
    return new Tensor(y, [count, classes]);
  }

  /** q(z|x) for a batch x of shape [N, inputDim]. */
  encode(x: Tensor, labels?: Labels): Posterior {
    return this.encoder.forward(x, this.oneHot(labels, x.shape[0]!));
  }

  /** z = mu + sigma * eps, eps ~ N(0, I) drawn from `rng`. */
  reparameterize(posterior: Posterior, rng: Random): Tensor {
    const eps = new Tensor(rng.fillNormal(new Float32Array(posterior.mu.size)), posterior.mu.shape);
    return reparameterizeOp(posterior.mu, posterior.logvar, eps);
  }

  /** The decoder's first parameter per value for z [N, latent]: Bernoulli logits, or Gaussian or logistic means. */
  decode(z: Tensor, labels?: Labels): Tensor {
    return this.decodeDistribution(z, labels).mean;
  }

  /**
   * p(x|z): Bernoulli logits, or a Gaussian's mean (through the config's GaussianMean) with
   * the log-variance floored (gaussian) or fixed (gaussian-fixed), or a discretized
   * logistic's sigmoid mean and floored log-scale.
   */
  decodeDistribution(z: Tensor, labels?: Labels): DecodedDistribution {
    const out = this.decoder.forward(z, this.oneHot(labels, z.shape[0]!));
    if (this.config.likelihood === 'bernoulli') return { mean: out.mean, logvar: null };
    if (this.config.likelihood === 'logistic') return { mean: sigmoid(out.mean), logvar: null, logScale: flooredLogScale(out.rawLogvar!) };
    const mean = gaussianMeanFrom(out.mean, gaussianMeanOf(this.config));
    if (this.config.likelihood === 'gaussian') return { mean, logvar: flooredLogvar(out.rawLogvar!) };
    return { mean, logvar: fixedLogvar(mean, this.config.sigma!) };
  }

  /** -log p(x|z) per example, summed over values, in nats. */
  negLogLikelihood(decoded: DecodedDistribution, x: Tensor): Tensor {
    if (decoded.logScale !== undefined) return logisticNegLogLikelihood(decoded.mean, decoded.logScale, x);
    if (decoded.logvar === null) return bernoulliNegLogLikelihood(decoded.mean, x);
    return gaussianNegLogLikelihood(decoded.mean, decoded.logvar, x);
  }

  /** The negative ELBO of a batch, with one posterior sample per example; `klWeight` makes it a beta-VAE's loss. */
  loss(x: Tensor, rng: Random, options: ElboOptions = {}): LossTerms {
    const posterior = this.encode(x, options.labels);
    const z = this.reparameterize(posterior, rng);
    const recon = this.negLogLikelihood(this.decodeDistribution(z, options.labels), x);
    const kl = gaussianKl(posterior.mu, posterior.logvar);
    const weight = options.klWeight ?? 1;
    // Weight 1 adds the KL as it is, so the plain ELBO's arithmetic is the same as without beta.
    const perExample = weight === 1 ? add(recon, kl) : add(recon, mul(kl, weight));
    return { loss: mean(perExample), recon: recon.data, kl: kl.data };
  }

  /**
   * Log importance weights log w_k = log p(x, z_k) - log q(z_k | x) for k = 1..K samples
   * z_k ~ q(z|x) per example: a tensor [N, K], differentiable in the parameters. With
   * z = mu + sigma eps,
   *   log q(z|x) = -sum_j (eps_j^2 / 2 + logvar_j / 2 + log(2 pi) / 2)
   *   log p(z)   = -sum_j (z_j^2 / 2 + log(2 pi) / 2)
   * so the log(2 pi) terms cancel. Also returns each example's mean -log p(x|z_k) and its
   * closed-form KL, for reporting.
   */
  logImportanceWeights(x: Tensor, k: number, rng: Random, labels?: Labels): { logw: Tensor; recon: Float32Array; kl: Float32Array } {
    const n = x.shape[0]!;
    const posterior = this.encode(x, labels);
    const mu = repeatRows(posterior.mu, k);
    const logvar = repeatRows(posterior.logvar, k);
    const epsData = rng.fillNormal(new Float32Array(mu.size));
    const z = reparameterizeOp(mu, logvar, new Tensor(epsData, mu.shape));
    const repeatedLabels = labels === undefined ? undefined : repeatLabels(labels, n, k);
    const xs = noGrad(() => repeatRows(x, k));
    const nll = this.negLogLikelihood(this.decodeDistribution(z, repeatedLabels), xs);
    const latent = this.config.latent;
    const halfEps = new Float32Array(n * k);
    for (let r = 0; r < n * k; r++) {
      let s = 0;
      for (let j = r * latent; j < (r + 1) * latent; j++) s += epsData[j]! * epsData[j]!;
      halfEps[r] = 0.5 * s;
    }
    // log w = -nll - |z|^2 / 2 + |eps|^2 / 2 + sum(logvar) / 2
    const logPz = mul(sum(square(z), 1), -0.5);
    const negLogQ = add(mul(sum(logvar, 1), 0.5), new Tensor(halfEps, [n * k]));
    const logw = reshape(add(sub(logPz, nll), negLogQ), [n, k]);
    const recon = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      let s = 0;
      for (let j = 0; j < k; j++) s += nll.data[i * k + j]!;
      recon[i] = s / k;
    }
    const kl = noGrad(() => gaussianKl(posterior.mu, posterior.logvar)).data;
    return { logw, recon, kl };
  }

  /**
   * The importance-weighted bound of Burda et al. (2015) as a loss:
   *   -L_K(x) = -log (1/K) sum_k w_k,   w_k = p(x, z_k) / q(z_k | x),
   * in log-mean-exp form for stability, averaged over the batch. K = 1 is the ELBO; L_K rises
   * towards log p(x) as K grows. recon and kl are the K-sample ELBO's terms, for reporting.
   */
  iwLoss(x: Tensor, k: number, rng: Random, labels?: Labels): LossTerms {
    const { logw, recon, kl } = this.logImportanceWeights(x, k, rng, labels);
    const bound = sub(logSumExp(logw), Math.log(k));
    return { loss: mul(mean(bound), -1), recon, kl };
  }

  /** Decoded mean images E[x|z] for z of shape [N, latent], as a flat array. */
  decodeMean(z: Tensor, labels?: Labels): Float32Array {
    return noGrad(() => {
      const mean = this.decode(z, labels);
      return this.config.likelihood === 'bernoulli' ? bernoulliMean(mean) : mean.data.slice();
    });
  }

  /** `count` new images: z ~ N(0, I), decoded to their means; a conditional model needs their labels. */
  sample(count: number, rng: Random, labels?: Labels): Float32Array {
    const z = new Tensor(rng.fillNormal(new Float32Array(count * this.config.latent)), [count, this.config.latent]);
    return this.decodeMean(z, labels);
  }

  /** Reconstructions through the posterior means (no sampling): what the model "saw". */
  reconstruct(x: Tensor, labels?: Labels): Float32Array {
    return noGrad(() => this.decodeMean(this.encode(x, labels).mu, labels));
  }
}

function repeatLabels(labels: Labels, n: number, k: number): Uint16Array {
  const out = new Uint16Array(n * k);
  for (let i = 0; i < n; i++) out.fill(labels[i]!, i * k, (i + 1) * k);
  return out;
}
