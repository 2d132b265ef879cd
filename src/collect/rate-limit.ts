/**
 * At most `limit` submissions per client in any window of `windowMs` (a sliding window of
 * the times of each client's last submissions), so one phone, or one script, cannot fill
 * the folder or the disk while a class is drawing.
 */
export class RateLimit {
  private readonly times = new Map<string, number[]>();

  constructor(
    readonly limit: number,
    readonly windowMs = 60_000,
    private readonly now: () => number = Date.now,
  ) {
    if (!(Number.isInteger(limit) && limit >= 1)) throw new RangeError(`RateLimit: limit ${limit}`);
  }

  /**
   * Counts one submission of `client`; 0 when it may go ahead, else the milliseconds until
   * it may submit again (the refused attempt is not counted).
   */
  take(client: string): number {
    const now = this.now();
    this.forgetOld(now);
    const times = this.times.get(client) ?? [];
    if (times.length >= this.limit) return Math.max(1, times[0]! + this.windowMs - now);
    times.push(now);
    this.times.set(client, times);
    return 0;
  }

  /** Drops what lies outside the window, and clients with nothing in it, so the map stays small. */
  private forgetOld(now: number): void {
    for (const [client, times] of this.times) {
      let drop = 0;
      while (drop < times.length && times[drop]! <= now - this.windowMs) drop++;
      if (drop === times.length) this.times.delete(client);
      else if (drop > 0) times.splice(0, drop);
    }
  }
}
