// Which files of a bundle are logs, which are fact sources, and in what format: declared per layout
// in patterns/layouts/*.yaml, matched with globs because names drift between versions.
import { stat } from 'node:fs/promises';
import path from 'node:path';
import picomatch from 'picomatch';
import type { Catalog } from '../../catalog/load.js';
import type { Format, Layout } from '../../catalog/schema.js';
import { compressionOfName, decompress, emptyCompressedReason, sniffCompression, withoutCompressionSuffix } from '../decompress.js';
import { looksBinary, readHead, type InputPlan } from '../inputs.js';
import { isJournalFile, journalSource } from '../journal.js';
import type { ByteSource } from '../stream.js';

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

/** The moment a bundle was made, from its file name as the layouts declare it (`nameDates`), for
 *  the year of stamps that lack one; the file's mtime otherwise. */
export function bundleRefTime(catalog: Catalog, file: string, mtime: number): number {
  const name = path.basename(file);
  for (const l of catalog.layouts) {
    for (const src of l.nameDates) {
      const g = new RegExp(src).exec(name)?.groups;
      if (!g) continue;
      return Date.UTC(+g.year, +g.month - 1, +g.day, +(g.hour ?? 23), +(g.minute ?? 59), +(g.second ?? 59));
    }
  }
  return mtime;
}

export function layouts(catalog: Catalog): CompiledLayout[] {
  const order = (l: Layout): number => (l.id === 'directory' ? 1 : 0);
  return [...catalog.layouts].sort((a, b) => order(a) - order(b)).map(compileLayout);
}

export function fallbackLayout(catalog: Catalog): CompiledLayout {
  const l = catalog.layouts.find((x) => x.id === 'directory');
  return compileLayout(l ?? { kind: 'layout', id: 'directory', inputKind: 'directory', description: '', topDir: [], detect: ['**'], logs: ['**'], facts: [], formats: {}, nameDates: [] });
}

/** An unpacked bundle or any directory of logs. Symbolic links are never followed. */
export async function planDirectory(dir: string, catalog: Catalog): Promise<InputPlan> {
  // Loaded here, not at the top: only directories need it, and it costs 40 ms of every start.
  const { default: fg } = await import('fast-glob');
  const all = (await fg('**/*', { cwd: dir, onlyFiles: true, followSymbolicLinks: false, dot: true, suppressErrors: true })).sort();
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
  chosen ??= fallbackLayout(catalog);
  const notes: string[] = [];
  const binary: string[] = [];
  const prefix = root ? `${root}/` : '';
  const files = all.filter((f) => f.startsWith(prefix)).map((f) => f.slice(prefix.length));
  const layout = chosen;
  async function* sources(): AsyncIterable<ByteSource> {
    for (const rel of files) {
      const role = layout.roleOf(rel);
      if (!role) continue;
      const full = path.join(dir, prefix, rel);
      let h: Buffer;
      let mtime: number;
      try {
        h = await readHead(full);
        mtime = (await stat(full)).mtimeMs;
      } catch (e) {
        notes.push(`${rel}: cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}): skipped`);
        continue;
      }
      const time = { refTime: mtime };
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
        if (looksBinary(h)) { binary.push(rel); continue; }
        yield { info: { source: rel, path: rel, role: role.role, format: role.format, time }, file: full };
      } else {
        const inner = withoutCompressionSuffix(rel);
        yield { info: { source: rel, path: inner, role: role.role, format: role.format, time }, readable: () => decompress({ file: full }, comp) };
      }
    }
    if (binary.length) notes.push(`skipped ${binary.length} binary file${binary.length > 1 ? 's' : ''} (${binary.slice(0, 3).join(', ')}${binary.length > 3 ? ', …' : ''})`);
  }
  return { path: dir, kind: layout.layout.inputKind, sources: sources(), notes };
}
