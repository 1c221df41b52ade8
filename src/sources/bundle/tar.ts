// Support bundles read as a stream of tar entries, never unpacked: each entry's bytes go straight
// to a scanner. Entries that would land outside the bundle (absolute, `..`, links) are never followed.
import { createReadStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PassThrough, Readable, Transform } from 'node:stream';
import { finished, pipeline } from 'node:stream/promises';
import { createWriteStream } from 'node:fs';
import tarStream from 'tar-stream';
import type { Catalog } from '../../catalog/load.js';
import { compressionOfName, decompress, emptyCompressedReason, Relay, sniffCompression, withoutCompressionSuffix, type Compression } from '../decompress.js';
import { looksBinary, peek, type InputPlan } from '../inputs.js';
import { isJournalFile, journalSource } from '../journal.js';
import type { ByteSource } from '../origin.js';
import { archiveRefTime, fallbackLayout, layouts, type CompiledLayout, type FileRole } from './layouts.js';
import { LIMITS } from './limits.js';

/** A size as people write limits: `10 KiB`, not `0 MiB`. */
export function human(n: number): string {
  const units = [[1024 ** 3, 'GiB'], [1024 ** 2, 'MiB'], [1024, 'KiB']] as const;
  for (const [size, unit] of units) if (n >= size) return `${+(n / size).toFixed(1)} ${unit}`;
  return `${n} B`;
}

/** Could this compressed file be a bundle? By its name: a tar's suffix, or a layout's top-directory
 *  name (inspection-report-…, sosreport-…). Only those are decompressed up front to look: a bundle
 *  of thousands of rotated .gz logs would otherwise start a decoder twice for each. */
export function mayBeBundle(name: string, catalog: Catalog): boolean {
  const base = path.posix.basename(name.replace(/\\/g, '/'));
  if (/\.(?:tar|tgz|txz|tzst|tbz2?)(?:\.(?:gz|xz|zst|bz2))?$/i.test(base)) return true;
  const stem = base.replace(/(?:\.[A-Za-z0-9]{1,4})+$/, '');
  return layouts(catalog).some((l) => l.isTopDir(stem));
}

/** The sources of a bundle found inside another input, named `rel: entry`; its notes and partial
 *  reads become the outer plan's. */
export async function* innerSources(rel: string, inner: InputPlan, outer: InputPlan, notes: string[]): AsyncIterable<ByteSource> {
  try {
    for await (const s of inner.sources) yield { ...s, info: { ...s.info, source: `${rel}: ${s.info.source}` } } as ByteSource;
  } catch (e) {
    outer.partial = true;
    notes.push(`${rel}: ${(e as Error).message}`);
  }
  for (const n of inner.notes) notes.push(`${rel}: ${n}`);
  if (inner.partial) outer.partial = true;
}

/** The decompressed bytes of a file whose name is no bundle's, refused when they are a tar archive
 *  (a gzipped inspect tarball renamed node1-upload.gz): scanned, its headers would read as log text. */
export async function notATar(r: Readable, name: string): Promise<Readable> {
  const p = await peek(r, 512);
  if (isTarHeader(p.head)) {
    p.stream.destroy();
    const base = path.posix.basename(name);
    const m = /^(.*)\.(gz|xz|zst|bz2)$/.exec(base);
    throw new Error(`a tar archive under a name that is not a bundle's: rename it (e.g. ${m ? `${m[1]}.tar.${m[2]}` : `${base}.tar`}) or extract it, and analyze that`);
  }
  return p.stream;
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

/** A reader of `r` that can be dropped early: once it is destroyed, `r` keeps being read (to its end,
 *  by drain()) so that the tar parser still reaches the next entry. */
function detached(r: Readable): Readable {
  const pt = new PassThrough({ highWaterMark: 1 << 20 });
  r.on('data', (c: Buffer) => { if (!pt.destroyed && !pt.write(c)) r.pause(); });
  pt.on('drain', () => r.resume());
  r.on('end', () => { if (!pt.destroyed) pt.end(); });
  r.on('error', (e) => { if (!pt.destroyed) pt.destroy(e); });
  pt.on('close', () => r.resume());
  return pt;
}

/** The data of a PAX 1.0 sparse entry without its map (decimal lines: the count, then offset and
 *  size of each data region, padded to 512 bytes): what is left is the file's data regions in order. */
class SparseMapSkip extends Transform {
  private head: Buffer | undefined = Buffer.alloc(0);
  override _transform(chunk: Buffer, _e: BufferEncoding, cb: (e?: Error) => void): void {
    if (!this.head) { this.push(chunk); cb(); return; }
    this.head = Buffer.concat([this.head, chunk]);
    let pos = 0;
    const numbers: number[] = [];
    for (;;) {
      const nl = this.head.indexOf(10, pos);
      if (nl < 0) break;
      numbers.push(Number(this.head.toString('latin1', pos, nl)));
      pos = nl + 1;
      if (numbers.length === 1 + 2 * numbers[0]) break;
    }
    if (numbers.some((n) => !Number.isSafeInteger(n) || n < 0)) { cb(new Error('a sparse map that does not parse')); return; }
    const done = numbers.length > 0 && numbers.length === 1 + 2 * numbers[0];
    if (!done) {
      if (this.head.length > 1 << 20) { cb(new Error('a sparse map over 1 MiB')); return; }
      cb();
      return;
    }
    const start = Math.ceil(pos / 512) * 512;
    if (this.head.length < start) { cb(); return; }
    const rest = this.head.subarray(start);
    this.head = undefined;
    if (rest.length) this.push(rest);
    cb();
  }
  override _flush(cb: (e?: Error) => void): void {
    // The entry ended inside its map (a cut archive): nothing of the file's data came.
    cb(this.head ? new Error('the entry ends inside its sparse map') : undefined);
  }
}

/** How many bundles deep an archive is read: a bundle inside a bundle is read, one more level is not. */
const MAX_DEPTH = 1;

/** `open`: the archive decompressed from its first byte, when the caller already holds a reader.
 *  `refTime`: the year reference of stamps without one; a function when only the archive's own top
 *  directory and first entry's mtime can tell (a bundle on stdin has no file name or mtime). */
export async function openBundle(file: string, comp: Compression, catalog: Catalog, refTime: number | ((topDir: string, mtime: number | undefined) => number), open?: () => Promise<Readable>, depth = 0): Promise<InputPlan> {
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
    // Links are never followed outside the bundle. One whose name is a log is read through its target:
    // from the target's data when that comes later in the archive (a symlink), otherwise it is named
    // as not read (a tar stream holds the data once, under the first name, and it is gone by then).
    const readAsLog = new Set<string>();
    const seenFiles = new Set<string>();
    const pending = new Map<string, { rel: string; role: FileRole }>();
    const strip = (r: string): string => (root && r.startsWith(`${root}/`) ? r.slice(root.length + 1) : r);
    const notRead = (what: string, why: string): void => { notes.push(`${what}: not read: ${why}`); };
    try {
      for await (const entry of extract) {
        entriesSeen++;
        const h = entry.header;
        lastEntry = h.name;
        // A PAX sparse entry is stored as GNUSparseFile.N/NAME; its real name is in the PAX header.
        const pax = (h.pax ?? {}) as Record<string, string | undefined>;
        const sparse = pax['GNU.sparse.major'] ?? (pax['GNU.sparse.name'] || pax['GNU.sparse.map'] ? '0' : undefined);
        const name = sparse !== undefined && pax['GNU.sparse.name'] ? pax['GNU.sparse.name'] : h.name;
        const rel0 = safeRelative(name);
        if (!layout) {
          const top = (rel0 ?? '').split('/')[0];
          layout = candidates.find((l) => l.isTopDir(top));
          if (layout) root = top;
          else layout = fallbackLayout(catalog);
          plan.kind = layout.layout.inputKind;
          // The top directory of a known layout was written last, when the bundle was made; any other
          // first entry (a plain tarball of logs) is just its file's mtime, days before the newest line.
          const made = root && h.type === 'directory' && h.mtime && h.mtime.getTime() > 0 ? h.mtime.getTime() : undefined;
          if (typeof refTime === 'function') time = { refTime: refTime(top, made) };
        }
        if (rel0 === undefined) { unsafe.push(name); entry.resume(); continue; }
        const rel = strip(rel0);
        if (/[\n\r]/.test(name)) {
          // Line-based reports cannot name it faithfully, and a line break in a name is no log's.
          if (h.type !== 'directory') notRead(JSON.stringify(rel), 'its name holds a line break');
          entry.resume();
          continue;
        }
        if (h.type === 'symlink' || h.type === 'link') {
          const target = h.type === 'symlink' ? path.posix.join(path.posix.dirname(rel0), h.linkname ?? '') : (h.linkname ?? '');
          const safeTarget = !h.linkname || h.linkname.startsWith('/') ? undefined : safeRelative(target);
          entry.resume();
          if (safeTarget === undefined) { links++; continue; }
          const role = layout.roleOf(rel);
          if (!role || readAsLog.has(safeTarget)) continue;
          if (seenFiles.has(safeTarget)) {
            notRead(rel, `a ${h.type === 'link' ? 'hard link' : 'symbolic link'} to ${strip(safeTarget)}, which came earlier in the archive and was not read as a log (its name is not one): extract the archive and analyze the directory`);
          } else if (!pending.has(safeTarget)) {
            pending.set(safeTarget, { rel, role });
          }
          continue;
        }
        // GNU tar's own sparse type ('S') is not one tar-stream names: its data is the file's data
        // regions in order, without the holes, which for a log is its text.
        const fileLike = h.type === 'file' || h.type === 'contiguous-file' || h.type === null;
        if (!fileLike) { entry.resume(); continue; }
        seenFiles.add(rel0);
        const viaLink = pending.get(rel0);
        pending.delete(rel0);
        const role = layout.roleOf(rel) ?? viaLink?.role;
        if (!role) { entry.resume(); continue; }
        // Read through a link: named by the link (the log name), from the target's data.
        const srcName = layout.roleOf(rel) ? rel : viaLink!.rel;
        if (sparse !== undefined && sparse !== '0' && sparse !== '1') {
          notRead(srcName, `a sparse entry in a format this tool does not read (GNU.sparse.major=${sparse}): extract the archive with tar and analyze the directory`);
          entry.resume();
          continue;
        }
        readAsLog.add(rel0);
        const raw = sparse === '1' ? (entry as unknown as Readable).pipe(new SparseMapSkip()) : (entry as unknown as Readable);
        if (sparse === '1') (entry as unknown as Readable).on('error', (e) => raw.destroy(e));
        const { head, rest } = await firstChunk(raw);
        const named = head.length ? undefined : compressionOfName(srcName);
        if (named) {
          const reason = emptyCompressedReason(named);
          yield { info: { source: srcName, path: withoutCompressionSuffix(srcName), role: role.role, format: role.format, time }, readable: () => Promise.reject(new Error(reason)) };
          await drain(rest);
          continue;
        }
        if (isJournalFile(head)) {
          // journalctl reads only real files: a private temp copy, removed right after.
          const dir = await mkdtemp(path.join(tmpdir(), 'cni-doctor-'));
          const tmp = path.join(dir, 'entry.journal');
          try {
            await pipeline(rest, new Cap(LIMITS.entryBytes, (n) => limit(`${srcName}: cut at the entry limit (${human(n)}; raise --max-entry-bytes to read it all)`)), createWriteStream(tmp));
            yield journalSource(tmp, time, srcName);
          } finally {
            await rm(dir, { recursive: true, force: true });
          }
          continue;
        }
        const c = sniffCompression(head);
        const inner = c === 'none' ? srcName : withoutCompressionSuffix(srcName);
        if (c === 'none' && isTarHeader(head)) {
          yield* nested(srcName, c, rest, h.mtime);
          await drain(rest);
          continue;
        }
        if (c === 'none' && looksBinary(head)) { await drain(rest); continue; }
        let body: Readable | undefined;
        if (c !== 'none' && mayBeBundle(srcName, catalog)) {
          // Decompressed here to see whether it is a bundle inside the bundle (a .tar.gz in a sosreport).
          const d = detached(rest);
          let p;
          try {
            p = await peek(await decompress(d, c), 1024);
          } catch (e) {
            yield { info: { source: srcName, path: inner, role: role.role, format: role.format, time }, readable: () => Promise.reject(e as Error) };
            await drain(rest);
            continue;
          }
          if (isTarHeader(p.head)) {
            yield* nested(srcName, c, rest, h.mtime, p.stream);
            await drain(rest);
            continue;
          }
          body = p.stream;
        }
        const cap = new Cap(LIMITS.entryBytes, (n) => limit(`${srcName}: read the first ${human(n)} only (entry size limit): raise --max-entry-bytes to read it all`));
        // detached(): a decoder that fails closes its input, and the tar parser must still reach the next entry.
        const readable = async (): Promise<Readable> => handOn(body ?? (c === 'none' ? rest : await notATar(await decompress(detached(rest), c, 'external', h.size), srcName)), cap, () => decError);
        yield { info: { source: srcName, path: inner, role: role.role, format: role.format, time }, readable };
        // The scanner may have stopped early (a corrupt inner file): drain the entry to reach the next.
        await drain(rest);
      }
      for (const [target, l] of pending) notRead(l.rel, `a symbolic link to ${strip(target)}, which is not in the archive`);
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

  /** A bundle inside this one (a sosreport's copy of an inspect tarball): read as the bundle it is,
   *  with its own layout and name date, its entries named `outer-entry: inner-entry`. One level deep. */
  async function* nested(rel: string, c: Compression, rest: Readable, mtime: Date | undefined, decoded?: Readable): AsyncIterable<ByteSource> {
    if (depth >= MAX_DEPTH) {
      decoded?.destroy();
      notes.push(`${rel}: not read: a bundle inside a bundle inside a bundle: extract it and analyze it directly`);
      return;
    }
    const stream = decoded ?? detached(rest);
    const when = mtime && mtime.getTime() > 0 ? mtime.getTime() : Date.now();
    const inner = await openBundle(rel, c, catalog, archiveRefTime(catalog, rel, when), () => Promise.resolve(stream), depth + 1);
    try {
      yield* innerSources(rel, inner, plan, notes);
    } finally {
      stream.destroy();
    }
  }

  return plan;
}

/** `body` through the entry cap, handed on to the reader: what was decoded before a failure (a
 *  corrupt .gz inside the archive) is read first, then the error. Destroying the cap on the error
 *  used to drop what it still held, which a slower reader (watch --replay's spool) had not taken. */
function handOn(body: Readable, cap: Cap, archiveError: () => Error | undefined): Readable {
  const out = new Relay(cap);
  // The reader may not have started yet (replay sets up its spool file first), or be gone: the error
  // waits in the stream for whoever reads, and must not crash the process meanwhile.
  out.on('error', () => undefined);
  let failure: Error | undefined;
  body.on('error', (e) => {
    if (failure) return;
    failure = archiveError() ?? e;
    body.unpipe(cap);
    cap.end();
  });
  cap.on('data', (c: Buffer) => out.give(c));
  cap.on('end', () => { if (failure) out.fail(failure); else out.push(null); });
  cap.on('error', (e) => out.fail(e));
  // A reader that stops early: the rest flows to nowhere, so that the archive reaches its next entry.
  out.on('close', () => { body.unpipe(cap); body.resume(); });
  body.pipe(cap);
  return out;
}

