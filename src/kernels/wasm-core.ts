/**
 * The WebAssembly kernels (wasm/kernels.c, 128-bit SIMD) behind the Kernels interface, for
 * Node and browsers alike: this file knows nothing of either, the loaders (wasm.ts for Node)
 * hand it the compiled module and, where threads are possible, a way to start them.
 *
 * The module owns a linear memory. Each call copies its operands into an arena at the top
 * of that memory and its results back out: a memcpy, small against the arithmetic for the
 * matrix products, and the price of an interface over plain Float32Arrays (a wasm function
 * cannot read JavaScript's memory). With threads, a second instance works over a shared
 * memory: a matrix product large enough is split into bands of C that helper threads compute
 * at the same time, each through its own instance over that memory; the calling thread waits
 * on an Atomics flag, so the interface stays synchronous. Everything else stays on the
 * private memory.
 */
import type { ConvGeometry, Kernels } from './kernels.js';
import { jsKernels } from './js.js';

/**
 * The parts of the WebAssembly JavaScript API used here, typed locally: the project compiles
 * for Node without the DOM library, which is where TypeScript declares them.
 */
export interface WasmModule {
  readonly __wasmModule?: never;
}
export interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}
interface WasmApi {
  Module: new (bytes: Uint8Array) => WasmModule;
  Instance: new (module: WasmModule, imports: object) => { exports: object };
  compile(bytes: Uint8Array | ArrayBuffer): Promise<WasmModule>;
  instantiate(module: WasmModule, imports: object): Promise<{ exports: object }>;
  Memory: new (descriptor: { initial: number; maximum: number; shared: boolean }) => WasmMemory;
}
export const WebAssemblyApi = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

/** What the module exports (pointers are byte offsets into its memory). */
interface Exports {
  __heap_base: { value: number };
  /** The C stack's top; each helper's instance is given a stack of its own in the arena. */
  __stack_pointer: { value: number };
  gemm_scratch_floats(): number;
  gemm_block(
    ta: number, tb: number, m: number, n: number, k: number, alpha: number, a: number, b: number, beta: number, c: number,
    i0: number, i1: number, j0: number, j1: number, scratch: number,
  ): void;
  add_bias(y: number, bias: number, rows: number, cols: number, relu: number): void;
  sum_rows_into(g: number, rows: number, cols: number, out: number): void;
  bias_activation_backward(y: number, g: number, rows: number, cols: number, relu: number, gPre: number, gBias: number): void;
  relu(x: number, out: number, n: number): void;
  relu_backward(y: number, gy: number, gx: number, n: number): void;
  bce_with_logits(logits: number, targets: number, rows: number, cols: number, out: number, delta: number): void;
  bce_with_logits_backward(
    logits: number, targets: number, gRow: number, rows: number, cols: number, gLogits: number, gTargets: number, delta: number,
  ): void;
  gaussian_kl(mu: number, logvar: number, rows: number, cols: number, out: number): void;
  gaussian_kl_backward(mu: number, logvar: number, gRow: number, rows: number, cols: number, gMu: number, gLogvar: number): void;
  reparameterize(mu: number, logvar: number, eps: number, z: number, n: number): void;
  reparameterize_backward(logvar: number, eps: number, gz: number, gMu: number, gLogvar: number, n: number): void;
  adam_update(
    param: number, grad: number, m: number, v: number, n: number, beta1: number, beta2: number, eps: number,
    stepSize: number, invSqrtBc2: number,
  ): void;
  im2col(x: number, ...geometryAndCol: number[]): void;
  col2im(col: number, ...geometryAndX: number[]): void;
  to_channel_major(x: number, n: number, c: number, s: number, out: number): void;
  from_channel_major(x: number, n: number, c: number, s: number, bias: number, out: number, accumulate: number): void;
  add_channel_bias(y: number, bias: number, n: number, c: number, s: number): void;
  sum_channels_into(g: number, n: number, c: number, s: number, out: number): void;
}

const PAGE = 65536;
/** Bytes of C stack for each helper thread (the kernels use none today; this keeps it safe if they do). */
const HELPER_STACK = 65536;
/** The modules' declared maximum, 2 GiB (wasm/build.cjs). */
export const MAX_PAGES = 32768;

/** Slots of a helper's Int32 control block, and of its Float64 job parameters. */
export const JOB = 0; // jobs posted so far
export const DONE = 1; // jobs finished so far
export const CONTROL_SLOTS = 2;
export const PARAM_SLOTS = 15;

/** What a helper thread is given when it starts. */
export interface HelperStart {
  module: WasmModule;
  /** The top of this helper's own C stack (the module's is at the bottom of memory, the calling thread's). */
  stackTop: number;
  memory: WasmMemory;
  control: Int32Array;
  params: Float64Array;
}

/** Starts one helper thread running `runHelper` with these arguments (worker_threads, or a Web Worker). */
export type StartHelper = (start: HelperStart) => void;

/** Below this many multiply-adds a product stays on one thread: waking a helper costs tens of microseconds. */
const PARALLEL_MACS = 1 << 18;

export interface WasmKernelOptions {
  /** The module built with an imported shared memory (kernels-threads.wasm); needed for threads. */
  threadsModule?: WasmModule;
  /** Threads for the matrix product, this one included (1: no helpers). */
  threads?: number;
  startHelper?: StartHelper;
}

export interface WasmKernels {
  kernels: Kernels;
  /** Threads the matrix product runs on. */
  threads: number;
}

/**
 * The wasm kernels from a compiled module: `module` (its own memory) on one thread, or
 * `threadsModule` over a shared memory when threads > 1 and helpers can be started.
 */
export function createWasmKernels(module: WasmModule, options: WasmKernelOptions = {}): WasmKernels {
  const { threads, shared } = plan(options);
  const own = new WebAssemblyApi.Memory({ initial: 2, maximum: MAX_PAGES, shared: false });
  const local = new WebAssemblyApi.Instance(module, { env: { memory: own } });
  const parallel = shared && new WebAssemblyApi.Instance(options.threadsModule!, { env: { memory: shared } });
  return assemble(local.exports as unknown as Exports, own, parallel ? (parallel.exports as unknown as Exports) : null, shared, threads, options);
}

/**
 * The same, instantiated asynchronously: what a browser's main thread must do, where
 * synchronous instantiation is refused for modules of this size.
 */
export async function instantiateWasmKernels(module: WasmModule, options: WasmKernelOptions = {}): Promise<WasmKernels> {
  const { threads, shared } = plan(options);
  const own = new WebAssemblyApi.Memory({ initial: 2, maximum: MAX_PAGES, shared: false });
  const local = await WebAssemblyApi.instantiate(module, { env: { memory: own } });
  const parallel = shared && (await WebAssemblyApi.instantiate(options.threadsModule!, { env: { memory: shared } }));
  return assemble(local.exports as unknown as Exports, own, parallel ? (parallel.exports as unknown as Exports) : null, shared, threads, options);
}

function plan(options: WasmKernelOptions): { threads: number; shared: WasmMemory | null } {
  const threads = options.threadsModule && options.startHelper ? Math.max(1, Math.floor(options.threads ?? 1)) : 1;
  const shared = threads > 1 ? new WebAssemblyApi.Memory({ initial: 2, maximum: MAX_PAGES, shared: true }) : null;
  return { threads, shared };
}

/**
 * One module instance and the arena at the top of its memory: the packing scratch of each
 * thread (`threads` of them, helpers' stacks below them), then the operands of the current call.
 */
class Arena {
  private f32: Float32Array;
  private readonly base: number;
  private top: number;
  private readonly stride: number;
  private readonly stacksAt: number;

  constructor(
    readonly x: Exports,
    private readonly memory: WasmMemory,
    private readonly threads: number,
  ) {
    this.stride = x.gemm_scratch_floats() * 4;
    this.stacksAt = align(x.__heap_base.value);
    this.base = this.scratchAt(threads);
    this.top = this.base;
    this.f32 = new Float32Array(memory.buffer);
    this.reserve(this.base);
  }

  /** The top of helper t's C stack (t = 1, 2, ...), growing down from the end of its slot. */
  stackTop(t: number): number {
    return this.stacksAt + t * HELPER_STACK;
  }

  /** Thread t's packing scratch (t = 0: the calling thread). */
  scratchAt(t: number): number {
    return this.stackTop(this.threads) + t * this.stride;
  }

  private reserve(bytes: number): void {
    const need = Math.ceil(bytes / PAGE) - this.memory.buffer.byteLength / PAGE;
    if (need > 0) this.memory.grow(need);
    // A private memory's buffer is replaced when it grows; a shared one's is longer.
    if (this.f32.buffer !== this.memory.buffer || this.f32.length * 4 !== this.memory.buffer.byteLength) this.f32 = new Float32Array(this.memory.buffer);
  }

  /** Room for `floats` floats in the arena (valid until the call returns). */
  alloc(floats: number): number {
    const at = this.top;
    this.top = align(this.top + floats * 4);
    this.reserve(this.top);
    return at;
  }

  /** `src` copied into the arena; its offset. */
  put(src: Float32Array, floats = src.length): number {
    if (src.length < floats) throw new RangeError(`wasm kernels: an array of ${src.length} values where ${floats} are needed`);
    const at = this.alloc(floats);
    this.f32.set(floats === src.length ? src : src.subarray(0, floats), at >> 2);
    return at;
  }

  putOrNull(src: Float32Array | null | undefined, floats?: number): number {
    return src ? this.put(src, floats) : 0;
  }

  take(at: number, dst: Float32Array, floats = dst.length): void {
    if (dst.length < floats) throw new RangeError(`wasm kernels: an array of ${dst.length} values where ${floats} are written`);
    dst.set(this.f32.subarray(at >> 2, (at >> 2) + floats));
  }

  /** Runs `body` with a fresh arena, whatever it throws. */
  call<T>(body: () => T): T {
    this.top = this.base;
    try {
      return body();
    } finally {
      this.top = this.base;
    }
  }
}

/**
 * Every kernel but the threaded product runs on `x`, an instance over a private memory: a
 * browser copies into a SharedArrayBuffer several times slower than into a private buffer,
 * and these kernels (Adam above all) are mostly copying. The products big enough to split
 * run on `xs`, over the memory the helpers share.
 */
function assemble(x: Exports, own: WasmMemory, xs: Exports | null, shared: WasmMemory | null, threads: number, options: WasmKernelOptions): WasmKernels {
  const localArena = new Arena(x, own, 1);
  const sharedArena = xs && shared ? new Arena(xs, shared, threads) : null;
  const alloc = (floats: number): number => localArena.alloc(floats);
  const put = (src: Float32Array, floats?: number): number => localArena.put(src, floats);
  const putOrNull = (src: Float32Array | null | undefined, floats?: number): number => localArena.putOrNull(src, floats);
  const take = (at: number, dst: Float32Array, floats?: number): void => localArena.take(at, dst, floats);
  const call = <T>(body: () => T): T => localArena.call(body);

  const helpers: Array<{ control: Int32Array; params: Float64Array; jobs: number }> = [];
  if (sharedArena) {
    for (let t = 1; t < threads; t++) {
      const control = new Int32Array(new SharedArrayBuffer(4 * CONTROL_SLOTS));
      const params = new Float64Array(new SharedArrayBuffer(8 * PARAM_SLOTS));
      options.startHelper!({ module: options.threadsModule!, stackTop: sharedArena.stackTop(t), memory: shared!, control, params });
      helpers.push({ control, params, jobs: 0 });
    }
  }

  function gemm(
    transA: boolean, transB: boolean, m: number, n: number, k: number,
    alpha: number, a: Float32Array, b: Float32Array, beta: number, c: Float32Array,
  ): void {
    // Bands of whole micro-tiles (8 columns or 4 rows) along the longer side of C.
    const split = sharedArena && m * n * k >= PARALLEL_MACS ? threads : 1;
    const arena = split > 1 ? sharedArena! : localArena;
    arena.call(() => {
      const pa = arena.put(a, m * k);
      const pb = arena.put(b, k * n);
      const pc = beta === 0 ? arena.alloc(m * n) : arena.put(c, m * n);
      const ta = transA ? 1 : 0;
      const tb = transB ? 1 : 0;
      const byColumns = n >= m;
      const unit = byColumns ? 8 : 4;
      const extent = byColumns ? n : m;
      const band = Math.ceil(extent / split / unit) * unit;
      const bands = Math.min(split, Math.ceil(extent / band));
      const range = (t: number): [number, number, number, number] => {
        const lo = t * band;
        const hi = Math.min(extent, lo + band);
        return byColumns ? [0, m, lo, hi] : [lo, hi, 0, n];
      };
      for (let t = 1; t < bands; t++) {
        const h = helpers[t - 1]!;
        h.params.set([ta, tb, m, n, k, alpha, pa, pb, beta, pc, ...range(t), arena.scratchAt(t)]);
        h.jobs += 1;
        Atomics.store(h.control, JOB, h.jobs);
        Atomics.notify(h.control, JOB);
      }
      arena.x.gemm_block(ta, tb, m, n, k, alpha, pa, pb, beta, pc, ...range(0), arena.scratchAt(0));
      for (let t = 1; t < bands; t++) {
        const h = helpers[t - 1]!;
        // Sleep only while DONE still holds the value just read, or a wake-up in between is lost.
        for (let done = Atomics.load(h.control, DONE); done !== h.jobs; done = Atomics.load(h.control, DONE)) {
          Atomics.wait(h.control, DONE, done);
        }
      }
      arena.take(pc, c, m * n);
    });
  }

  const kernels: Kernels = {
    name: 'wasm',
    gemm,
    // The Gaussian likelihood has no wasm loop yet; the portable one computes the same sums.
    gaussianNll: jsKernels.gaussianNll,
    gaussianNllBackward: jsKernels.gaussianNllBackward,
    logisticNll: jsKernels.logisticNll,
    logisticNllBackward: jsKernels.logisticNllBackward,

    addBias(y, bias, rows, cols, relu) {
      call(() => {
        const py = put(y, rows * cols);
        x.add_bias(py, put(bias, cols), rows, cols, relu ? 1 : 0);
        take(py, y, rows * cols);
      });
    },

    biasActivationBackward(y, g, rows, cols, relu, gPre, gBias) {
      call(() => {
        const n = rows * cols;
        const pg = put(g, n);
        const py = relu ? put(y, n) : 0;
        const pPre = relu ? alloc(n) : pg;
        const pBias = putOrNull(gBias, cols);
        x.bias_activation_backward(py, pg, rows, cols, relu ? 1 : 0, pPre, pBias);
        if (relu || gPre !== g) take(pPre, gPre, n);
        if (gBias) take(pBias, gBias, cols);
      });
    },

    sumRowsInto(g, rows, cols, out) {
      call(() => {
        const po = put(out, cols);
        x.sum_rows_into(put(g, rows * cols), rows, cols, po);
        take(po, out, cols);
      });
    },

    relu(input, out) {
      call(() => {
        const n = input.length;
        const po = alloc(n);
        x.relu(put(input), po, n);
        take(po, out, n);
      });
    },

    reluBackward(y, gy, gx) {
      call(() => {
        const n = y.length;
        const pgx = put(gx, n);
        x.relu_backward(put(y), put(gy, n), pgx, n);
        take(pgx, gx, n);
      });
    },

    bceWithLogits(logits, targets, rows, cols, out, delta) {
      call(() => {
        const n = rows * cols;
        const po = alloc(rows);
        const pd = delta ? alloc(n) : 0;
        x.bce_with_logits(put(logits, n), put(targets, n), rows, cols, po, pd);
        take(po, out, rows);
        if (delta) take(pd, delta, n);
      });
    },

    bceWithLogitsBackward(logits, targets, gRow, rows, cols, gLogits, gTargets, delta) {
      call(() => {
        const n = rows * cols;
        const pl = putOrNull(gLogits, n);
        const pt = putOrNull(gTargets, n);
        // The targets are read only when the stored delta is not given.
        const pTargets = gLogits && !delta ? put(targets, n) : 0;
        x.bce_with_logits_backward(put(logits, n), pTargets, put(gRow, rows), rows, cols, pl, pt, putOrNull(delta, n));
        if (gLogits) take(pl, gLogits, n);
        if (gTargets) take(pt, gTargets, n);
      });
    },

    gaussianKl(mu, logvar, rows, cols, out) {
      call(() => {
        const n = rows * cols;
        const po = alloc(rows);
        x.gaussian_kl(put(mu, n), put(logvar, n), rows, cols, po);
        take(po, out, rows);
      });
    },

    gaussianKlBackward(mu, logvar, gRow, rows, cols, gMu, gLogvar) {
      call(() => {
        const n = rows * cols;
        const pm = putOrNull(gMu, n);
        const pl = putOrNull(gLogvar, n);
        x.gaussian_kl_backward(put(mu, n), put(logvar, n), put(gRow, rows), rows, cols, pm, pl);
        if (gMu) take(pm, gMu, n);
        if (gLogvar) take(pl, gLogvar, n);
      });
    },

    reparameterize(mu, logvar, eps, z) {
      call(() => {
        const n = z.length;
        const pz = alloc(n);
        x.reparameterize(put(mu, n), put(logvar, n), put(eps, n), pz, n);
        take(pz, z, n);
      });
    },

    reparameterizeBackward(logvar, eps, gz, gMu, gLogvar) {
      call(() => {
        const n = gz.length;
        const pm = putOrNull(gMu, n);
        const pl = putOrNull(gLogvar, n);
        x.reparameterize_backward(put(logvar, n), put(eps, n), put(gz), pm, pl, n);
        if (gMu) take(pm, gMu, n);
        if (gLogvar) take(pl, gLogvar, n);
      });
    },

    adamUpdate(params, grads, ms, vs, lr, beta1, beta2, eps, step) {
      const stepSize = lr / (1 - Math.pow(beta1, step));
      const invSqrtBc2 = 1 / Math.sqrt(1 - Math.pow(beta2, step));
      for (let i = 0; i < params.length; i++) {
        const p = params[i]!;
        const n = p.length;
        if (grads[i]!.length < n || ms[i]!.length < n || vs[i]!.length < n) {
          throw new RangeError(`adamUpdate: parameter ${i} has ${n} values, but its gradient or moments are shorter`);
        }
        call(() => {
          const pp = put(p);
          const pm = put(ms[i]!, n);
          const pv = put(vs[i]!, n);
          x.adam_update(pp, put(grads[i]!, n), pm, pv, n, beta1, beta2, eps, stepSize, invSqrtBc2);
          take(pp, p, n);
          take(pm, ms[i]!, n);
          take(pv, vs[i]!, n);
        });
      }
    },

    im2col(input, g, col) {
      call(() => {
        const rows = g.c * g.kh * g.kw * g.n * g.ho * g.wo;
        const pc = alloc(rows);
        x.im2col(put(input, g.n * g.c * g.h * g.w), ...geometry(g), pc);
        take(pc, col, rows);
      });
    },

    col2im(col, g, out) {
      call(() => {
        const size = g.n * g.c * g.h * g.w;
        const po = put(out, size);
        x.col2im(put(col, g.c * g.kh * g.kw * g.n * g.ho * g.wo), ...geometry(g), po);
        take(po, out, size);
      });
    },

    toChannelMajor(input, n, c, s, out) {
      call(() => {
        const po = alloc(n * c * s);
        x.to_channel_major(put(input, n * c * s), n, c, s, po);
        take(po, out, n * c * s);
      });
    },

    fromChannelMajor(input, n, c, s, bias, out, accumulate) {
      call(() => {
        const size = n * c * s;
        const po = accumulate ? put(out, size) : alloc(size);
        x.from_channel_major(put(input, size), n, c, s, putOrNull(bias, c), po, accumulate ? 1 : 0);
        take(po, out, size);
      });
    },

    addChannelBias(y, bias, n, c, s) {
      call(() => {
        const py = put(y, n * c * s);
        x.add_channel_bias(py, put(bias, c), n, c, s);
        take(py, y, n * c * s);
      });
    },

    sumChannelsInto(g, n, c, s, out) {
      call(() => {
        const po = put(out, c);
        x.sum_channels_into(put(g, n * c * s), n, c, s, po);
        take(po, out, c);
      });
    },
  };
  return { kernels, threads };
}

function geometry(g: ConvGeometry): number[] {
  if (!(g.stride >= 1)) throw new RangeError(`convolution stride must be at least 1, got ${g.stride}`);
  return [g.n, g.c, g.h, g.w, g.kh, g.kw, g.stride, g.padding, g.ho, g.wo];
}

/** 16-byte alignment, for whole-vector loads. */
function align(bytes: number): number {
  return (bytes + 15) & ~15;
}

/**
 * A helper thread's life: its own instance of the shared-memory module, then forever: wait
 * for a job, compute its band of C, say it is done. Never returns; the thread's owner lets it
 * die with the process.
 */
export function runHelper(start: HelperStart): never {
  const { module, memory, control, params } = start;
  const x = new WebAssemblyApi.Instance(module, { env: { memory } }).exports as unknown as Exports;
  x.__stack_pointer.value = start.stackTop;
  let seen = 0;
  for (;;) {
    Atomics.wait(control, JOB, seen);
    const job = Atomics.load(control, JOB);
    if (job === seen) continue;
    const p = params;
    x.gemm_block(p[0]!, p[1]!, p[2]!, p[3]!, p[4]!, p[5]!, p[6]!, p[7]!, p[8]!, p[9]!, p[10]!, p[11]!, p[12]!, p[13]!, p[14]!);
    seen = job;
    Atomics.store(control, DONE, seen);
    Atomics.notify(control, DONE);
  }
}
