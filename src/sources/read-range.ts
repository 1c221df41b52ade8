// Reading byte ranges of a file: a few bytes to look at, or a whole range into a scanner.
import { open } from 'node:fs/promises';

const READ_BYTES = 4 << 20;
/** Where the bytes go: the engine's scanner, taking them in batches of `batch` bytes (a file is
 *  scanned in large batches: nothing upstream waits on it). */
export interface RangeSink { push(b: Buffer, batch?: number): void }

/** Feed bytes [start, end) of a file to a scanner. Two buffers: the next read runs on the thread
 *  pool while this one is scanned. Reading straight into the scanner's buffer saves a copy but leaves
 *  the scan waiting on every read (a third of the time on a 1 GiB log in the page cache). */
export async function readRange(file: string, start: number, end: number, sc: RangeSink, batch?: number): Promise<void> {
  const fh = await open(file, 'r');
  const bufs = [Buffer.allocUnsafe(READ_BYTES), Buffer.allocUnsafe(READ_BYTES)];
  let cur = 0;
  let pos = start;
  const read = (b: Buffer): Promise<{ bytesRead: number }> => {
    const n = Math.min(READ_BYTES, end - pos);
    return n > 0 ? fh.read(b, 0, n, pos) : Promise.resolve({ bytesRead: 0 });
  };
  let next = read(bufs[cur]);
  try {
    for (;;) {
      const { bytesRead } = await next;
      if (bytesRead === 0) break;
      pos += bytesRead;
      const filled = bufs[cur];
      cur ^= 1;
      next = read(bufs[cur]);
      sc.push(filled.subarray(0, bytesRead), batch);
    }
  } finally {
    // A scan that threw leaves a read in flight: settle it before closing the file.
    await next.catch(() => undefined);
    await fh.close();
  }
}

/** Up to `n` bytes of a file from `pos` (fewer at its end). */
export async function readAt(file: string, pos: number, n: number): Promise<Buffer> {
  const fh = await open(file, 'r');
  try {
    const b = Buffer.alloc(n);
    const { bytesRead } = await fh.read(b, 0, n, pos);
    return b.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
}
