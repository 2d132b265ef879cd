/**
 * What a request asks for, decided on the raw request target before any decoding or
 * normalization, so that no spelling of a path can reach outside what the server means to
 * serve. Routes are exact strings; files are plain names looked up in an allow list or a
 * single folder, never joined from pieces of the URL.
 */

/** A file name the server will consider: letters, digits, dot, dash, underscore; no leading dot. */
const PLAIN_NAME = /^[A-Za-z0-9_-][A-Za-z0-9._-]{0,127}$/;

/**
 * The path of a request target ("/a/b?x=1" -> "/a/b"), or null when it is anything but a
 * plain absolute path: percent-escapes (%2e%2e, %2f, ...), backslashes, dot segments, empty
 * segments, or an absolute-form target ("http://host/...").
 */
export function plainPath(target: string | undefined): string | null {
  if (target === undefined || !target.startsWith('/')) return null;
  const q = target.indexOf('?');
  const path = q === -1 ? target : target.slice(0, q);
  if (path.includes('%') || path.includes('\\') || path.includes('//')) return null;
  if (path.split('/').some((seg) => seg === '.' || seg === '..')) return null;
  return path;
}

/** The one plain file name after `prefix` ("/files/" + "metrics.jsonl"), or null. */
export function nameUnder(path: string, prefix: string): string | null {
  if (!path.startsWith(prefix)) return null;
  const name = path.slice(prefix.length);
  return PLAIN_NAME.test(name) && !name.includes('..') ? name : null;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.jsonl': 'application/x-ndjson; charset=utf-8',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
  '.safetensors': 'application/octet-stream',
  '.txt': 'text/plain; charset=utf-8',
  '.csv': 'text/csv; charset=utf-8',
  '.gif': 'image/gif',
};

/** The content type for a file name, or null for kinds of file the server does not hand out. */
export function contentType(name: string): string | null {
  const dot = name.lastIndexOf('.');
  if (dot <= 0) return null;
  return TYPES[name.slice(dot).toLowerCase()] ?? null;
}
