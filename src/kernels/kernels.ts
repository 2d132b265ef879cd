/**
 * The compute kernels the engine's hot ops run on: plain functions over flat, row-major
 * Float32Arrays. They know nothing of tensors, tapes or models, so a provider (portable
 * TypeScript, or a native addon) can be swapped without touching anything above.
 *
 * What is a kernel. A kernel is a loop over whole arrays that runs on every step of training
 * or evaluation and whose cost grows with the batch (rows x features, or pixels): that is
 * where the time goes, so it is worth a hand-written version per provider. Everything else
 * stays plain TypeScript in the engine, written once. Hence:
 *   - kernels: the matrix product and the layouts around it (im2col, channel moves, biases);
 *     the layer pieces fused into one pass (bias + ReLU and its backward, ReLU); the loss
 *     terms, each with its backward: BCE with logits and the Gaussian likelihood (per
 *     pixel, an exp each, on every step of their models; the discretized logistic, whose
 *     portable loop every provider runs for now, see PORTABLE_KERNELS in js.ts), the Gaussian KL and the
 *     reparameterization (latent-sized, but on every step and as cheap to keep as to drop);
 *     and the Adam update (every parameter, every step).
 *   - not kernels: the general elementwise ops (add, mul, exp, log, sigmoid, softplus...)
 *     and the shape ops. They are the engine's vocabulary for writing new models and
 *     objectives; a loop of each is one pass of V8-compiled code. When a composition of
 *     them becomes hot on a common path, the composition becomes one fused kernel (as BCE
 *     with logits replaces sigmoid + log), rather than each op a kernel of its own. Known
 *     candidate: the Gaussian decoder's head (sigmoid mean, softplus floor), per pixel.
 *   - not kernels either: what runs once per batch over a handful of values (the IW
 *     estimate's log-mean-exp over K weights per example, the lr schedule) or outside the
 *     step (figures, sampling for pictures, data loading).
 * A new kernel is a method here, its TypeScript version in js.ts (the reference, and what
 * browsers run), its C++ function in native/src and one row of the addon's kernel table
 * (native/src/addon.cc), which checks its arguments from that row. Nothing else changes.
 *
 * Conventions: `rows x cols` matrices are row-major; functions named `...Backward`
 * ACCUMULATE into their gradient outputs (`+=`), because a tensor used twice receives the
 * sum of both gradients; everything else overwrites its output.
 */
/**
 * The windows of a 2-D convolution: images [n, c, h, w] (NCHW) seen through kh x kw windows,
 * `stride` apart, on a border of `padding` zeros, at ho x wo output positions.
 */
export interface ConvGeometry {
  n: number;
  c: number;
  h: number;
  w: number;
  kh: number;
  kw: number;
  stride: number;
  padding: number;
  ho: number;
  wo: number;
}

export interface Kernels {
  /** Short name recorded in run headers and configs: `js` or `native`. */
  readonly name: string;

  /**
   * General matrix product, BLAS-style, row-major:
   *   C[m x n] = alpha * op(A) * op(B) + beta * C,  op(X) = X or X^T.
   * A is m x k (k x m when transA), B is k x n (n x k when transB).
   * With beta = 0, C's old contents are ignored (may be garbage).
   */
  gemm(
    transA: boolean,
    transB: boolean,
    m: number,
    n: number,
    k: number,
    alpha: number,
    a: Float32Array,
    b: Float32Array,
    beta: number,
    c: Float32Array,
  ): void;

  /** y[i, j] += bias[j] for every row i; then y = max(y, 0) when `relu`. */
  addBias(y: Float32Array, bias: Float32Array, rows: number, cols: number, relu: boolean): void;

  /**
   * The backward pass of bias + activation in one sweep, for a linear layer's output y:
   *   gPre = relu ? (y > 0) * g : g  (overwritten; may be g itself when !relu),
   *   gBias[j] += sum_i gPre[i, j]   (when gBias is given).
   * gPre is the gradient of the pre-activation, which the two matrix products then use.
   */
  biasActivationBackward(
    y: Float32Array,
    g: Float32Array,
    rows: number,
    cols: number,
    relu: boolean,
    gPre: Float32Array,
    gBias: Float32Array | null,
  ): void;

  /** out[j] += sum_i g[i, j]: the bias gradient of a linear layer. */
  sumRowsInto(g: Float32Array, rows: number, cols: number, out: Float32Array): void;

  /** out = max(x, 0). */
  relu(x: Float32Array, out: Float32Array): void;

  /** gx += (y > 0) * gy, where y = relu(x) (the output, so the input need not be kept). */
  reluBackward(y: Float32Array, gy: Float32Array, gx: Float32Array): void;

  /**
   * Binary cross-entropy with logits, summed over each row:
   *   out[i] = sum_j max(x, 0) - x * t + log(1 + exp(-|x|)),  x = logits[i, j], t = targets[i, j]
   * the stable form of -[t log sigmoid(x) + (1 - t) log(1 - sigmoid(x))].
   * When `delta` is given it also receives sigmoid(x) - t, the gradient of each term, so the
   * backward pass need not compute exp(-|x|) a second time.
   */
  bceWithLogits(
    logits: Float32Array,
    targets: Float32Array,
    rows: number,
    cols: number,
    out: Float32Array,
    delta?: Float32Array | null,
  ): void;

  /**
   * Backward of bceWithLogits given the gradient of each row sum, `gRow[i]`:
   *   gLogits[i, j] += gRow[i] * (sigmoid(x) - t);  gTargets[i, j] += gRow[i] * -x  (when given).
   * `delta`, when given, is what the forward pass stored: sigmoid(x) - t.
   */
  bceWithLogitsBackward(
    logits: Float32Array,
    targets: Float32Array,
    gRow: Float32Array,
    rows: number,
    cols: number,
    gLogits: Float32Array | null,
    gTargets: Float32Array | null,
    delta?: Float32Array | null,
  ): void;

  /**
   * KL(N(mu, exp(logvar)) || N(0, I)) of each row:
   *   out[i] = 0.5 * sum_j (mu^2 + exp(logvar) - 1 - logvar)
   */
  gaussianKl(mu: Float32Array, logvar: Float32Array, rows: number, cols: number, out: Float32Array): void;

  /** gMu += gRow[i] * mu;  gLogvar += gRow[i] * 0.5 * (exp(logvar) - 1). */
  gaussianKlBackward(
    mu: Float32Array,
    logvar: Float32Array,
    gRow: Float32Array,
    rows: number,
    cols: number,
    gMu: Float32Array | null,
    gLogvar: Float32Array | null,
  ): void;

  /**
   * The Gaussian decoder's negative log-likelihood of each row, in nats:
   *   out[i] = 0.5 * sum_j (log 2pi + lv + (x - m)^2 exp(-lv)),  m = mean, lv = logvar (i, j).
   * Summed in double precision, so every provider gives the same value to the last float bit
   * or so: it is a sum of hundreds of terms that a likelihood is compared by.
   */
  gaussianNll(mean: Float32Array, logvar: Float32Array, x: Float32Array, rows: number, cols: number, out: Float32Array): void;

  /**
   * Backward of gaussianNll, with e = exp(-lv) and d = x - m:
   *   gMean -= gRow[i] d e;  gLogvar += gRow[i] 0.5 (1 - d^2 e);  gX += gRow[i] d e  (each when given).
   */
  gaussianNllBackward(
    mean: Float32Array,
    logvar: Float32Array,
    x: Float32Array,
    gRow: Float32Array,
    rows: number,
    cols: number,
    gMean: Float32Array | null,
    gLogvar: Float32Array | null,
    gX: Float32Array | null,
  ): void;

  /**
   * The discretized logistic's negative log-likelihood of 8-bit data, each row summed, in nats
   * (PixelCNN++, Salimans et al. 2017). x holds values k / 255 (k = 0..255); with
   * m = mean, s = exp(logScale), h = 1 / 510 (half a grey level) and F the logistic CDF,
   *   P(k) = F((x - m + h) / s) - F((x - m - h) / s),  0 < k < 255
   *   P(0) = F((x - m + h) / s),  P(255) = 1 - F((x - m - h) / s)
   * so the 256 probabilities sum to 1. Summed in double precision.
   */
  logisticNll(mean: Float32Array, logScale: Float32Array, x: Float32Array, rows: number, cols: number, out: Float32Array): void;

  /**
   * Backward of logisticNll, with a = (x - m + h) / s, b = (x - m - h) / s, d = 2h / s and
   * sigma the logistic sigmoid (terms of a only below 255, of b only above 0, of d between):
   *   gMean += gRow[i] (sigma(-a) - sigma(b)) / s;
   *   gLogScale += gRow[i] (a sigma(-a) - b sigma(b) + d / (exp(d) - 1)).
   * x is data: it has no gradient.
   */
  logisticNllBackward(
    mean: Float32Array,
    logScale: Float32Array,
    x: Float32Array,
    gRow: Float32Array,
    rows: number,
    cols: number,
    gMean: Float32Array | null,
    gLogScale: Float32Array | null,
  ): void;

  /** z = mu + exp(0.5 * logvar) * eps. */
  reparameterize(mu: Float32Array, logvar: Float32Array, eps: Float32Array, z: Float32Array): void;

  /** gMu += gz;  gLogvar += gz * eps * 0.5 * exp(0.5 * logvar). */
  reparameterizeBackward(
    logvar: Float32Array,
    eps: Float32Array,
    gz: Float32Array,
    gMu: Float32Array | null,
    gLogvar: Float32Array | null,
  ): void;

  /**
   * One Adam step over every parameter at once (params[i] with grads[i], m[i], v[i]), in
   * PyTorch's form (torch.optim.Adam, no weight decay), with t = step:
   *   m = b1 m + (1 - b1) g;  v = b2 v + (1 - b2) g^2
   *   p -= lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps)
   */
  adamUpdate(
    params: readonly Float32Array[],
    grads: readonly Float32Array[],
    m: readonly Float32Array[],
    v: readonly Float32Array[],
    lr: number,
    beta1: number,
    beta2: number,
    eps: number,
    step: number,
  ): void;

  /**
   * The patches a convolution sees, as the columns of one matrix, so that the convolution of a
   * whole batch is a single gemm:
   *   col[(ch kh + i) kw + j, b Ho Wo + oy Wo + ox] = x[b, ch, oy s - p + i, ox s - p + j]
   * (0 where that falls on the padding). col is [c kh kw, n ho wo], overwritten.
   */
  im2col(x: Float32Array, g: ConvGeometry, col: Float32Array): void;

  /** The adjoint of im2col: every entry of col added (+=) onto the pixel of x it was taken from. */
  col2im(col: Float32Array, g: ConvGeometry, x: Float32Array): void;

  /** [n, c, s] -> [c, n s]: channels outermost, the layout a gemm over the whole batch takes or gives. */
  toChannelMajor(x: Float32Array, n: number, c: number, s: number, out: Float32Array): void;

  /**
   * [c, n s] -> [n, c, s], plus bias[ch] on every value of channel ch when bias is given;
   * added into `out` when `accumulate`, else written.
   */
  fromChannelMajor(
    x: Float32Array,
    n: number,
    c: number,
    s: number,
    bias: Float32Array | null,
    out: Float32Array,
    accumulate: boolean,
  ): void;

  /** y[b, ch, i] += bias[ch] for y of shape [n, c, s]. */
  addChannelBias(y: Float32Array, bias: Float32Array, n: number, c: number, s: number): void;

  /** out[ch] += sum over b, i of g[b, ch, i]: the bias gradient of a convolution. */
  sumChannelsInto(g: Float32Array, n: number, c: number, s: number, out: Float32Array): void;
}
