// Decompression as streams. gzip is inflated in process (Node's zlib, on the thread pool, twice the
// speed of the gzip program here); an .xz file is decoded in process by the system's liblzma when it
// can be loaded (liblzma.ts); otherwise external `xz -dc` / `zstd -dc` beat the bundled in-process
// decoders (shared/reference/scan-performance.md), so they are preferred when installed.
import { spawn, spawnSync } from 'node:child_process';
import { createGunzip } from 'node:zlib';
import { createReadStream } from 'node:fs';
import { Readable } from 'node:stream';
import { LiblzmaReader, liblzma } from './liblzma.js';
import { HandOnReadable } from './hand-on.js';

export type Compression = 'gzip' | 'xz' | 'zstd' | 'bzip2' | 'none';

/** Decoders run as programs when installed (faster than any in-process one here). */
const PROGRAMS = { xz: 'xz', zstd: 'zstd', bzip2: 'bzip2' } as const;

const hasTool = new Map<string, boolean>();
export function toolAvailable(cmd: string): boolean {
  if (!hasTool.has(cmd)) {
    const r = spawnSync(cmd, ['--version'], { stdio: 'ignore' });
    hasTool.set(cmd, r.status === 0);
  }
  return hasTool.get(cmd)!;
}

/** The compression a file's name claims (`.gz`, `.tgz`, `.xz`, `.zst`, …), for when there are no bytes
 *  to sniff: an empty file so named is a damaged copy, not an empty log. */
export function compressionOfName(name: string): Exclude<Compression, 'none'> | undefined {
  const m = /\.(gz|tgz|xz|txz|zst|tzst|bz2|tbz2?)$/i.exec(name);
  if (!m) return undefined;
  const ext = m[1].toLowerCase();
  return ext.endsWith('gz') ? 'gzip' : ext.endsWith('xz') ? 'xz' : ext.endsWith('zst') ? 'zstd' : 'bzip2';
}

/** Why an empty file named as compressed is unreadable, and what to do about it. */
export function emptyCompressedReason(c: Exclude<Compression, 'none'>): string {
  return `corrupt or truncated: empty (0 bytes), while even an empty ${c} stream has a header (${c} -t says the same): copy the file again from the node`;
}

/** A compressed file's name without its compression suffix (`syslog.2.gz` → `syslog.2`). */
export function withoutCompressionSuffix(name: string): string {
  return name.replace(/\.(gz|xz|zst|bz2)$/, '');
}

/** A compressed file by its name (`.gz`, `.tgz`, `.xz`, `.zst`, `.bz2`, `.lz4`, …). */
export const COMPRESSED_NAME = /\.(gz|tgz|xz|txz|zst|tzst|bz2|tbz2?|lz4)$/i;

/** What to do with a compressed file watch does not follow: analyze reads all but lz4 (not decoded). */
export function readCompressedHint(file: string, kind?: string): string {
  return kind === 'lz4' || (!kind && /\.lz4$/i.test(file))
    ? `decompress it with lz4 -d ${file}, then read it with cni-doctor analyze`
    : `read it with cni-doctor analyze ${file}`;
}

const MAGIC: [Exclude<Compression, 'none'> | 'lz4', Buffer][] = [
  ['gzip', Buffer.from([0x1f, 0x8b])],
  ['xz', Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00])],
  ['zstd', Buffer.from([0x28, 0xb5, 0x2f, 0xfd])],
  // "BZh" then the block size digit, so a text line that starts with BZh is not taken for it
  ['bzip2', Buffer.from('BZh')],
  ['lz4', Buffer.from([0x04, 0x22, 0x4d, 0x18])],
];

/** The compression a stream's first bytes show (names lie; magic numbers do not): lz4 is named
 *  though never decoded; `maybe` when the bytes are too few to tell yet (a prefix of a magic). */
export function sniffMagic(head: Buffer): Exclude<Compression, 'none'> | 'lz4' | 'maybe' | undefined {
  for (const [name, m] of MAGIC) {
    const n = Math.min(m.length, head.length);
    if (!head.subarray(0, n).equals(m.subarray(0, n))) continue;
    if (n < m.length || (name === 'bzip2' && head.length < 4)) return 'maybe';
    if (name === 'bzip2' && !(head[3] >= 0x31 && head[3] <= 0x39)) return undefined;
    return name;
  }
  return undefined;
}

/** The decodable compression of a stream's first bytes, or `none`. */
export function sniffCompression(head: Buffer): Compression {
  const c = sniffMagic(head);
  return c === undefined || c === 'maybe' || c === 'lz4' ? 'none' : c;
}

function failure(cmd: string, d: { code: number | null; signal: string | null; stderr: string }): Error | undefined {
  if (d.code === 0) return undefined;
  const last = d.stderr.trim().split('\n').pop() ?? '';
  return new Error(last.startsWith(`${cmd}:`) ? last : `${cmd}: ${last || (d.signal ? `killed by ${d.signal}` : `exit status ${d.code}`)}`);
}

/** A program's (or fzstd's) output, handed on before its error (a truncated .zst lost everything
 *  its decoder had written before it failed, when the reader was slower than the decoder).
 *  `source` is paused while the reader is full. */
export class Relay extends HandOnReadable {
  constructor(private source?: Readable) {
    super({ highWaterMark: 1 << 20 });
  }
  give(chunk: Buffer): void {
    if (this.failure || this.destroyed) return;
    if (!this.push(chunk)) this.source?.pause();
  }
  override _read(): void {
    if (!this.failing()) this.source?.resume();
  }
}

/** A file or a stream decompressed by a program. (A reader thread draining the program's output
 *  into shared memory or transferred batches was tried: slower here, see bench/README.md.) */
function viaProgram(cmd: string, args: string[], input: Readable | { file: string }): Readable {
  // A file is handed to the program by name: one pipe less to feed.
  const fromFile = !(input instanceof Readable);
  const child = spawn(cmd, fromFile ? [...args, input.file] : args, { stdio: [fromFile ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
  const out = new Relay(child.stdout!);
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => { if (stderr.length < 2000) stderr += d.toString(); });
  if (!fromFile) {
    input.on('error', (e) => out.fail(e));
    child.stdin!.on('error', () => { /* the decoder stopped reading: its exit status says why */ });
    input.pipe(child.stdin!);
  }
  child.stdout!.on('data', (c: Buffer) => out.give(c));
  let exited: { code: number | null; signal: string | null } | undefined;
  let drained = false;
  const finish = (): void => {
    if (!exited || !drained) return;
    const err = failure(cmd, { ...exited, stderr });
    if (err) out.fail(err);
    else out.push(null);
  };
  child.stdout!.on('end', () => { drained = true; finish(); });
  child.on('close', (code, signal) => { exited = { code, signal }; finish(); });
  child.on('error', (e) => out.fail(e));
  out.on('close', () => { if (!exited) child.kill(); if (!fromFile) input.destroy(); });
  return out;
}

async function lzmaNative(input: Readable): Promise<Readable> {
  const lz = (await import('lzma-native')).default;
  const d = lz.createDecompressor();
  input.on('error', (e) => d.destroy(e));
  return input.pipe(d);
}

async function fzstd(input: Readable): Promise<Readable> {
  const { Decompress } = await import('fzstd');
  const out = new Relay(input);
  let ended = false;
  const end = (): void => { if (!ended) { ended = true; out.push(null); } };
  let failed = false;
  // The input keeps flowing after a failure: a tar entry must still be read to its end.
  const fail = (e: Error): void => { failed = true; out.fail(e); };
  const d = new Decompress((chunk: Uint8Array, final?: boolean) => {
    out.give(Buffer.from(chunk));
    if (final) end();
  });
  input.on('data', (c: Buffer) => {
    if (failed) return;
    try { d.push(c); } catch (e) { fail(e as Error); }
  });
  input.on('end', () => {
    if (failed) return;
    try { d.push(new Uint8Array(0), true); end(); } catch (e) { fail(e as Error); }
  });
  input.on('error', (e) => { if (!failed) fail(e); });
  return out;
}

/** A readable of the decompressed bytes of a stream or a file. `prefer: 'internal'` forces the
 *  decoders bundled with the tool (no program, no system liblzma): tests, and a cheap peek. */
export async function decompress(src: Readable | { file: string }, kind: Compression, prefer: 'external' | 'internal' = 'external', sizeHint?: number): Promise<Readable> {
  // An .xz file (not a stream: liblzma's reader reads the file itself, a slab at a time).
  if (kind === 'xz' && prefer === 'external' && !(src instanceof Readable)) {
    const lib = liblzma();
    const { file } = src;
    if (lib) return new LiblzmaReader(file, lib, async () => toolAvailable('xz') ? viaProgram('xz', ['-dc'], { file }) : lzmaNative(createReadStream(file, { highWaterMark: 1 << 20 })));
  }
  // gzip stays in process: Node's zlib inflates on the thread pool, in parallel with the scan, and
  // with 1 MiB output chunks it is about twice as fast as the gzip program here (bench/).
  const program = kind === 'gzip' || kind === 'none' ? undefined : PROGRAMS[kind];
  if (program && prefer === 'external' && toolAvailable(program)) return viaProgram(program, ['-dc'], src);
  const input = src instanceof Readable ? src : createReadStream(src.file, { highWaterMark: 1 << 20 });
  switch (kind) {
    case 'none':
      return input;
    case 'gzip': {
      // A small compressed entry (one of thousands of rotated logs in a bundle) gets a small output
      // buffer: a 1 MiB one each is external memory that makes V8 mark-compact again and again.
      const g = createGunzip({ chunkSize: sizeHint !== undefined && sizeHint < 64 << 10 ? 64 << 10 : 1 << 20 });
      input.on('error', (e: Error) => g.destroy(e));
      // A reader that stops early (a size cap, a corrupt archive) must not leave the file open.
      g.on('close', () => input.destroy());
      return input.pipe(g);
    }
    case 'xz':
      return lzmaNative(input);
    case 'zstd':
      return fzstd(input);
    case 'bzip2':
      throw new Error('bzip2 compressed, and no bzip2 program is installed: install bzip2 or decompress it first');
  }
}
