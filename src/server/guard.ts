/**
 * Whose requests a page server answers, decided before any route runs (the model is
 * Jupyter's server: a token in the printed address, Host and Origin checks).
 *
 * - Host: only the server's own names. A page on another site that re-points its own name
 *   at this machine (DNS rebinding) becomes same-origin with the server in the browser's eyes,
 *   but its requests still carry that foreign name in Host, and are refused.
 * - A secret token per process. Pages get it from the server (in the HTML, and as a
 *   SameSite=Strict HttpOnly cookie after a first visit with `?token=`); every request that
 *   changes state carries it in a header, which a cross-site form cannot set and a cross-site
 *   script cannot set without a CORS preflight this server never grants.
 * - Origin: a state-changing request must come from the server's own origin, so that even a
 *   leaked token cannot be used by another site's page.
 * - Bound beyond loopback, anyone on the network can connect, so every route, reads included,
 *   needs the token: the weights, the checkpoint and config.json (with the dataset's path)
 *   are no one else's business.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { isIP } from 'node:net';
import { networkInterfaces } from 'node:os';
import { UserError } from '../errors.js';

/** The header a page's state-changing requests carry the token in. */
export const TOKEN_HEADER = 'x-vae-token';
/** The query parameter of the printed address. */
export const TOKEN_PARAM = 'token';

export interface GuardOptions {
  /** Further names the server answers to (`--allow-host`): "name" (any port) or "name:port". */
  allowHosts?: readonly string[];
  /** The secret; a fresh random one unless a test fixes it. */
  token?: string;
}

export type Verdict = { allowed: true; setCookie: string | null } | { allowed: false; status: number; reason: string };

/** A Host value split into a lowercased name (IPv6 in brackets) and an optional port. */
interface HostName {
  name: string;
  port: number | null;
}

const LOOPBACK_NAMES = ['localhost', '127.0.0.1', '[::1]'];
const SAFE_METHODS = new Set(['GET', 'HEAD']);

export class RequestGuard {
  readonly token: string;
  private readonly extraNames: HostName[];
  private bound: { host: string; address: string; port: number } | null = null;
  /** name -> the ports it may come with, or null for any port. */
  private names = new Map<string, Set<number> | null>();

  constructor(options: GuardOptions = {}) {
    this.token = options.token ?? randomBytes(24).toString('hex');
    this.extraNames = (options.allowHosts ?? []).map(parseAllowedHost);
  }

  /**
   * Called once the server listens.
   * @param host the address or name it was asked to listen on
   * @param address the address it actually listens on (a name resolved)
   */
  bind(host: string, address: string, port: number): void {
    this.bound = { host, address, port };
    const names = new Map<string, Set<number> | null>();
    const allow = (name: string, port: number | null): void => {
      const ports = names.get(name);
      // A name given without a port is answered on any (a proxy in front may use 80 or 443).
      if (port === null || ports === null) names.set(name, null);
      else names.set(name, new Set([...(ports ?? []), port]));
    };
    const own = [...LOOPBACK_NAMES, bracketed(host), bracketed(address)];
    if (isWildcard(address)) own.push(...interfaceAddresses(address, true).map(bracketed));
    for (const name of own) if (name !== '' && !isWildcard(unbracketed(name))) allow(name.toLowerCase(), port);
    for (const extra of this.extraNames) allow(extra.name, extra.port);
    this.names = names;
  }

  /** True when the server listens beyond loopback, where every route needs the token. */
  get exposed(): boolean {
    if (this.bound === null) throw new Error('RequestGuard.exposed asked before bind()');
    return !isLoopback(this.bound.address);
  }

  /** The cookie a browser keeps the token in; cookies ignore ports, so the name carries one. */
  get cookieName(): string {
    return `vae-token-${this.bound?.port ?? 0}`;
  }

  check(req: IncomingMessage): Verdict {
    if (this.bound === null) throw new Error('RequestGuard.check before bind()');
    const host = req.headers.host;
    const parsed = host === undefined ? null : parseHost(host);
    if (parsed === null || !this.isOwnName(parsed)) {
      return refuse(403, 'this server does not answer to that host name (add one with --allow-host NAME)');
    }
    const method = req.method ?? 'GET';
    if (!SAFE_METHODS.has(method)) {
      // Only the header counts here: a cookie rides along with cross-site requests by design.
      if (!this.matches(single(req.headers[TOKEN_HEADER]))) return refuse(403, `a request that changes state needs the page's token in ${TOKEN_HEADER}`);
      if (!sameOrigin(single(req.headers.origin), host!)) return refuse(403, "a request that changes state needs this server's Origin");
      return { allowed: true, setCookie: null };
    }
    const fromQuery = this.matches(queryToken(req.url));
    const presented = fromQuery || this.matches(single(req.headers[TOKEN_HEADER])) || this.matches(cookieValue(req.headers.cookie, this.cookieName));
    if (this.exposed && !presented) {
      return refuse(403, 'this server listens beyond this machine: open the address it printed, with its token');
    }
    return { allowed: true, setCookie: fromQuery ? `${this.cookieName}=${this.token}; Path=/; HttpOnly; SameSite=Strict` : null };
  }

  /**
   * The addresses to give people: on loopback the plain one; beyond it, the addresses other
   * machines can reach, each with the token.
   */
  urls(path = '/'): string[] {
    if (this.bound === null) throw new Error('RequestGuard.urls before bind()');
    const { host, address, port } = this.bound;
    if (!this.exposed) return [`http://${bracketed(host === 'localhost' ? host : address)}:${port}${path}`];
    let hosts = isWildcard(address) ? interfaceAddresses(address, false) : [host];
    if (hosts.length === 0) hosts = ['127.0.0.1'];
    const query = `${path.includes('?') ? '&' : '?'}${TOKEN_PARAM}=${this.token}`;
    return hosts.map((h) => `http://${bracketed(h)}:${port}${path}${query}`);
  }

  /** What to tell the person who started a server reachable from other machines; null on loopback. */
  warning(): string | null {
    if (this.bound === null || !this.exposed) return null;
    return (
      `warning: listening on ${this.bound.host}, beyond this machine: anyone with the address above (token included) ` +
      `can read the model, its checkpoint and the run's files, config.json with the dataset's path among them`
    );
  }

  private isOwnName({ name, port }: HostName): boolean {
    const ports = this.names.get(name);
    if (ports === undefined) return false;
    // No port in Host means the scheme's default.
    return ports === null || ports.has(port ?? 80);
  }

  private matches(candidate: string | undefined): boolean {
    if (candidate === undefined) return false;
    const a = Buffer.from(candidate);
    const b = Buffer.from(this.token);
    return a.length === b.length && timingSafeEqual(a, b);
  }
}

/** `--allow-host a.example,b.example:8080`: the names, each checked; one line naming a bad one. */
export function parseAllowHosts(value: string | undefined): string[] {
  if (value === undefined) return [];
  const names = value.split(',').map((s) => s.trim()).filter((s) => s !== '');
  for (const name of names) parseAllowedHost(name);
  return names;
}

function parseAllowedHost(text: string): HostName {
  const parsed = parseHost(text);
  if (parsed === null) throw new UserError(`--allow-host: "${text}" is not a host name (a name, an address, or either with :PORT)`);
  return parsed;
}

const NAME = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/;

/** "Name:port", "1.2.3.4", "[::1]:8080" -> name and port; null for anything else. */
export function parseHost(text: string): HostName | null {
  const value = text.trim().toLowerCase();
  let name: string;
  let rest: string;
  if (value.startsWith('[')) {
    const end = value.indexOf(']');
    if (end === -1) return null;
    name = value.slice(0, end + 1);
    if (isIP(name.slice(1, -1)) !== 6) return null;
    rest = value.slice(end + 1);
  } else {
    const colon = value.indexOf(':');
    name = colon === -1 ? value : value.slice(0, colon);
    rest = colon === -1 ? '' : value.slice(colon);
    if (name.length > 253 || !NAME.test(name)) return null;
  }
  if (rest === '') return { name, port: null };
  if (!/^:\d{1,5}$/.test(rest)) return null;
  const port = Number(rest.slice(1));
  return port >= 1 && port <= 65535 ? { name, port } : null;
}

/** "http://host:port" (or https, behind a proxy) whose host part is exactly the request's Host. */
function sameOrigin(origin: string | undefined, host: string): boolean {
  if (origin === undefined) return false;
  const o = origin.toLowerCase();
  const h = host.trim().toLowerCase();
  return o === `http://${h}` || o === `https://${h}`;
}

function queryToken(target: string | undefined): string | undefined {
  const q = target?.indexOf('?') ?? -1;
  if (q === -1) return undefined;
  return new URLSearchParams(target!.slice(q + 1)).get(TOKEN_PARAM) ?? undefined;
}

function cookieValue(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq !== -1 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

function single(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? undefined : value;
}

function refuse(status: number, reason: string): Verdict {
  return { allowed: false, status, reason };
}

function isWildcard(address: string): boolean {
  return address === '' || address === '0.0.0.0' || address === '::' || address === '[::]';
}

/** 127.0.0.0/8, ::1 (also as ::ffff:127.x), or the name localhost. */
export function isLoopback(address: string): boolean {
  const a = unbracketed(address).toLowerCase();
  if (a === 'localhost' || a === '::1') return true;
  const v4 = a.startsWith('::ffff:') ? a.slice(7) : a;
  return isIP(v4) === 4 && v4.startsWith('127.');
}

/**
 * This machine's addresses beyond loopback that a wildcard bind reaches: 0.0.0.0 the IPv4
 * ones; :: (dual-stack) IPv4 and IPv6. Link-local IPv6 addresses need a zone to be usable in
 * a URL, so they are answered to but not printed.
 */
function interfaceAddresses(wildcard: string, includeLinkLocal: boolean): string[] {
  const v4: string[] = [];
  const v6: string[] = [];
  for (const list of Object.values(networkInterfaces())) {
    for (const info of list ?? []) {
      if (info.internal) continue;
      if (info.family === 'IPv4') v4.push(info.address);
      else if (wildcard !== '0.0.0.0' && (includeLinkLocal || !info.address.toLowerCase().startsWith('fe80:'))) v6.push(info.address);
    }
  }
  return [...v4, ...v6];
}

function bracketed(host: string): string {
  return isIP(host) === 6 ? `[${host}]` : host;
}

function unbracketed(host: string): string {
  return host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
}
