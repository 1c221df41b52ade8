// One shape for everything the engine reads: a byte stream with its origin. Files are read ahead on
// the thread pool; everything else (decompressors, tar entries, pipes) is pushed as it comes.
import { open } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import type { EngineEvent } from '../engine/events.js';
import type { Matcher } from '../engine/matcher.js';
import { CHUNK, StreamScanner, type ScanStats, type StreamInfo } from '../engine/scanner.js';

const READ_BYTES = 4 << 20;
/** a file is scanned in large batches: nothing upstream waits on it */
const FILE_BATCH = CHUNK;

export type ByteSource =
  | { info: StreamInfo; file: string }
  | { info: StreamInfo; readable: () => Promise<Readable> | Readable };

export async function scanSource(src: ByteSource, m: Matcher, emit: (e: EngineEvent) => void): Promise<ScanStats> {
  const sc = new StreamScanner(m, src.info, emit);
  if ('file' in src) {
    const fh = await open(src.file, 'r');
    // Two buffers: the next read runs on the thread pool while this one is scanned. Reading
    // straight into the scanner's buffer saves a copy but leaves the scan waiting on every read
    // (a third of the time on a 1 GiB log in the page cache).
    const bufs = [Buffer.allocUnsafe(READ_BYTES), Buffer.allocUnsafe(READ_BYTES)];
    let cur = 0;
    try {
      let next = fh.read(bufs[cur], 0, READ_BYTES, null);
      for (;;) {
        const { bytesRead } = await next;
        if (bytesRead === 0) break;
        const filled = bufs[cur];
        cur ^= 1;
        next = fh.read(bufs[cur], 0, READ_BYTES, null);
        sc.push(filled.subarray(0, bytesRead), FILE_BATCH);
      }
    } finally {
      await fh.close();
    }
    return sc.end();
  }
  const r = await src.readable();
  try {
    for await (const chunk of r) sc.push(chunk as Buffer);
  } catch (e) {
    // Keep what was read: the caller reports the stream as cut short.
    const stats = sc.end();
    throw Object.assign(e as Error, { partial: stats });
  }
  return sc.end();
}
