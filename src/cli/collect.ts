import { toString as qrCode } from 'qrcode';
import { parseFlags } from './args.js';
import { allowHostFlag } from './shared-flags.js';
import type { Command } from './command.js';
import { UserError } from '../errors.js';
import { ensureWritableDir } from '../io/atomic.js';
import { SAMPLE_FRAME } from '../collect/ink.js';
import { SampleFolder, slugOf } from '../collect/sample-folder.js';
import { createCollectServer, DEFAULT_RATE, loadCollectPages, type CollectEvent } from '../server/collect-app.js';
import { listen, shutdown } from '../server/app.js';
import { parseAllowHosts, RequestGuard } from '../server/guard.js';
import { untilInterrupted } from '../server/interrupted.js';

/** Beside vae serve's 8080, so both can run at once. */
export const DEFAULT_COLLECT_PORT = 8090;
const MAX_PROMPT_LENGTH = 60;

const flags = {
  out: { kind: 'string', required: true, help: 'Folder the samples are written to (created if missing)', valueName: 'DIR' },
  prompt: { kind: 'string', default: 'hello', help: 'The word people are asked to write; it also names the files (hello-0001.png)', valueName: 'TEXT' },
  port: { kind: 'int', min: 0, max: 65535, default: DEFAULT_COLLECT_PORT, help: 'Port to listen on (0: any free port)' },
  host: {
    kind: 'string',
    default: '127.0.0.1',
    help: 'Address to listen on (0.0.0.0 lets the phones of a room reach it, with a token in the address and a QR code of it)',
    valueName: 'H',
  },
  allowHost: allowHostFlag,
  rate: { kind: 'int', min: 1, max: 10_000, default: DEFAULT_RATE, help: 'Submissions each device (remote address) may send per minute' },
} as const;

export const collectCommand: Command = {
  name: 'collect',
  summary:
    'Collect handwriting from phones. Serves a drawing pad for one word and a gallery of what came in; each submission becomes a 32x128 grey PNG in --out, ready for vae train --dataset folder:DIR.',
  flags,
  async run(argv) {
    const opts = parseFlags('vae collect', argv, flags);
    const prompt = opts.prompt.trim();
    if (prompt === '') throw new UserError('vae collect: --prompt needs a word to write');
    if (prompt.length > MAX_PROMPT_LENGTH || /[\u0000-\u001f\u007f]/.test(prompt)) {
      throw new UserError(`vae collect: --prompt must be one line of at most ${MAX_PROMPT_LENGTH} characters`);
    }
    const guard = new RequestGuard({ allowHosts: parseAllowHosts(opts.allowHost) });
    const folder = new SampleFolder(opts.out, slugOf(prompt));
    const server = createCollectServer({ folder, prompt, pages: loadCollectPages(), guard, rate: opts.rate, frame: SAMPLE_FRAME, onEvent: logEvent });
    await listen(server, opts.host, opts.port);
    // The folder is made once the port is ours, so a port in use or a wrong --host leaves no empty folder behind.
    try {
      ensureWritableDir(opts.out);
    } catch (err) {
      await shutdown(server);
      throw err;
    }

    const already = folder.list().length;
    const [url, ...others] = guard.urls('/');
    const where = guard.exposed ? 'open on the phones of this network' : 'open';
    process.stdout.write(
      `vae collect: "${prompt}" drawings go to ${opts.out} as ${folder.slug}-NNNN.png, ${SAMPLE_FRAME.height}x${SAMPLE_FRAME.width} grey` +
        `${already > 0 ? ` (${already} sample${already === 1 ? '' : 's'} there already)` : ''}\n` +
        `${where} ${url}  (Ctrl-C to stop)\n` +
        others.map((u) => `${' '.repeat(where.length - 2)}or ${u}\n`).join('') +
        `gallery at ${guard.urls('/gallery')[0]}\n`,
    );
    if (guard.exposed) {
      // Small: two rows of modules per line, so the code of an address with its token fits a terminal.
      const code = await qrCode(url!, { type: 'terminal', small: true });
      // Its last line ends in colour codes without a newline; the log that follows starts on its own line.
      process.stdout.write(code.endsWith('\n') ? code : `${code}\n`);
      process.stderr.write(
        `vae collect: warning: listening on ${opts.host}, beyond this machine: anyone with the address above (token included) can send drawings to ${opts.out} and delete them\n`,
      );
    }
    await untilInterrupted();
    await shutdown(server);
    const count = folder.list().length;
    process.stdout.write(`vae collect: stopped; ${count} sample${count === 1 ? '' : 's'} in ${opts.out}\n`);
    return 0;
  },
};

function logEvent(event: CollectEvent): void {
  switch (event.kind) {
    case 'saved':
      process.stdout.write(`saved ${event.file} (from ${event.client})\n`);
      break;
    case 'deleted':
      process.stdout.write(`deleted ${event.file} (from ${event.client})\n`);
      break;
    case 'refused':
      process.stdout.write(`refused a request from ${event.client}: ${event.reason} (${event.status})\n`);
      break;
    case 'aborted':
      process.stdout.write(`an upload from ${event.client} broke off; nothing was written\n`);
      break;
  }
}
