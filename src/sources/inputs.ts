// What an input path is (log file, compressed log, directory, bundle, journal, stdin) and the
// byte sources inside it. Content decides, not the name: magic numbers first, extensions second.
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import type { InputSummary } from '../engine/events.js';
import { decompress, sniffCompression, withoutCompressionSuffix, type Compression } from './decompress.js';
import { liblzma } from './liblzma.js';
import type { ByteSource } from './stream.js';
import { readAt } from './read-range.js';
import { openBundle, isTarHeader } from './bundle/tar.js';
import { journalSource, isJournalFile } from './journal.js';
import { bundleRefTime, planDirectory } from './bundle/layouts.js';
import type { Catalog } from '../catalog/load.js';

export class InputError extends Error {
  constructor(readonly input: string, reason: string) {
    super(`${input}: ${reason}`);
  }
}

export interface InputPlan {
  path: string;
  kind: InputSummary['kind'];
  /** yielded one at a time: each must be consumed before the next is asked for */
  sources: AsyncIterable<ByteSource>;
  /** problems found while listing (skipped files) */
  notes: string[];
}

export function readHead(file: string, n = 4096): Promise<Buffer> {
  return readAt(file, 0, n);
}

interface Peek {
  /** the first decompressed bytes (at least 1 KiB when there are that many) */
  head: Buffer;
  /** the whole file decompressed, from its first byte */
  open: () => Promise<Readable>;
}

/** Up to `n` bytes from a paused stream, leaving it paused and usable; an error ends the peek. */
async function readSome(r: Readable, n: number): Promise<Buffer[]> {
  const parts: Buffer[] = [];
  let got = 0;
  while (got < n && !r.destroyed && !r.readableEnded) {
    const c = r.read() as Buffer | null;
    if (c) { parts.push(c); got += c.length; continue; }
    await new Promise<void>((resolve) => {
      const done = (): void => { r.off('readable', done); r.off('end', done); r.off('close', done); resolve(); };
      r.on('readable', done); r.on('end', done); r.on('close', done);
    });
  }
  return parts;
}

/** Peek at the first decompressed bytes (to tell a .tar.gz from a .log.gz). */
async function decompressedHead(file: string, c: Compression): Promise<Peek> {
  const reopen = (): Promise<Readable> => decompress({ file }, c);
  if (c === 'xz' && liblzma()) {
    // In process, by the system liblzma: the peek's reader is the read's too, its bytes put back,
    // and it decodes ahead while the rest is set up. (A second reader cost 20–50 ms of start-up.)
    const r = await decompress({ file }, c);
    r.on('error', () => { /* parked: a reader that failed is opened again, and fails for its consumer */ });
    const parts = await readSome(r, 1024);
    let taken = false;
    return {
      head: Buffer.concat(parts),
      open: () => {
        // Taken once; a reader that ended or failed while parked is not worth repairing.
        if (taken || r.destroyed || r.readableEnded) { r.destroy(); return reopen(); }
        taken = true;
        for (let i = parts.length - 1; i >= 0; i--) r.unshift(parts[i]);
        return Promise.resolve(r);
      },
    };
  }
  // Otherwise in process too, no program started for a peek: the bundled decoders, 1 MiB at most.
  const r = await decompress(createReadStream(file, { end: 1 << 20 }), c, 'internal');
  r.on('error', () => { /* a truncated head is still a head */ });
  const parts = await readSome(r, 1024);
  r.destroy();
  return { head: Buffer.concat(parts), open: reopen };
}

/** Text or not, from the first 4 KiB: a NUL, many control bytes, or bytes that are not UTF-8 and
 *  mostly high. A log with a stray escape sequence or a Latin-1 name is still text. */
export function looksBinary(head: Buffer): boolean {
  const n = Math.min(head.length, 4096);
  if (!n) return false;
  let control = 0;
  let high = 0;
  for (let i = 0; i < n; i++) {
    const b = head[i];
    if (b === 0) return true;
    if ((b < 0x20 && b !== 9 && b !== 10 && b !== 13 && b !== 12 && b !== 27) || b === 0x7f) control++;
    else if (b >= 0x80) high++;
  }
  if (control / n > 0.05) return true;
  if (high / n > 0.3) {
    try {
      new TextDecoder('utf-8', { fatal: true }).decode(head.subarray(0, n - 4));
    } catch {
      return true;
    }
  }
  return false;
}

export async function planInput(p: string, catalog: Catalog): Promise<InputPlan> {
  if (p === '-') return planStdin();
  let st;
  try {
    st = await stat(p);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new InputError(p, code === 'ENOENT' ? 'no such file or directory' : code === 'EACCES' ? 'permission denied (run as a user who can read it)' : (e as Error).message);
  }
  if (st.isDirectory()) return planDirectory(p, catalog);
  if (!st.isFile()) throw new InputError(p, 'not a regular file or directory');
  let head: Buffer;
  try {
    head = await readHead(p);
  } catch (e) {
    throw new InputError(p, (e as NodeJS.ErrnoException).code === 'EACCES' ? 'permission denied (run as a user who can read it)' : (e as Error).message);
  }
  if (head.length === 0) return single(p, 'file', { info: fileInfo(p, p, st.mtimeMs), file: p });
  if (isJournalFile(head)) return { path: p, kind: 'journal', notes: [], sources: once(journalSource(p, { refTime: st.mtimeMs })) };
  const comp = sniffCompression(head);
  if (comp === 'none') {
    if (isTarHeader(head)) return openBundle(p, 'none', catalog, bundleRefTime(catalog, p, st.mtimeMs));
    if (looksBinary(head)) throw new InputError(p, 'binary data: not a log file, a compressed log, a tar bundle or a systemd journal');
    return single(p, 'file', { info: fileInfo(p, p, st.mtimeMs), file: p });
  }
  const { head: inner, open } = await decompressedHead(p, comp);
  if (isTarHeader(inner)) return openBundle(p, comp, catalog, bundleRefTime(catalog, p, st.mtimeMs), open);
  if (inner.length === 0) throw new InputError(p, `${comp} data that does not decompress (corrupt or truncated)`);
  if (looksBinary(inner)) throw new InputError(p, `${comp}-compressed binary data: not a log file or a tar bundle`);
  const info = fileInfo(p, withoutCompressionSuffix(p), st.mtimeMs);
  return single(p, 'file', { info, readable: open });
}

export function fileInfo(source: string, inner: string, mtimeMs: number) {
  return { source, path: inner, role: 'log' as const, time: { refTime: mtimeMs } };
}

function single(p: string, kind: InputSummary['kind'], s: ByteSource): InputPlan {
  return { path: p, kind, notes: [], sources: once(s) };
}

async function* once(s: ByteSource): AsyncIterable<ByteSource> {
  yield s;
}

function planStdin(): InputPlan {
  const src: ByteSource = {
    info: { source: 'stdin', path: 'stdin', role: 'log', time: { refTime: Date.now() } },
    readable: async () => {
      const stdin = process.stdin as Readable;
      // Compressed stdin works too: sniff the first chunk, then hand the whole stream on.
      const { PassThrough } = await import('node:stream');
      const first: Buffer = await new Promise((resolve, reject) => {
        const onData = (c: Buffer): void => { stdin.pause(); cleanup(); resolve(c); };
        const onEnd = (): void => { cleanup(); resolve(Buffer.alloc(0)); };
        const onErr = (e: Error): void => { cleanup(); reject(e); };
        const cleanup = (): void => { stdin.off('data', onData); stdin.off('end', onEnd); stdin.off('error', onErr); };
        stdin.on('data', onData); stdin.on('end', onEnd); stdin.on('error', onErr);
      });
      const pt = new PassThrough({ highWaterMark: 1 << 20 });
      pt.write(first);
      stdin.pipe(pt);
      stdin.resume();
      return decompress(pt, sniffCompression(first));
    },
  };
  return single('-', 'stdin', src);
}
