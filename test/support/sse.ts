/**
 * One reader of the server's event stream (text/event-stream), for tests of the live feed.
 *
 *   new SseParser().push(chunk)   the complete events in the text so far, in order; keeps a
 *                                 partial event until its blank line arrives. An event is
 *                                 { type, data } with data parsed as JSON.
 *   await openEventStream(url)    GETs url, asserts status 200 and the event-stream content type,
 *                                 and collects events as they arrive:
 *                                   stream.events      every event so far
 *                                   stream.next(pred)  resolves to the first event (seen or to come)
 *                                                      that satisfies pred
 *                                   stream.ended       resolves when the server ends the stream
 *                                   stream.close()     the client goes away
 *                                   stream.res         the response, e.g. to destroy it mid-stream
 */
import assert from 'node:assert/strict';
import { get, type ClientRequest, type IncomingMessage } from 'node:http';

export interface SseEvent<T = unknown> {
  type: string;
  data: T;
}

export class SseParser {
  private buffer = '';

  push(chunk: string): SseEvent[] {
    this.buffer += chunk;
    const events: SseEvent[] = [];
    let end: number;
    while ((end = this.buffer.indexOf('\n\n')) !== -1) {
      const block = this.buffer.slice(0, end);
      this.buffer = this.buffer.slice(end + 2);
      const type = /^event: (.*)$/m.exec(block)?.[1];
      const data = /^data: (.*)$/m.exec(block)?.[1];
      if (type !== undefined && data !== undefined) events.push({ type, data: JSON.parse(data) as unknown });
    }
    return events;
  }
}

export interface EventStream<T = unknown> {
  req: ClientRequest;
  res: IncomingMessage;
  events: SseEvent<T>[];
  ended: Promise<void>;
  next(pred: (e: SseEvent<T>) => boolean): Promise<SseEvent<T>>;
  close(): void;
}

export function openEventStream<T = unknown>(url: URL | string): Promise<EventStream<T>> {
  return new Promise((resolve, reject) => {
    const req = get(url, (res) => {
      try {
        assert.equal(res.statusCode, 200);
        assert.match(String(res.headers['content-type']), /text\/event-stream/);
      } catch (err) {
        res.destroy();
        reject(err);
        return;
      }
      const parser = new SseParser();
      const events: SseEvent<T>[] = [];
      const waiting: { pred: (e: SseEvent<T>) => boolean; resolve: (e: SseEvent<T>) => void }[] = [];
      const ended = new Promise<void>((done) => {
        res.on('end', done);
        res.on('close', done);
      });
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        for (const e of parser.push(chunk) as SseEvent<T>[]) {
          events.push(e);
          for (let i = waiting.length - 1; i >= 0; i--) {
            if (waiting[i]!.pred(e)) waiting.splice(i, 1)[0]!.resolve(e);
          }
        }
      });
      // A client that goes away mid-stream is a case under test, not an error of the test.
      res.on('error', () => {});
      resolve({
        req,
        res,
        events,
        ended,
        next: (pred) => {
          const seen = events.find(pred);
          return seen !== undefined ? Promise.resolve(seen) : new Promise((r) => waiting.push({ pred, resolve: r }));
        },
        close: () => {
          req.destroy();
          res.destroy();
        },
      });
    });
    req.on('error', reject);
  });
}
