/** The toolkit's version, as package.json states it: the one number a bug report needs. */
import { readFileSync } from 'node:fs';

// The CLI runs compiled, from dist/src/cli/, three folders below package.json.
const PACKAGE_JSON = new URL('../../../package.json', import.meta.url);

export function toolkitVersion(): string {
  const pkg = JSON.parse(readFileSync(PACKAGE_JSON, 'utf8')) as { name?: unknown; version?: unknown };
  if (typeof pkg.version !== 'string') throw new Error(`${PACKAGE_JSON.pathname} has no version`);
  return pkg.version;
}
