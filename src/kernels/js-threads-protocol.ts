/** Slots of the Int32 control block shared by `threadedJsKernels` and its workers. */
export const JOB = 0; // jobs posted so far
export const DONE = 1; // jobs finished so far
export const BUFFERS = 2; // generation of the shared operand buffers
export const CONTROL_SLOTS = 3;
