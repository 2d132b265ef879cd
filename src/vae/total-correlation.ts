/**
 * The total correlation of the aggregate posterior, TC = KL(q(z) || prod_j q(z_j)), estimated on
 * a minibatch with the minibatch-weighted sampling (MWS) estimator of Chen et al. (2018),
 * "Isolating sources of disentanglement in variational autoencoders", section 3 and eq. (S.13):
 * for a batch of M codes z_i ~ q(z|x_i) from a training set of N images,
 *   log q(z_i)       ~ log sum_j q(z_i | x_j) - log(N M)
 *   log q(z_id)      ~ log sum_j q(z_id | x_j) - log(N M)
 * with q(z_i | x_j) the Gaussian posterior of batch member j evaluated at z_i (as in the paper's
 * code, rtqichen/beta-tcvae). Against the plug-in estimate that weights each batch member 1/M,
 * the TC estimate is larger by the constant (D - 1) log N: it moves no gradient, but a TC read
 * off this estimator is to be taken less that constant. The KL splits as
 *   KL = index-code MI + TC + dimension-wise KL
 *      = E[log q(z|x) - log q(z)] + E[log q(z) - log prod_d q(z_d)] + E[log prod_d q(z_d) - log p(z)],
 * and the beta-TC-VAE weights only the TC term.
 */
import { Tensor, result, gradTarget } from '../engine/tensor.js';

const LOG_2PI = Math.log(2 * Math.PI);

function checkShapes(z: Tensor, mu: Tensor, logvar: Tensor): { m: number; d: number } {
  for (const t of [mu, logvar]) {
    if (t.rank !== 2 || t.shape[0] !== z.shape[0] || t.shape[1] !== z.shape[1]) {
      throw new RangeError(`total correlation: z [${z.shape.join(', ')}], mu and logvar must have one shape of rank 2`);
    }
  }
  return { m: z.shape[0]!, d: z.shape[1]! };
}

function checkDatasetSize(n: number, m: number): void {
  if (!Number.isInteger(n) || n < m) throw new RangeError(`the dataset size must be an integer >= the batch size ${m}, got ${n}`);
}

/** log N(z_id; mu_jd, exp(logvar_jd)) for every i, j, d, as an [M, M, D] array in double precision. */
function pairwiseLogDensities(z: Float32Array, mu: Float32Array, logvar: Float32Array, m: number, d: number): Float64Array {
  const out = new Float64Array(m * m * d);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < m; j++) {
      const o = (i * m + j) * d;
      for (let k = 0; k < d; k++) {
        const diff = z[i * d + k]! - mu[j * d + k]!;
        const lv = logvar[j * d + k]!;
        out[o + k] = -0.5 * (diff * diff * Math.exp(-lv) + lv + LOG_2PI);
      }
    }
  }
  return out;
}

/** Per example i: log q(z_i), log prod_d q(z_id) (MWS estimates), log q(z_i|x_i) and log p(z_i), and the softmax weights the gradient needs. */
function mwsTerms(z: Float32Array, mu: Float32Array, logvar: Float32Array, m: number, d: number, n: number) {
  const l = pairwiseLogDensities(z, mu, logvar, m, d);
  const logNM = Math.log(n * m);
  const logQz = new Float64Array(m);
  const logQzProduct = new Float64Array(m);
  const logQzx = new Float64Array(m);
  const logPz = new Float64Array(m);
  // softJoint[i*m+j] = softmax over j of sum_d l_ijd; softDim[(i*m+j)*d+k] = softmax over j of l_ijk.
  const softJoint = new Float64Array(m * m);
  const softDim = new Float64Array(m * m * d);
  const joint = new Float64Array(m);
  for (let i = 0; i < m; i++) {
    let max = -Infinity;
    for (let j = 0; j < m; j++) {
      let s = 0;
      for (let k = 0; k < d; k++) s += l[(i * m + j) * d + k]!;
      joint[j] = s;
      if (s > max) max = s;
    }
    let total = 0;
    for (let j = 0; j < m; j++) total += Math.exp(joint[j]! - max);
    const lse = max + Math.log(total);
    logQz[i] = lse - logNM;
    for (let j = 0; j < m; j++) softJoint[i * m + j] = Math.exp(joint[j]! - lse);
    logQzx[i] = joint[i]!;
    let product = 0;
    let prior = 0;
    for (let k = 0; k < d; k++) {
      let mk = -Infinity;
      for (let j = 0; j < m; j++) mk = Math.max(mk, l[(i * m + j) * d + k]!);
      let sk = 0;
      for (let j = 0; j < m; j++) sk += Math.exp(l[(i * m + j) * d + k]! - mk);
      const lseK = mk + Math.log(sk);
      product += lseK - logNM;
      for (let j = 0; j < m; j++) softDim[(i * m + j) * d + k] = Math.exp(l[(i * m + j) * d + k]! - lseK);
      const zk = z[i * d + k]!;
      prior += -0.5 * (zk * zk + LOG_2PI);
    }
    logQzProduct[i] = product;
    logPz[i] = prior;
  }
  return { logQz, logQzProduct, logQzx, logPz, softJoint, softDim };
}

/**
 * The MWS estimate of each batch member's total correlation term, log q(z_i) - log prod_d q(z_id),
 * as a tensor [M] differentiable in z, mu and logvar (z is usually their reparameterized sample,
 * so the gradient reaches mu and logvar both directly and through z). `datasetSize` is N.
 *
 * Backward: with w_ijd = softJoint_ij - softDim_ijd, dTC_i/dl_ijd = w_ijd, and
 *   dl_ijd/dz_id = -(z_id - mu_jd) e^{-logvar_jd},  dl_ijd/dmu_jd = -dl_ijd/dz_id,
 *   dl_ijd/dlogvar_jd = ((z_id - mu_jd)^2 e^{-logvar_jd} - 1) / 2.
 */
export function minibatchTotalCorrelation(z: Tensor, mu: Tensor, logvar: Tensor, datasetSize: number): Tensor {
  const { m, d } = checkShapes(z, mu, logvar);
  checkDatasetSize(datasetSize, m);
  const t = mwsTerms(z.data, mu.data, logvar.data, m, d, datasetSize);
  const out = new Float32Array(m);
  for (let i = 0; i < m; i++) out[i] = t.logQz[i]! - t.logQzProduct[i]!;
  return result('minibatch_total_correlation', out, [m], [z, mu, logvar], (o) => {
    const g = o.grad!;
    const gz = gradTarget(z);
    const gmu = gradTarget(mu);
    const glv = gradTarget(logvar);
    const zd = z.data;
    const mud = mu.data;
    const lvd = logvar.data;
    for (let i = 0; i < m; i++) {
      const gi = g[i]!;
      if (gi === 0) continue;
      for (let j = 0; j < m; j++) {
        const sj = t.softJoint[i * m + j]!;
        for (let k = 0; k < d; k++) {
          const w = gi * (sj - t.softDim[(i * m + j) * d + k]!);
          if (w === 0) continue;
          const precision = Math.exp(-lvd[j * d + k]!);
          const diff = zd[i * d + k]! - mud[j * d + k]!;
          if (gz) gz[i * d + k]! += -w * diff * precision;
          if (gmu) gmu[j * d + k]! += w * diff * precision;
          if (glv) glv[j * d + k]! += 0.5 * w * (diff * diff * precision - 1);
        }
      }
    }
  });
}

/** The three parts of the KL on a batch, each a batch mean in nats, by the MWS estimator. */
export interface KlDecomposition {
  /** E[log q(z|x) - log q(z)]: the index-code mutual information. */
  mutualInformation: number;
  /** E[log q(z) - log prod_d q(z_d)]: the total correlation. */
  totalCorrelation: number;
  /** E[log prod_d q(z_d) - log p(z)]: the dimension-wise KL. */
  dimensionwiseKl: number;
}

/** Splits the batch's KL into its three parts (Chen et al. 2018, eq. 2); no gradient. */
export function klDecomposition(z: Tensor, mu: Tensor, logvar: Tensor, datasetSize: number): KlDecomposition {
  const { m, d } = checkShapes(z, mu, logvar);
  checkDatasetSize(datasetSize, m);
  const t = mwsTerms(z.data, mu.data, logvar.data, m, d, datasetSize);
  let mi = 0;
  let tc = 0;
  let dw = 0;
  for (let i = 0; i < m; i++) {
    mi += t.logQzx[i]! - t.logQz[i]!;
    tc += t.logQz[i]! - t.logQzProduct[i]!;
    dw += t.logQzProduct[i]! - t.logPz[i]!;
  }
  return { mutualInformation: mi / m, totalCorrelation: tc / m, dimensionwiseKl: dw / m };
}
