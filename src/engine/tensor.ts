/**
 * Tensor: float32 data, row-major, with a shape; and reverse-mode autodiff on a tape.
 *
 * As in micrograd, every op makes its output remember its inputs and a small backward
 * closure; `backward()` orders the graph topologically and runs the closures in reverse.
 * Unlike micrograd, the values are whole arrays and the closures call kernels, so a VAE
 * step is a graph of a dozen nodes, not millions.
 */
import type { Kernels } from '../kernels/kernels.js';
import { jsKernels } from '../kernels/js.js';
import { kernelsDescription } from '../kernels/description.js';

let activeKernels: Kernels = jsKernels;
let gradEnabled = true;

/** The kernels every op runs on from now on. */
export function setKernels(kernels: Kernels): void {
  activeKernels = kernels;
}

export function kernels(): Kernels {
  return activeKernels;
}

/** The kernels every op runs on, described as a run records them: `native (openblas)`, `js`. */
export function kernelsInUse(): string {
  // Reading the provider makes the library's lazy `auto` stand-in choose and install its pick.
  void activeKernels.name;
  return kernelsDescription(activeKernels);
}

/** Runs `fn` without recording a tape: for evaluation, sampling and optimizer updates. */
export function noGrad<T>(fn: () => T): T {
  const before = gradEnabled;
  gradEnabled = false;
  try {
    return fn();
  } finally {
    gradEnabled = before;
  }
}

export function isGradEnabled(): boolean {
  return gradEnabled;
}

/**
 * The arrays of one training step (op outputs, the gradients of intermediate results, the
 * patches a convolution keeps for its backward pass), handed back when the step ends and
 * handed out again by the next one, which asks for the same sizes. A fresh array of a few
 * megabytes costs more than the kernel that fills it (the allocator clears it, the garbage
 * collector later finds it), and a conv VAE's step makes dozens.
 */
class StepBuffers {
  private free = new Map<number, Float32Array[]>();
  private lent: Float32Array[] = [];

  take(length: number, zeroed: boolean): Float32Array {
    const reused = this.free.get(length)?.pop();
    const buffer = reused ?? new Float32Array(length);
    if (reused !== undefined && zeroed) buffer.fill(0);
    this.lent.push(buffer);
    return buffer;
  }

  /** Keeps what this step used, for the next; arrays it left untaken (another model's, an
   * earlier batch size's) go to the garbage collector, so at most one step's worth is held. */
  giveBack(): void {
    const next = new Map<number, Float32Array[]>();
    for (const buffer of this.lent) {
      const list = next.get(buffer.length);
      if (list === undefined) next.set(buffer.length, [buffer]);
      else list.push(buffer);
    }
    this.free = next;
    this.lent = [];
  }
}

/** Arrays smaller than this are left to the allocator: the recycling is for the big ones. */
const RECYCLE_MIN = 4096;
let stepBuffers: StepBuffers | null = null;
const recycled = new StepBuffers();

/**
 * Runs one training step, `fn`, whose arrays are reused by the next step. Nothing that `fn`
 * computes may be kept once it returns, except what it returns itself (and that may not be
 * an op's output or a view of one): the arrays of every tensor made inside are overwritten
 * by the next step. Parameters and their gradients are not affected. Nested calls run
 * inside the outer step.
 */
export function trainingStep<T>(fn: () => T): T {
  if (stepBuffers !== null) return fn();
  stepBuffers = recycled;
  try {
    return fn();
  } finally {
    stepBuffers = null;
    recycled.giveBack();
  }
}

/**
 * An array for an op's output: reused from an earlier step inside `trainingStep`, else new.
 * With `zeroed` false its contents are arbitrary, for outputs the op writes in full.
 */
export function opBuffer(length: number, zeroed = true): Float32Array {
  if (stepBuffers === null || length < RECYCLE_MIN) return new Float32Array(length);
  return stepBuffers.take(length, zeroed);
}

export function sizeOf(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

export class Tensor {
  readonly data: Float32Array;
  readonly shape: readonly number[];
  /** d(loss)/d(this), filled by `backward()`; null until something flows into it. */
  grad: Float32Array | null = null;
  /** True for parameters and for anything computed from them while grad is enabled. */
  readonly requiresGrad: boolean;
  /** The op that made this tensor, for debugging and graph dumps. */
  readonly op: string;
  /** @internal inputs of the op that made this tensor */
  readonly parents: readonly Tensor[];
  /** @internal accumulates this.grad into the parents' grads */
  readonly backwardFn: (() => void) | null;

  constructor(
    data: Float32Array,
    shape: readonly number[],
    options: { requiresGrad?: boolean; op?: string; parents?: readonly Tensor[]; backward?: () => void } = {},
  ) {
    if (sizeOf(shape) !== data.length) {
      throw new RangeError(`shape [${shape.join(', ')}] needs ${sizeOf(shape)} values, got ${data.length}`);
    }
    this.data = data;
    this.shape = Object.freeze([...shape]);
    this.requiresGrad = options.requiresGrad ?? false;
    this.op = options.op ?? 'leaf';
    this.parents = options.parents ?? [];
    this.backwardFn = options.backward ?? null;
  }

  static zeros(shape: readonly number[], requiresGrad = false): Tensor {
    return new Tensor(new Float32Array(sizeOf(shape)), shape, { requiresGrad });
  }

  static from(values: ArrayLike<number>, shape?: readonly number[], requiresGrad = false): Tensor {
    return new Tensor(Float32Array.from(values), shape ?? [values.length], { requiresGrad });
  }

  get size(): number {
    return this.data.length;
  }

  get rank(): number {
    return this.shape.length;
  }

  /** Rows and columns when the tensor is seen as a matrix over its last axis. */
  get rows(): number {
    return this.shape.length === 0 ? 1 : this.data.length / this.shape[this.shape.length - 1]!;
  }

  get cols(): number {
    return this.shape.length === 0 ? 1 : this.shape[this.shape.length - 1]!;
  }

  /** The single value of a one-element tensor. */
  item(): number {
    if (this.data.length !== 1) throw new RangeError(`item() needs one element, shape is [${this.shape.join(', ')}]`);
    return this.data[0]!;
  }

  /** The gradient buffer, created as zeros on first use. */
  ensureGrad(): Float32Array {
    // An intermediate result's gradient lives for one backward pass; a leaf's (a parameter's)
    // is kept, and read by the optimizer, so it is never recycled.
    if (this.grad === null) this.grad = this.backwardFn !== null ? opBuffer(this.data.length) : new Float32Array(this.data.length);
    return this.grad;
  }

  zeroGrad(): void {
    if (this.grad !== null) this.grad.fill(0);
  }

  /** A copy with no history. */
  detach(): Tensor {
    return new Tensor(this.data.slice(), this.shape);
  }

  /**
   * Reverse-mode differentiation from this tensor. A scalar starts from d(self)/d(self) = 1;
   * anything else needs the incoming gradient `seed`. Gradients accumulate into `.grad`.
   */
  backward(seed?: Float32Array): void {
    if (!this.requiresGrad) throw new Error('backward() on a tensor that does not require grad');
    if (seed === undefined && this.data.length !== 1) {
      throw new RangeError('backward() without a seed needs a scalar');
    }
    const order = topologicalOrder(this);
    // Intermediate results start every pass from zero, so a second backward() through the
    // same graph adds only its own contribution to the leaves (as torch's retain_graph does).
    for (const node of order) if (node.backwardFn !== null) node.grad = null;
    const g = this.ensureGrad();
    if (seed === undefined) g[0]! += 1;
    else for (let i = 0; i < g.length; i++) g[i]! += seed[i]!;
    for (let i = order.length - 1; i >= 0; i--) {
      const node = order[i]!;
      if (node.backwardFn !== null && node.grad !== null) node.backwardFn();
    }
  }
}

/** Nodes that need a gradient, each after all of its inputs; iterative to spare the stack. */
function topologicalOrder(root: Tensor): Tensor[] {
  const order: Tensor[] = [];
  const visited = new Set<Tensor>();
  const stack: Array<[Tensor, number]> = [[root, 0]];
  visited.add(root);
  while (stack.length > 0) {
    const top = stack[stack.length - 1]!;
    const [node, next] = top;
    if (next < node.parents.length) {
      top[1] = next + 1;
      const parent = node.parents[next]!;
      if (parent.requiresGrad && !visited.has(parent)) {
        visited.add(parent);
        stack.push([parent, 0]);
      }
    } else {
      stack.pop();
      order.push(node);
    }
  }
  return order;
}

/**
 * Builds an op's output. It records a tape entry only when grad is on and some input needs
 * a gradient; otherwise the result is a plain value and `backward` is dropped.
 */
export function result(
  op: string,
  data: Float32Array,
  shape: readonly number[],
  parents: readonly Tensor[],
  backward: (out: Tensor) => void,
): Tensor {
  const needs = gradEnabled && parents.some((p) => p.requiresGrad);
  if (!needs) return new Tensor(data, shape, { op });
  const out: Tensor = new Tensor(data, shape, {
    op,
    parents,
    requiresGrad: true,
    backward: () => backward(out),
  });
  return out;
}

/** The gradient buffer of `t` if it takes one, else null: backward closures write through it. */
export function gradTarget(t: Tensor): Float32Array | null {
  return t.requiresGrad ? t.ensureGrad() : null;
}
