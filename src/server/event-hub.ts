/**
 * Server-sent events to any number of pages. Each client gets its own response stream; one
 * that disconnects, or reads too slowly, is dropped without touching the others. A client
 * that arrives late first receives `welcome()` frames, so a page opened mid-run shows the run
 * so far, not just what happens next.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';

export interface ServerEvent {
  type: string;
  data: unknown;
}

/** A client buffering more than this is not keeping up; it is dropped and may reconnect. */
const MAX_BUFFERED_BYTES = 8 * 1024 * 1024;
const HEARTBEAT_MS = 15_000;

export function frame(event: ServerEvent): string {
  return `event: ${event.type}\ndata: ${JSON.stringify(event.data)}\n\n`;
}

export class EventHub {
  private readonly clients = new Set<ServerResponse>();
  private heartbeat: NodeJS.Timeout | null = null;
  private closed = false;

  /** @param welcome the events that bring a newly connected page up to date */
  constructor(private readonly welcome: () => ServerEvent[] = () => []) {}

  get clientCount(): number {
    return this.clients.size;
  }

  /** Turns a request into an event stream that lives until the client goes away. */
  attach(_req: IncomingMessage, res: ServerResponse): void {
    if (this.closed) {
      res.writeHead(503, { 'content-type': 'text/plain; charset=utf-8' }).end('shutting down\n');
      return;
    }
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      connection: 'keep-alive',
      'x-content-type-options': 'nosniff',
    });
    // A page reconnects on its own after a dropped stream; tell it not to hammer.
    res.write('retry: 2000\n\n');
    this.clients.add(res);
    const drop = (): void => {
      this.clients.delete(res);
    };
    // The response's close, not the request's: a request "closes" as soon as its body is read.
    res.on('close', drop);
    res.on('error', drop);
    for (const event of this.welcome()) this.send(res, frame(event));
    if (this.heartbeat === null) {
      // A comment line now and then keeps proxies and idle timeouts from closing quiet streams.
      this.heartbeat = setInterval(() => this.broadcastRaw(': keep-alive\n\n'), HEARTBEAT_MS);
      this.heartbeat.unref();
    }
  }

  publish(type: string, data: unknown): void {
    if (this.clients.size === 0) return;
    this.broadcastRaw(frame({ type, data }));
  }

  /**
   * Ends every stream; pages see the end and stop waiting. Resolves once the last frames
   * have been handed to the network, or after `graceMs` for a client that does not read.
   */
  close(graceMs = 1000): Promise<void> {
    this.closed = true;
    if (this.heartbeat !== null) clearInterval(this.heartbeat);
    this.heartbeat = null;
    const ending = [...this.clients].map((res) => new Promise<void>((resolve) => res.end(resolve)));
    this.clients.clear();
    if (ending.length === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, graceMs);
      void Promise.all(ending).then(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  private broadcastRaw(text: string): void {
    for (const res of this.clients) this.send(res, text);
  }

  private send(res: ServerResponse, text: string): void {
    if (res.destroyed || res.writableEnded) {
      this.clients.delete(res);
      return;
    }
    if (res.writableLength > MAX_BUFFERED_BYTES) {
      this.clients.delete(res);
      res.destroy();
      return;
    }
    res.write(text);
  }
}
