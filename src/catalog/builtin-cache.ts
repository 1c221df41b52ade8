// The built-in catalog as parsed and validated at build time. This module stays free of the YAML
// parser, the schema library and the glob library: every run pays for what it imports, and loading
// those three cost about 150 ms of a 400 ms start. Parsing happens only when the files changed.
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Catalog } from './load.js';

/** Where the built-in catalog, parsed at build time, is kept (dist/ only). */
export const CACHE_FILE = fileURLToPath(new URL('../../patterns-cache.json', import.meta.url));

export type CachedCatalog = Omit<Catalog, 'dirs'>;
interface CacheFile extends CachedCatalog { hash: string }

export function builtinPatternDir(): string {
  // dist/src/catalog/*.js and src/catalog/*.ts sit three levels (or two) below the root.
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 4; i++) {
    dir = path.dirname(dir);
    try {
      readFileSync(path.join(dir, 'patterns', 'schema.json'));
      return path.join(dir, 'patterns');
    } catch { /* keep climbing */ }
  }
  throw new Error('built-in patterns/ directory not found next to the program');
}

/** The built-in YAML files, sorted, hidden files and directories left out. */
export function builtinFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((d) => d.isFile() && /\.ya?ml$/.test(d.name))
    .map((d) => path.join(d.parentPath, d.name))
    .filter((f) => !path.relative(dir, f).split(path.sep).some((s) => s.startsWith('.')))
    .sort();
}

/** Over the files' paths relative to `dir` and their bytes: a moved install keeps its cache, an
 *  edited, added or removed file does not. */
export function catalogHash(dir: string, files: string[]): string {
  const h = createHash('sha256');
  for (const f of files) h.update(path.relative(dir, f)).update('\0').update(readFileSync(f)).update('\0');
  return h.digest('hex');
}

/** The cached built-in catalog, or undefined when there is none or the YAML changed since. */
export function readCachedCatalog(dir: string = builtinPatternDir()): CachedCatalog | undefined {
  let c: CacheFile;
  try {
    c = JSON.parse(readFileSync(CACHE_FILE, 'utf8')) as CacheFile;
  } catch {
    return undefined; // no cache (running from src/, or never built)
  }
  if (c.hash !== catalogHash(dir, builtinFiles(dir))) return undefined;
  return withFiles(c, (f) => path.join(dir, f));
}

/** Every entry names its file; the cache keeps those relative to the patterns directory. */
function withFiles(c: CachedCatalog, map: (file: string) => string): CachedCatalog {
  return {
    patterns: c.patterns.map((x) => ({ ...x, file: map(x.file) })),
    facts: c.facts.map((x) => ({ ...x, file: map(x.file) })),
    timeline: c.timeline.map((x) => ({ ...x, file: map(x.file) })),
    pods: c.pods.map((x) => ({ ...x, file: map(x.file) })),
    layouts: c.layouts.map((x) => ({ ...x, file: map(x.file) })),
    streams: c.streams.map((x) => ({ ...x, file: map(x.file) })),
  };
}

export function cacheText(dir: string, cat: CachedCatalog): string {
  const c: CacheFile = { hash: catalogHash(dir, builtinFiles(dir)), ...withFiles(cat, (f) => path.relative(dir, f)) };
  return JSON.stringify(c);
}
