/**
 * A helper Web Worker of the wasm kernels: told its module, memory and control block in one
 * message, it says it is ready and then computes bands of matrix products for good.
 */
import { runHelper, WebAssemblyApi, type HelperStart } from './wasm-core.js';

interface WorkerScope {
  onmessage: ((event: { data: HelperStart }) => void) | null;
  postMessage(message: unknown): void;
}
const scope = globalThis as unknown as WorkerScope;
scope.onmessage = (event) => {
  scope.onmessage = null;
  // Instantiating here first proves the module and memory are usable before saying so.
  new WebAssemblyApi.Instance(event.data.module, { env: { memory: event.data.memory } });
  scope.postMessage('ready');
  runHelper(event.data);
};
