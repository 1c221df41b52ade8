// An .xz file decoded in process by the system's liblzma (the library the `xz` program itself uses),
// called through koffi on the thread pool, as Node's zlib does for gzip.
//
// Why not `xz -dc`: every 8 KiB of its output crosses a socket and wakes a process; on the
// paravirtualised 2-core bench machine that coupling cost the pipeline 0.6–0.9 s of CPU per 256 MiB
// and 8–20 % of its wall time (bench/README.md). Why not the bundled in-process decoders
// (lzma-native's liblzma 5.2.3, lzma-rust2): half the system library's speed here. Both remain
// fallbacks for machines without koffi or liblzma.so.5.
import { closeSync, openSync, readSync } from 'node:fs';
import type { Readable } from 'node:stream';
import { HandOnReadable } from './hand-on.js';
import { loadKoffi, type Koffi } from '../runtime/koffi.js';
import { LZMA, LZMA_ERRORS, openLiblzma, type Liblzma } from './liblzma-abi.js';

/** 1 MiB slabs: smaller ones cost more hand-overs between the threads than they save. */
const SLAB = 1 << 20;

export interface LoadedLiblzma { koffi: Koffi; lib: Liblzma }

let loaded: LoadedLiblzma | null | undefined;

/** koffi and the system liblzma, or undefined when either is missing here (then `xz -dc` or
 *  lzma-native is used). CNI_DOCTOR_NO_LIBLZMA=1 turns it off, for tests and comparisons. */
export function liblzma(): LoadedLiblzma | undefined {
  if (loaded === undefined) {
    loaded = null;
    if (!process.env.CNI_DOCTOR_NO_LIBLZMA) {
      // loaded only when an .xz file is read
      const koffi = loadKoffi();
      try {
        const lib = koffi && openLiblzma(koffi);
        if (koffi && lib) loaded = { koffi, lib };
      } catch { /* no liblzma here */ }
    }
  }
  return loaded ?? undefined;
}

interface Slab { ptr: unknown; view: Uint8Array; addr: bigint }

/** The decompressed bytes of an .xz file, in chunks of up to 1 MiB. */
export class LiblzmaReader extends HandOnReadable {
  private fd = -1;
  private strm: unknown;
  private state!: DataView;
  private input: Slab | undefined;
  private slabs: Slab[] = [];
  private turn = 0;
  private eof = false;
  private busy = false;
  private wanted = false;
  private initialised = false;
  private released = false;
  private bytesIn = 0;
  private bytesOut = 0;
  /** the reader this one hands on from, once liblzma has declined the file */
  private delegate: Readable | undefined;
  private handedOver = false;

  /** `fallback`: where to read the file from when it needs more memory than this reader allows
   *  (LZMA.MEMLIMIT); without one, that is an error like any other. */
  constructor(private readonly file: string, private readonly l: LoadedLiblzma, private readonly fallback?: () => Promise<Readable>) {
    super({ highWaterMark: 2 * SLAB });
  }

  private slab(): Slab {
    const { koffi } = this.l;
    const ptr = koffi.alloc('uint8_t', SLAB);
    return { ptr, view: new Uint8Array(koffi.view(ptr, SLAB)), addr: koffi.address(ptr) };
  }

  override _construct(cb: (e?: Error | null) => void): void {
    try {
      this.fd = openSync(this.file, 'r');
      const { koffi, lib } = this.l;
      this.strm = koffi.alloc('uint8_t', LZMA.STREAM_SIZE);
      this.state = new DataView(koffi.view(this.strm, LZMA.STREAM_SIZE));
      for (let i = 0; i < LZMA.STREAM_SIZE; i++) this.state.setUint8(i, 0); // LZMA_STREAM_INIT
      const ret = lib.streamDecoder(this.strm, LZMA.MEMLIMIT, LZMA.CONCATENATED);
      if (ret !== LZMA.OK) throw this.error(ret);
      this.initialised = true;
      this.input = this.slab();
      // Two output slabs: the decoder fills one while the other is copied out.
      this.slabs = [this.slab(), this.slab()];
      cb();
    } catch (e) {
      cb(e as Error);
    }
  }

  private error(ret: number): Error {
    return new Error(`xz: ${this.file}: ${LZMA_ERRORS[ret] ?? `liblzma error ${ret}`}`);
  }

  override _read(): void {
    if (this.failing()) return;
    // Handed over: the fallback (once it has started) pushes, this reader decodes no more.
    if (this.handedOver) { this.delegate?.resume(); return; }
    this.wanted = true;
    if (!this.busy) {
      const e = this.decode();
      if (e) this.fail(e);
    }
  }

  /** One lzma_code() call on the thread pool, into the slab not being copied out; or the error that
   *  kept it from starting, for the caller to raise once it has handed on what it holds. */
  private decode(): Error | undefined {
    const s = this.state;
    if (!this.eof && s.getBigUint64(LZMA.AVAIL_IN, true) === 0n) {
      let n: number;
      try {
        n = readSync(this.fd, this.input!.view, 0, SLAB, null);
      } catch (e) {
        return e as Error;
      }
      if (n === 0) this.eof = true;
      this.bytesIn += n;
      s.setBigUint64(LZMA.NEXT_IN, this.input!.addr, true);
      s.setBigUint64(LZMA.AVAIL_IN, BigInt(n), true);
    }
    const out = this.slabs[this.turn];
    this.turn ^= 1;
    s.setBigUint64(LZMA.NEXT_OUT, out.addr, true);
    s.setBigUint64(LZMA.AVAIL_OUT, BigInt(SLAB), true);
    this.busy = true;
    try {
      this.l.lib.code.async(this.strm, this.eof ? LZMA.FINISH : LZMA.RUN, (err, ret) => this.decoded(out, err, ret));
    } catch (e) {
      this.busy = false;
      return e as Error;
    }
    return undefined;
  }

  private decoded(out: Slab, err: unknown, ret: number): void {
    this.busy = false;
    if (this.destroyed) { this.release(); return; }
    if (err) { this.destroy(err as Error); return; }
    const produced = SLAB - Number(this.state.getBigUint64(LZMA.AVAIL_OUT, true));
    const failed = ret !== LZMA.OK && ret !== LZMA.STREAM_END;
    const finished = ret === LZMA.STREAM_END;
    this.bytesOut += produced;
    // Dictionaries beyond the limit (`xz --lzma2=dict=…` past 256 MiB) are rare: the fallback
    // decodes them in its own process, so this one stays within its memory bound. In a file of
    // concatenated streams the limit may come after output: the fallback starts over, and what was
    // already handed on is skipped.
    if (ret === LZMA.MEMLIMIT_ERROR && this.fallback) {
      if (produced) this.push(this.copy(out.view, produced));
      if (!this.destroyed) this.handOver(this.fallback, this.bytesOut);
      return;
    }
    // The next decode starts first, so it runs while this chunk is copied out and consumed.
    const cannot = !finished && !failed && (this.wanted || !produced) ? this.decode() : undefined;
    // What a call decoded is handed on before any error, as `xz -dc` writes it out first.
    if (produced && !this.push(this.copy(out.view, produced))) this.wanted = false;
    if (this.destroyed) return; // by the consumer, inside push: release() ran or waits for `busy`
    if (cannot) this.fail(cannot);
    // An empty file reads to liblzma as a stream cut before its header; `xz` says it is not xz at all.
    else if (failed) this.fail(this.error(this.bytesIn === 0 && this.eof ? LZMA.FORMAT_ERROR : ret));
    else if (finished) this.push(null);
  }

  /** From now on the fallback's bytes are this reader's (after the first `skip`, already handed
   *  on), with its backpressure, and its error after what it decoded. */
  private handOver(open: () => Promise<Readable>, skip: number): void {
    this.handedOver = true;
    this.release();
    open().then((r) => {
      if (this.destroyed) { r.destroy(); return; }
      this.delegate = r;
      r.on('data', (c: Buffer) => {
        if (skip >= c.length) { skip -= c.length; return; }
        if (skip) { c = c.subarray(skip); skip = 0; }
        if (!this.push(c)) r.pause();
      });
      r.on('end', () => this.push(null));
      r.on('error', (e) => this.fail(e));
    }, (e: Error) => this.destroy(e));
  }

  /** The slab is decoded into again while the consumer may still hold the chunk, hence a copy. Its
   *  fresh pages cost this thread, which has time to spare; decoding straight into fresh buffers
   *  moved those page faults onto the decoder, the slower side (+15 % wall time). */
  private copy(view: Uint8Array, n: number): Buffer {
    const b = Buffer.allocUnsafeSlow(n);
    b.set(view.subarray(0, n));
    return b;
  }

  /** Frees the native memory, once no decode is running on it. */
  private release(): void {
    if (this.released || this.busy) return; // the running decode's callback comes back here
    this.released = true;
    const { koffi, lib } = this.l;
    if (this.initialised) lib.end(this.strm);
    if (this.strm) koffi.free(this.strm);
    for (const s of [this.input, ...this.slabs]) if (s) koffi.free(s.ptr);
    try {
      if (this.fd >= 0) closeSync(this.fd);
    } catch { /* nothing more to read from it; a failing close must not throw from a callback */ }
  }

  override _destroy(e: Error | null, cb: (e?: Error | null) => void): void {
    this.release();
    this.delegate?.destroy();
    cb(e);
  }
}
