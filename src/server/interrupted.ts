/** Waiting for Ctrl-C (or a polite kill) while a server alone keeps the process alive. */

/** Resolves on the first SIGINT or SIGTERM; the handlers are removed then, so a second one acts as usual. */
export function untilInterrupted(): Promise<void> {
  return new Promise<void>((resolve) => {
    const done = (): void => {
      process.off('SIGINT', done);
      process.off('SIGTERM', done);
      resolve();
    };
    process.on('SIGINT', done);
    process.on('SIGTERM', done);
  });
}
