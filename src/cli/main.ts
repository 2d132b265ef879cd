#!/usr/bin/env node
/**
 * The `vae` command line. Each command lives in its own file; this one dispatches, prints
 * help, and turns user errors into one line on stderr and exit code 2.
 */
import { didYouMean, formatHelp, wantsHelp } from './args.js';
import type { Command } from './command.js';
import { trainCommand } from './train.js';
import { evalCommand } from './eval.js';
import { sampleCommand } from './sample.js';
import { reconstructCommand } from './reconstruct.js';
import { serveCommand } from './serve.js';
import { reportCommand } from './report.js';
import { exportCommand } from './export.js';
import { importCommand } from './import.js';
import { factorsCommand } from './factors.js';
import { encodeCommand } from './encode.js';
import { measureCommand } from './measure.js';
import { packCommand } from './pack.js';
import { collectCommand } from './collect.js';
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { UserError } from '../errors.js';
import { toolkitVersion } from './version.js';

const commands: Command[] = [trainCommand, evalCommand, sampleCommand, reconstructCommand, reportCommand, serveCommand, exportCommand, importCommand, packCommand, measureCommand, factorsCommand, encodeCommand, collectCommand];

function usage(): string {
  const width = Math.max(...commands.map((c) => c.name.length));
  return [
    'Usage: vae <command> [options]',
    '',
    'Variational autoencoders: train one, evaluate it, sample from it, look at its reconstructions, explore it in the browser.',
    '',
    'Commands:',
    ...commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary.split('. ')[0]!.replace(/\.$/, '')}`),
    '',
    "Run 'vae <command> --help' for a command's options, 'vae --version' for the toolkit's version.",
    '',
  ].join('\n');
}

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined) {
    process.stderr.write(usage());
    return 2;
  }
  if (name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(usage());
    return 0;
  }
  if (name === '--version' || name === 'version') {
    process.stdout.write(`vae-toolkit ${toolkitVersion()}\n`);
    return 0;
  }
  const command = commands.find((c) => c.name === name);
  if (command === undefined) {
    const guess = didYouMean(name, commands.map((c) => c.name));
    throw new UserError(`unknown command "${name}"${guess ? ` (did you mean ${guess}?)` : ''}; run vae --help for the list`);
  }
  if (wantsHelp(rest)) {
    process.stdout.write(formatHelp(`vae ${command.name}`, command.summary, command.flags));
    return 0;
  }
  return command.run(rest);
}

/**
 * Runs one `vae` command as the shell would, without touching the process's exit: resolves to
 * the exit code (0 done, 2 a user error already reported as one line on stderr, 1 an internal
 * error with its stack on stderr, 130 interrupted). Tests call it in-process.
 */
export async function runCli(argv: string[]): Promise<number> {
  try {
    return await main(argv);
  } catch (err) {
    if (err instanceof UserError) {
      const message = err.message.startsWith('vae') ? err.message : `vae: ${err.message}`;
      process.stderr.write(message.split('\n')[0] + '\n');
      return 2;
    }
    process.stderr.write(`vae: internal error (a bug; please report it):\n${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    return 1;
  }
}

/** True when this file is the program node started (also through npm's bin symlink), not an import. */
function isEntryPoint(): boolean {
  const started = process.argv[1];
  if (started === undefined) return false;
  const self = realpathSync(fileURLToPath(import.meta.url));
  // `node dist/src/cli/main` works too: node adds the .js itself.
  return [started, `${started}.js`].some((path) => {
    try {
      return realpathSync(path) === self;
    } catch {
      return false;
    }
  });
}

if (isEntryPoint()) {
  // `vae eval | head -1` closes the pipe early; that is the reader's choice, not an error.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw err;
  });
  void runCli(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
