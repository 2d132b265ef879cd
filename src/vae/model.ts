/**
 * The variational autoencoder: encode, reparameterize, decode, and the loss, the negative
 * evidence lower bound
 *   -ELBO(x) = E_q(z|x)[-log p(x|z)] + KL(q(z|x) || N(0, I))
 * estimated with one sample of z per example, in nats per example.
 */
import { Tensor, noGrad } from '../engine/tensor.js';
import { reparameterize as reparameterizeOp, gaussianKl } from '../engine/ops/fused.js';
import { add } from '../engine/ops/elementwise.js';
import { mean } from '../engine/ops/reduce.js';
import { Random } from '../engine/random.js';
import type { Parameters } from '../nn/parameters.js';
import { type VaeConfig, validateVaeConfig } from './config.js';
import { MlpDecoder, MlpEncoder } from './networks.js';
import { bernoulliMean, bernoulliNegLogLikelihood } from './likelihood.js';

export interface Posterior {
  mu: Tensor;
  logvar: Tensor;
}

/** The pieces of one loss evaluation, per example and averaged. */
export interface LossTerms {
  /** Mean over the batch of the negative ELBO: what training minimizes. */
  loss: Tensor;
  /** -log p(x|z) per example (nats). */
  recon: Float32Array;
  /** KL(q(z|x) || p(z)) per example (nats). */
  kl: Float32Array;
}

export class VAE {
  readonly config: VaeConfig;
  readonly encoder: MlpEncoder;
  readonly decoder: MlpDecoder;

  /** Builds a freshly initialized model; `rng` draws the initial weights. */
  constructor(config: VaeConfig, rng: Random) {
    validateVaeConfig(config);
    this.config = { ...config, hidden: [...config.hidden] };
    this.encoder = new MlpEncoder(config.inputDim, config.hidden, config.latent, rng);
    this.decoder = new MlpDecoder(config.latent, config.hidden, config.inputDim, rng);
  }

  parameters(): Parameters {
    return [...this.encoder.parameters('encoder'), ...this.decoder.parameters('decoder')];
  }

  /** q(z|x) for a batch x of shape [N, inputDim]. */
  encode(x: Tensor): Posterior {
    return this.encoder.forward(x);
  }

  /** z = mu + sigma * eps, eps ~ N(0, I) drawn from `rng`. */
  reparameterize(posterior: Posterior, rng: Random): Tensor {
    const eps = new Tensor(rng.fillNormal(new Float32Array(posterior.mu.size)), posterior.mu.shape);
    return reparameterizeOp(posterior.mu, posterior.logvar, eps);
  }

  /** The decoder's logits for latent codes z of shape [N, latent]. */
  decode(z: Tensor): Tensor {
    return this.decoder.forward(z);
  }

  /** The negative ELBO of a batch, with one posterior sample per example. */
  loss(x: Tensor, rng: Random): LossTerms {
    const posterior = this.encode(x);
    const z = this.reparameterize(posterior, rng);
    const logits = this.decode(z);
    const recon = bernoulliNegLogLikelihood(logits, x);
    const kl = gaussianKl(posterior.mu, posterior.logvar);
    return { loss: mean(add(recon, kl)), recon: recon.data, kl: kl.data };
  }

  /** Decoded mean images E[x|z] for z of shape [N, latent], as a flat array. */
  decodeMean(z: Tensor): Float32Array {
    return noGrad(() => bernoulliMean(this.decode(z)));
  }

  /** `count` new images: z ~ N(0, I), decoded to their means. */
  sample(count: number, rng: Random): Float32Array {
    const z = new Tensor(rng.fillNormal(new Float32Array(count * this.config.latent)), [count, this.config.latent]);
    return this.decodeMean(z);
  }

  /** Reconstructions through the posterior means (no sampling): what the model "saw". */
  reconstruct(x: Tensor): Float32Array {
    return noGrad(() => this.decodeMean(this.encode(x).mu));
  }
}
