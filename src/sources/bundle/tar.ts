// Support bundles read as a stream of tar entries, never unpacked: each entry's bytes go straight
// to a scanner. Entries that would land outside the bundle (absolute, `..`, links) are never followed.
import { createReadStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable, Transform } from 'node:stream';
import { finished, pipeline } from 'node:stream/promises';
import { createWriteStream } from 'node:fs';
import tarStream from 'tar-stream';
import type { Catalog } from '../../catalog/load.js';
import { compressionOfName, decompress, emptyCompressedReason, sniffCompression, withoutCompressionSuffix, type Compression } from '../decompress.js';
import { looksBinary, type InputPlan } from '../inputs.js';
import { isJournalFile, journalSource } from '../journal.js';
import type { ByteSource } from '../stream.js';
import { fallbackLayout, layouts, type CompiledLayout } from './layouts.js';

export const LIMITS = {
  /** decompressed bytes read from one entry; the rest is skipped and the report says so */
  entryBytes: 2 * 1024 ** 3,
  /** decompressed bytes read from one archive before giving up on it (compression bombs) */
  totalBytes: 32 * 1024 ** 3,
};

/** A size as people write limits: `10 KiB`, not `0 MiB`. */
export function human(n: number): string {
  const units = [[1024 ** 3, 'GiB'], [1024 ** 2, 'MiB'], [1024, 'KiB']] as const;
  for (const [size, unit] of units) if (n >= size) return `${+(n / size).toFixed(1)} ${unit}`;
  return `${n} B`;
}

export function isTarHeader(head: Buffer): boolean {
  return head.length >= 262 && head.toString('latin1', 257, 262) === 'ustar';
}

/** Stops passing bytes after `max`; the rest is drained and counted. */
class Cap extends Transform {
  seen = 0;
  private cut = false;
  constructor(private max: number, private onCut: (max: number) => void) {
    super();
  }
  override _transform(chunk: Buffer, _e: BufferEncoding, cb: () => void): void {
    const before = this.seen;
    this.seen += chunk.length;
    if (before < this.max) this.push(this.seen > this.max ? chunk.subarray(0, this.max - before) : chunk);
    // The first byte beyond the limit (a chunk may end exactly on it).
    if (!this.cut && this.seen > this.max) {
      this.cut = true;
      this.onCut(this.max);
    }
    cb();
  }
}

function safeRelative(name: string): string | undefined {
  if (name.startsWith('/') || /^[A-Za-z]:[\\/]/.test(name)) return undefined;
  const norm = path.posix.normalize(name.replace(/\\/g, '/'));
  if (norm === '..' || norm.startsWith('../') || norm.includes('/../')) return undefined;
  return norm.replace(/^\.\//, '').replace(/\/$/, '');
}

/** Read a stream to its end (or its error), so the tar parser can reach the next entry. */
async function drain(r: Readable): Promise<void> {
  if (r.readableEnded || r.destroyed) return;
  r.resume();
  await finished(r).catch(() => undefined);
}

async function firstChunk(r: Readable): Promise<{ head: Buffer; rest: Readable }> {
  const it = r[Symbol.asyncIterator]();
  const first = await it.next();
  const head = first.done ? Buffer.alloc(0) : (first.value as Buffer);
  const rest = Readable.from((async function* () {
    if (head.length) yield head;
    for (;;) {
      const n = await it.next();
      if (n.done) return;
      yield n.value as Buffer;
    }
  })(), { objectMode: false });
  return { head, rest };
}

/** `open`: the archive decompressed from its first byte, when the caller already holds a reader.
 *  `refTime`: the year reference of stamps without one; a function when only the archive's own top
 *  directory and first entry's mtime can tell (a bundle on stdin has no file name or mtime). */
export async function openBundle(file: string, comp: Compression, catalog: Catalog, refTime: number | ((topDir: string, mtime: number | undefined) => number), open?: () => Promise<Readable>): Promise<InputPlan> {
  const notes: string[] = [];
  const candidates = layouts(catalog);
  const plan: InputPlan = { path: file, kind: 'directory', notes, sources: entries() };
  let capped = false;
  // A limit reached is a partial read: it counts as unreadable in part for the exit code.
  const limit = (note: string): void => { plan.partial = true; notes.push(note); };

  async function* entries(): AsyncIterable<ByteSource> {
    const dec = open ? await open() : comp === 'none' ? createReadStream(file, { highWaterMark: 1 << 20 }) : await decompress({ file }, comp);
    const counted = new Cap(LIMITS.totalBytes, (n) => { capped = true; limit(`stopped after ${human(n)} decompressed (limit; a compression bomb?): the rest of the archive was not read (raise --max-total-bytes to read it all)`); });
    const extract = tarStream.extract();
    // A decoder that fails (a truncated .gz) may do so long before the entries it already produced
    // are read: end the tar input there, so those entries are still read; the error is raised after.
    let decError: Error | undefined;
    dec.on('error', (e: Error) => { decError = e; counted.end(); });
    dec.pipe(counted).pipe(extract);
    let layout: CompiledLayout | undefined;
    let root = '';
    let time = { refTime: typeof refTime === 'number' ? refTime : 0 };
    const unsafe: string[] = [];
    let links = 0;
    let entriesSeen = 0;
    let lastEntry = '(none)';
    try {
      for await (const entry of extract) {
        entriesSeen++;
        const h = entry.header;
        lastEntry = h.name;
        const rel0 = safeRelative(h.name);
        if (!layout) {
          const top = (rel0 ?? '').split('/')[0];
          layout = candidates.find((l) => l.isTopDir(top));
          if (layout) root = top;
          else layout = fallbackLayout(catalog);
          plan.kind = layout.layout.inputKind;
          if (typeof refTime === 'function') time = { refTime: refTime(top, h.mtime && h.mtime.getTime() > 0 ? h.mtime.getTime() : undefined) };
        }
        if (rel0 === undefined) { unsafe.push(h.name); entry.resume(); continue; }
        if (h.type === 'symlink' || h.type === 'link') {
          // Links are never followed; their targets inside the bundle are read as entries anyway.
          const target = h.type === 'symlink' ? path.posix.join(path.posix.dirname(rel0), h.linkname ?? '') : (h.linkname ?? '');
          if (!h.linkname || h.linkname.startsWith('/') || safeRelative(target) === undefined) links++;
          entry.resume();
          continue;
        }
        if (h.type !== 'file' && h.type !== 'contiguous-file') { entry.resume(); continue; }
        const rel = root && rel0.startsWith(`${root}/`) ? rel0.slice(root.length + 1) : rel0;
        const role = layout.roleOf(rel);
        if (!role) { entry.resume(); continue; }
        const { head, rest } = await firstChunk(entry as unknown as Readable);
        const named = head.length ? undefined : compressionOfName(rel);
        if (named) {
          const reason = emptyCompressedReason(named);
          yield { info: { source: rel, path: withoutCompressionSuffix(rel), role: role.role, format: role.format, time }, readable: () => Promise.reject(new Error(reason)) };
          await drain(rest);
          continue;
        }
        if (isJournalFile(head)) {
          // journalctl reads only real files: a private temp copy, removed right after.
          const dir = await mkdtemp(path.join(tmpdir(), 'cni-doctor-'));
          const tmp = path.join(dir, 'entry.journal');
          try {
            await pipeline(rest, new Cap(LIMITS.entryBytes, (n) => limit(`${rel}: cut at the entry limit (${human(n)}; raise --max-entry-bytes to read it all)`)), createWriteStream(tmp));
            yield journalSource(tmp, time, rel);
          } finally {
            await rm(dir, { recursive: true, force: true });
          }
          continue;
        }
        const c = sniffCompression(head);
        const inner = c === 'none' ? rel : withoutCompressionSuffix(rel);
        if (c === 'none' && looksBinary(head)) { await drain(rest); continue; }
        const cap = new Cap(LIMITS.entryBytes, (n) => limit(`${rel}: read the first ${human(n)} only (entry size limit): raise --max-entry-bytes to read it all`));
        const readable = async (): Promise<Readable> => {
          const body = c === 'none' ? rest : await decompress(rest, c);
          // The reader may be gone by the time the entry fails (it took what it could): not a crash.
          body.on('error', (e) => { if (!cap.destroyed) cap.destroy(decError ?? e); });
          cap.on('error', () => { /* seen by the reader, if it is still reading */ });
          return body.pipe(cap);
        };
        yield { info: { source: rel, path: inner, role: role.role, format: role.format, time }, readable };
        // The scanner may have stopped early (a corrupt inner file): drain the entry to reach the next.
        await drain(rest);
      }
      if (decError) throw decError;
    } catch (e) {
      // Reaching the total limit ends the archive early on purpose: already said in the notes.
      if (capped) return;
      const reason = (decError ?? (e as Error)).message.replace(/\s+/g, ' ');
      throw Object.assign(new Error(entriesSeen === 0
        ? `not a readable tar archive (${reason})`
        : `archive cut short or corrupt after entry ${lastEntry} (${reason}): the entries before it were read`), { partialArchive: entriesSeen > 0 });
    } finally {
      if (unsafe.length) notes.push(`ignored ${unsafe.length} entr${unsafe.length > 1 ? 'ies' : 'y'} with a path outside the bundle (${unsafe.slice(0, 3).join(', ')})`);
      if (links) notes.push(`did not follow ${links} link entr${links > 1 ? 'ies' : 'y'} pointing outside the bundle`);
      dec.destroy();
    }
  }
  return plan;
}

