/** The shape of one `vae` command: its flags as data, and what it does with them. */
import type { FlagSpecs } from './args.js';

export interface Command {
  name: string;
  summary: string;
  flags: FlagSpecs;
  /** Runs the command; resolves to the process exit code. */
  run(argv: string[]): Promise<number>;
}
