// What an input path is (log file, compressed log, directory, bundle, journal, stdin) and the
// byte sources inside it. Content decides, not the name: magic numbers first, extensions second.
import { closeSync, constants as fsConstants, createReadStream, openSync } from 'node:fs';
import { isatty as ttyIsatty } from 'node:tty';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import type { InputSummary } from './origin.js';
import { compressionOfName, decompress, emptyCompressedReason, Relay, sniffCompression, withoutCompressionSuffix, type Compression } from './decompress.js';
import { liblzma } from './liblzma.js';
import type { ByteSource } from './origin.js';
import { readAt } from './read-range.js';
import { openBundle, isTarHeader } from './bundle/tar.js';
import { journalSource, isJournalFile } from './journal.js';
import { archiveRefTime, fallbackLayout, planDirectory } from './bundle/layouts.js';
import type { Format } from '../catalog/schema.js';
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
  /** set while reading when a size limit cut the input short: read in part, as a truncated one is */
  partial?: boolean;
}

export function readHead(file: string, n = 4096): Promise<Buffer> {
  return readAt(file, 0, n);
}

interface Peek {
  /** the first decompressed bytes (at least 1 KiB when there are that many) */
  head: Buffer;
  /** the whole file decompressed, from its first byte */
  open: () => Promise<Readable>;
  /** the file is not going to be read: let go of what the peek holds (an open file, native memory) */
  discard: () => void;
  /** the decoder failed before giving the head (an empty head is then damage, not an empty log) */
  failed: boolean;
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
export async function decompressedHead(file: string, c: Compression): Promise<Peek> {
  const reopen = (): Promise<Readable> => decompress({ file }, c);
  // bzip2 has no decoder in process: the peek goes through the program, and is the read as well.
  if ((c === 'xz' && liblzma()) || c === 'bzip2') {
    // In process, by the system liblzma: the peek's reader is the read's too, its bytes put back,
    // and it decodes ahead while the rest is set up. (A second reader cost 20–50 ms of start-up.)
    const p = await peek(await reopen(), 1024);
    let taken = false;
    return {
      head: p.head,
      // Taken once; a second read (or a reader destroyed while parked) opens the file again.
      open: () => {
        if (taken || p.stream.destroyed) return reopen();
        taken = true;
        return Promise.resolve(p.stream);
      },
      discard: () => { if (!taken) p.stream.destroy(); },
      failed: p.failed,
    };
  }
  // Otherwise in process too, no program started for a peek: the bundled decoders, 1 MiB at most.
  const p = await peek(await decompress(createReadStream(file, { end: 1 << 20 }), c, 'internal'), 1024);
  p.stream.destroy();
  // (a file longer than the 1 MiB read cuts the decoder short, but not before it gave a head)
  return { head: p.head, open: reopen, discard: () => undefined, failed: p.failed };
}

/** An LZ4 frame (magic 04 22 4D 18), or the legacy frame (02 21 4C 18). */
export function isLz4(head: Buffer): boolean {
  return head.length >= 4 && (head.readUInt32LE(0) === 0x184d2204 || head.readUInt32LE(0) === 0x184c2102);
}

/** A UTF-16 byte-order mark: text, but every other byte NUL, so it would read as binary. */
export function isUtf16(head: Buffer): boolean {
  return head.length >= 2 && ((head[0] === 0xff && head[1] === 0xfe) || (head[0] === 0xfe && head[1] === 0xff));
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
  if (p === '-') return planStdin(catalog);
  let st;
  try {
    st = await stat(p);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new InputError(p, code === 'ENOENT' ? 'no such file or directory' : code === 'EACCES' ? 'permission denied (run as a user who can read it)' : (e as Error).message);
  }
  if (st.isDirectory()) {
    try {
      return await planDirectory(p, catalog);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EACCES') throw new InputError(p, 'permission denied (run as a user who can read it)');
      throw e;
    }
  }
  if (st.isFIFO() || st.isCharacterDevice()) {
    // A pipe (`<(zcat x.gz)`, a named FIFO) or a device that gives a stream: read like stdin. A
    // terminal would wait for typing.
    if (st.isCharacterDevice() && isatty(p)) throw new InputError(p, 'a terminal, not a log: give a file, a directory, a bundle or - (stdin)');
    let r: Readable;
    try {
      r = await openStream(p);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      throw new InputError(p, code === 'EACCES' ? 'permission denied (run as a user who can read it)' : (e as Error).message);
    }
    return planStream(p, 'file', r, catalog);
  }
  if (!st.isFile()) throw new InputError(p, 'not a regular file, directory, pipe or character device');
  let head: Buffer;
  try {
    head = await readHead(p);
  } catch (e) {
    throw new InputError(p, (e as NodeJS.ErrnoException).code === 'EACCES' ? 'permission denied (run as a user who can read it)' : (e as Error).message);
  }
  if (head.length === 0) {
    // An empty log is just empty; an empty .gz/.xz/.zst is a damaged copy (no header), not an all-clear.
    const named = compressionOfName(p);
    if (named) throw new InputError(p, emptyCompressedReason(named));
    return single(p, 'file', { info: fileInfo(p, p, st.mtimeMs, nameFormat(catalog, p)), file: p });
  }
  if (isJournalFile(head)) return { path: p, kind: 'journal', notes: [], sources: once(journalSource(p, { refTime: st.mtimeMs })) };
  const comp = sniffCompression(head);
  if (comp === 'none') {
    if (isTarHeader(head)) return openBundle(p, 'none', catalog, archiveRefTime(catalog, p, st.mtimeMs));
    if (isUtf16(head)) throw new InputError(p, `UTF-16 text (saved on Windows?), which the scanner does not read: convert it first, e.g. iconv -f UTF-16 -t UTF-8 '${p}' > log.txt`);
    if (isLz4(head)) throw new InputError(p, 'lz4 compressed: not supported (decompress it with lz4 -d first)');
    if (looksBinary(head)) throw new InputError(p, 'binary data: not a log file, a compressed log, a tar bundle or a systemd journal');
    return single(p, 'file', { info: fileInfo(p, p, st.mtimeMs, nameFormat(catalog, p)), file: p });
  }
  let peeked: Peek;
  try {
    peeked = await decompressedHead(p, comp);
  } catch (e) {
    throw new InputError(p, (e as Error).message);
  }
  const { head: inner, open, discard, failed } = peeked;
  if (isTarHeader(inner)) return openBundle(p, comp, catalog, archiveRefTime(catalog, p, st.mtimeMs), open);
  // An empty head from a decoder that ended cleanly is an empty log (logrotate's `ifempty` writes them).
  const rejected = inner.length === 0 ? (failed ? undecodable(comp) : undefined) : looksBinary(inner) ? `${comp}-compressed binary data: not a log file or a tar bundle` : undefined;
  if (rejected) {
    discard();
    throw new InputError(p, rejected);
  }
  const plain = withoutCompressionSuffix(p);
  const info = fileInfo(p, plain, st.mtimeMs, nameFormat(catalog, plain));
  return single(p, 'file', { info, readable: open });
}

function undecodable(comp: Compression): string {
  // zstd decodes whole blocks of up to 128 KiB: a cut inside the first leaves nothing, as for `zstd -dc`.
  const blocks = comp === 'zstd' ? ', or cut inside its first block' : '';
  return `${comp} data that does not decompress (corrupt or truncated${blocks}): check it with \`${comp} -t\` and copy it again from the node`;
}

export function fileInfo(source: string, inner: string, mtimeMs: number, format?: Format) {
  return { source, path: inner, role: 'log' as const, format, time: { refTime: mtimeMs } };
}

/** The format a lone file's name implies, by the directory layout's rules: content cannot tell
 *  rsyslog's `syslog` (control characters escaped as #011) from a journal export with the same stamps. */
function nameFormat(catalog: Catalog, file: string): Format | undefined {
  return fallbackLayout(catalog).roleOf(path.basename(file))?.format;
}

function single(p: string, kind: InputSummary['kind'], s: ByteSource): InputPlan {
  return { path: p, kind, notes: [], sources: once(s) };
}

async function* once(s: ByteSource): AsyncIterable<ByteSource> {
  yield s;
}

/** The first `n` bytes of a paused stream, and the stream again from its first byte (the bytes put
 *  back). A stream that ended or failed during the peek is handed on as what it gave, then its error. */
export async function peek(r: Readable, n: number): Promise<{ head: Buffer; stream: Readable; failed: boolean }> {
  let failure: Error | undefined;
  // Kept on: until its reader comes (after planning) a failing stream must not crash the process;
  // the reader still gets the error.
  r.on('error', (e: Error) => { failure ??= e; });
  const parts = await readSome(r, n);
  const head = Buffer.concat(parts);
  if (!r.destroyed && !r.readableEnded) {
    for (let i = parts.length - 1; i >= 0; i--) r.unshift(parts[i]);
    return { head, stream: r, failed: false };
  }
  failure ??= r.errored ?? undefined;
  const rest = new Relay();
  // The error reaches whoever reads; a stream nobody reads (the plan gave up on it) must not crash.
  rest.on('error', () => undefined);
  if (head.length) rest.push(head);
  if (failure) rest.fail(failure);
  else rest.push(null);
  return { head, stream: rest, failed: !!failure };
}

let stdinTaken = false;

/** stdin, sniffed like a file: compressed or not, a log or a tar bundle (read through its layout). */
async function planStdin(catalog: Catalog): Promise<InputPlan> {
  // It can be read once: a second `-` would wait for bytes that never come (main.ts refuses it first).
  if (stdinTaken) throw new InputError('-', '- (stdin) can be given only once');
  stdinTaken = true;
  return planStream('-', 'stdin', process.stdin as Readable, catalog);
}

/** A FIFO or device opened for reading; an error on open (ENXIO, EACCES) is thrown here. */
function openStream(p: string): Promise<Readable> {
  return new Promise((resolve, reject) => {
    const r = createReadStream(p, { highWaterMark: 1 << 20 });
    const fail = (e: Error): void => reject(e);
    r.once('error', fail);
    r.once('open', () => { r.off('error', fail); r.pause(); resolve(r); });
  });
}

function isatty(p: string): boolean {
  try {
    const fd = openSync(p, fsConstants.O_RDONLY | fsConstants.O_NONBLOCK | fsConstants.O_NOCTTY);
    try { return ttyIsatty(fd); } finally { closeSync(fd); }
  } catch {
    return false;
  }
}

/** A stream read once, sniffed like a file (stdin, a pipe): compressed or not, a log or a tar bundle. */
async function planStream(name: string, kind: InputSummary['kind'], input: Readable, catalog: Catalog): Promise<InputPlan> {
  const now = Date.now();
  const raw = await peek(input, 1024);
  const comp = sniffCompression(raw.head);
  const body = comp === 'none' ? raw : await peek(await decompress(raw.stream, comp), 1024);
  if (comp !== 'none' && body.head.length === 0 && body.failed) throw new InputError(name, undecodable(comp));
  if (isTarHeader(body.head)) {
    // No file name and no mtime: the year of year-less stamps comes from the archive's top directory
    // (a sosreport's is dated), else its first entry's mtime, else now.
    return openBundle(name, comp, catalog, archiveRefTime(catalog, '', now), () => Promise.resolve(body.stream));
  }
  const source = name === '-' ? 'stdin' : name;
  const src: ByteSource = {
    info: { source, path: source, role: 'log', time: { refTime: now } },
    readable: () => body.stream,
  };
  return single(name, kind, src);
}
