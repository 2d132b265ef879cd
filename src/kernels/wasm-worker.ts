/** A helper thread of the wasm kernels in Node: computes bands of matrix products until the process ends. */
import { workerData } from 'node:worker_threads';
import { runHelper, type HelperStart } from './wasm-core.js';

runHelper(workerData as HelperStart);
