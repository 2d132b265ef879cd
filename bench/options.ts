/** The command line of a bench script: `--name value` options, and a one-line refusal with exit code 2. */

const argv = process.argv.slice(2);

/** The value after `--name`, or `fallback` when the option is absent. */
export function option(name: string, fallback: string): string {
  const at = argv.indexOf(`--${name}`);
  return at >= 0 ? (argv[at + 1] ?? '') : fallback;
}

/** Whether the bare flag `--name` was given. */
export function flag(name: string): boolean {
  return argv.includes(`--${name}`);
}

export function fail(message: string): never {
  process.stderr.write(`bench: ${message}\n`);
  process.exit(2);
}
