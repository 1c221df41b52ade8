// Which files of a bundle are logs, which are fact sources, and in what format: declared per layout
// in patterns/layouts/*.yaml, matched with globs because names drift between versions.
import { constants as fsConstants, readdir as fsReaddir } from 'node:fs';
import { access, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import picomatch from 'picomatch';
import type { Catalog } from '../../catalog/load.js';
import type { Format, Layout } from '../../catalog/schema.js';
import { compressionOfName, decompress, emptyCompressedReason, sniffCompression, withoutCompressionSuffix, type Compression } from '../decompress.js';
import type { Readable } from 'node:stream';
import { decompressedHead, looksBinary, readHead, type InputPlan } from '../inputs.js';
import { innerSources, isTarHeader, mayBeBundle, notATar, openBundle } from './tar.js';
import { isJournalFile, journalSource } from '../journal.js';
import type { ByteSource } from '../origin.js';

export interface FileRole { role: 'log' | 'facts'; format?: Format }

export interface CompiledLayout {
  layout: Layout;
  roleOf(rel: string): FileRole | undefined;
  isTopDir(name: string): boolean;
  detects(rel: string): boolean;
}

export function compileLayout(layout: Layout): CompiledLayout {
  const opts = { dot: true };
  const logs = picomatch(layout.logs, opts);
  const facts = layout.facts.length ? picomatch(layout.facts, opts) : () => false;
  const formats = Object.entries(layout.formats).map(([g, f]) => [picomatch(g, opts), f] as const);
  const top = layout.topDir.length ? picomatch(layout.topDir, opts) : () => false;
  const detect = picomatch(layout.detect, opts);
  return {
    layout,
    roleOf(rel) {
      const role = logs(rel) ? 'log' : facts(rel) ? 'facts' : undefined;
      if (!role) return undefined;
      return { role, format: formats.find(([m]) => m(rel))?.[1] };
    },
    isTopDir: (name) => top(name),
    detects: (rel) => detect(rel),
  };
}

/** The moment a bundle was made, from a name as the layouts declare it (`nameDates`), for the
 *  year of stamps that lack one. */
function nameDate(catalog: Catalog, file: string): number | undefined {
  const name = path.basename(file);
  for (const l of catalog.layouts) {
    for (const src of l.nameDates) {
      const g = new RegExp(src).exec(name)?.groups;
      if (!g) continue;
      return Date.UTC(+g.year, +g.month - 1, +g.day, +(g.hour ?? 23), +(g.minute ?? 59), +(g.second ?? 59));
    }
  }
  return undefined;
}

/** The same for an archive, once its first entry is seen: the date in its own name; else in its top
 *  directory's (a sosreport renamed on upload, `case-12345.tar.xz`, keeps it there); else the mtime
 *  of a known layout's top directory (`made`: when the bundle was made); only then the archive
 *  file's mtime, which is when it was copied or downloaded: a year late, and the same lines read
 *  again from an RFC 3339 copy no longer matched their year-less twins, counted twice. */
export function archiveRefTime(catalog: Catalog, file: string, mtime: number): (top: string, made: number | undefined) => number {
  const own = nameDate(catalog, file);
  return (top, made) => own ?? nameDate(catalog, top) ?? made ?? mtime;
}

const COMPILED = new WeakMap<Catalog, CompiledLayout[]>();

/** The catalog's layouts, compiled once per catalog (picomatch compiling is not cheap per entry). */
export function layouts(catalog: Catalog): CompiledLayout[] {
  let c = COMPILED.get(catalog);
  if (!c) {
    const order = (l: Layout): number => (l.id === 'directory' ? 1 : 0);
    c = [...catalog.layouts].sort((a, b) => order(a) - order(b)).map(compileLayout);
    COMPILED.set(catalog, c);
  }
  return c;
}

export function fallbackLayout(catalog: Catalog): CompiledLayout {
  const l = catalog.layouts.find((x) => x.id === 'directory');
  return compileLayout(l ?? { kind: 'layout', id: 'directory', inputKind: 'directory', description: '', topDir: [], detect: ['**'], logs: ['**'], facts: [], formats: {}, nameDates: [] });
}

/** Every regular file and symbolic link under `dir` (relative, sorted), without following links into
 *  directories. Listed by readdir rather than a glob: a glob's `*` skips names holding a line break,
 *  which would then be left out without a word. Unreadable directories are skipped, as before. */
/** Every file and symbolic link under `dir`, relative, sorted (fast-glob; links are not followed
 *  here). A directory that cannot be read at all is an error; an unreadable one inside it is
 *  passed over. */
async function walk(dir: string): Promise<{ files: string[]; links: string[]; unreadable: string[] }> {
  await access(dir, fsConstants.R_OK | fsConstants.X_OK);
  const { default: fg } = await import('fast-glob');
  // fast-glob passes over a directory it cannot read; its readdir is watched so the report can say so.
  const unreadable: string[] = [];
  const readdir = ((p: string, o: unknown, cb: (e: NodeJS.ErrnoException | null, r: unknown) => void) =>
    fsReaddir(p, o as { withFileTypes: true }, (e, r) => {
      if (e && e.code !== 'ENOENT') unreadable.push(`${path.relative(dir, p) || '.'} (${e.code ?? e.message})`);
      cb(e, r);
    })) as unknown as typeof fsReaddir;
  const entries = await fg('**/*', { cwd: dir, onlyFiles: false, followSymbolicLinks: false, dot: true, suppressErrors: true, objectMode: true, fs: { readdir } });
  const files: string[] = [];
  const links: string[] = [];
  for (const e of entries) {
    if (e.dirent.isFile()) files.push(e.path);
    else if (e.dirent.isSymbolicLink()) links.push(e.path);
  }
  return { files: files.sort(), links: links.sort(), unreadable: unreadable.sort() };
}

/** An unpacked bundle or any directory of logs. Symbolic links are followed only to files inside
 *  the directory; a bundle file in it (a .tar.gz, a .tar.xz) is read as the bundle it is. */
export async function planDirectory(dir: string, catalog: Catalog): Promise<InputPlan> {
  const { files: all, links: linked, unreadable } = await walk(dir);
  const candidates = layouts(catalog);
  let root = '';
  let chosen: CompiledLayout | undefined;
  // The unpacked bundle itself, or a directory holding its top directory (perhaps next to the tarball).
  const tops = [...new Set(all.filter((f) => f.includes('/')).map((f) => f.split('/')[0]))];
  for (const l of candidates) {
    if (l.layout.id === 'directory') continue;
    const t = tops.find((x) => l.isTopDir(x) && all.some((f) => f.startsWith(`${x}/`) && l.detects(f.slice(x.length + 1))));
    if (t) { chosen = l; root = t; break; }
    if (all.some((f) => l.detects(f))) { chosen = l; break; }
  }
  const fallback = !chosen;
  chosen ??= fallbackLayout(catalog);
  const notes: string[] = [];
  for (const u of unreadable) notes.push(`${u}: not read: a directory that cannot be listed (run as a user who can read it)`);
  const binary: string[] = [];
  const prefix = root ? `${root}/` : '';
  const inRoot = (f: string): boolean => f.startsWith(prefix);
  const layout = chosen;
  // A directory that could not be listed is a part not read, like a cut archive (exit 2 without a diagnosis).
  const plan: InputPlan = { path: dir, kind: layout.layout.inputKind, sources: sources(), notes, ...(unreadable.length ? { partial: true } : {}) };
  // An unpacked bundle keeps its name, and with it the date it was made (the year of stamps that
  // have none), as its tarball does; a copy's mtimes are the day of the copy.
  const named = fallback ? undefined : path.join(dir, root);
  const nameTime = (named ? nameDate(catalog, await realpath(named).catch(() => named)) : undefined) ?? NaN;
  const files = all.filter(inRoot).map((f) => f.slice(prefix.length));
  // Links to files inside the directory are read under the link's name, unless the file they point
  // to is read anyway (var/log/containers/* → ../pods/…); links that leave it are never followed.
  const realDir = await realpath(dir);
  const allSet = new Set(all);
  let outside = 0;
  for (const f of linked.filter(inRoot)) {
    const rel = f.slice(prefix.length);
    if (!layout.roleOf(rel)) continue;
    let target: string;
    try {
      target = await realpath(path.join(dir, f));
    } catch {
      notes.push(`${rel}: not read: a symbolic link to a file that does not exist`);
      continue;
    }
    const inside = path.relative(realDir, target);
    if (inside.startsWith('..') || path.isAbsolute(inside)) { outside++; continue; }
    if (!(await stat(target)).isFile()) continue;
    const t = inside.split(path.sep).join('/');
    if (allSet.has(t) && inRoot(t) && layout.roleOf(t.slice(prefix.length))) continue;
    files.push(rel);
  }
  files.sort();
  if (outside) notes.push(`did not follow ${outside} symbolic link${outside > 1 ? 's' : ''} pointing outside the directory (to read their targets, analyze a directory that holds them, e.g. /var/log rather than /var/log/containers)`);
  async function* sources(): AsyncIterable<ByteSource> {
    for (const rel of files) {
      if (/[\n\r]/.test(rel)) { notes.push(`${JSON.stringify(rel)}: not read: its name holds a line break`); continue; }
      const role = layout.roleOf(rel);
      if (!role) continue;
      const full = path.join(dir, prefix, rel);
      let h: Buffer;
      let mtime: number;
      let size: number;
      try {
        h = await readHead(full);
        ({ mtimeMs: mtime, size } = await stat(full));
      } catch (e) {
        notes.push(`${rel}: cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}): skipped`);
        continue;
      }
      const time = { refTime: Number.isNaN(nameTime) ? mtime : nameTime };
      const named = h.length ? undefined : compressionOfName(rel);
      if (named) {
        // Read as a source that fails, so that it is named and counts as unreadable like a corrupt one.
        const reason = emptyCompressedReason(named);
        yield { info: { source: rel, path: withoutCompressionSuffix(rel), role: role.role, format: role.format, time }, readable: () => Promise.reject(new Error(reason)) };
        continue;
      }
      if (isJournalFile(h)) { yield journalSource(full, time, rel); continue; }
      const comp = sniffCompression(h);
      if (comp === 'none') {
        if (isTarHeader(h)) { yield* bundle(rel, full, comp, mtime); continue; }
        if (looksBinary(h)) { binary.push(rel); continue; }
        yield { info: { source: rel, path: rel, role: role.role, format: role.format, time }, file: full };
      } else {
        const inner = withoutCompressionSuffix(rel);
        // Only a name that could be a bundle's is decompressed up front to look (see mayBeBundle).
        if (!mayBeBundle(rel, catalog)) {
          yield { info: { source: rel, path: inner, role: role.role, format: role.format, time }, readable: async () => notATar(await decompress({ file: full }, comp, 'external', size), rel) };
          continue;
        }
        let open: () => Promise<Readable>;
        try {
          const p = await decompressedHead(full, comp);
          if (isTarHeader(p.head)) { yield* bundle(rel, full, comp, mtime, p.open); continue; }
          open = p.open;
        } catch (e) {
          yield { info: { source: rel, path: inner, role: role.role, format: role.format, time }, readable: () => Promise.reject(e as Error) };
          continue;
        }
        yield { info: { source: rel, path: inner, role: role.role, format: role.format, time }, readable: open };
      }
    }
    if (binary.length) notes.push(`skipped ${binary.length} binary file${binary.length > 1 ? 's' : ''} (${binary.slice(0, 3).join(', ')}${binary.length > 3 ? ', …' : ''})`);
  }
  /** A bundle file in the directory, read as when it is given itself: its own layout, name date and
   *  facts; its entries named `file: entry`. */
  async function* bundle(rel: string, full: string, comp: Compression, mtime: number, open?: () => Promise<Readable>): AsyncIterable<ByteSource> {
    const inner = await openBundle(full, comp, catalog, archiveRefTime(catalog, full, mtime), open);
    yield* innerSources(rel, inner, plan, notes);
  }
  return plan;
}
