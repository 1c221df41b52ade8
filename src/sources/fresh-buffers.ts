// Whether an analysis will stream much data through freshly allocated buffers (decompressors'
// output, tar entries): what the allocator tuning (runtime/malloc.ts) pays off for. Looked at before
// any input is read, from the paths' kinds and first bytes.
import { closeSync, fstatSync, openSync, readSync, statSync } from 'node:fs';
import { isTarHeader } from './bundle/tar.js';
import { sniffCompression } from './decompress.js';

/** Why the allocator tuning (runtime/malloc.ts) pays for loading it here, or why not. It pays where
 *  data streams through fresh buffers, 16 MiB or more of it: compressed files (counted at 8 times
 *  their size, about what logs shrink to), tar archives, a directory (its rotated .gz logs), a pipe
 *  (size and kind unknown). A plain log file is read into reused buffers and gains nothing. */
export function tuningWorth(paths: string[]): { tune: boolean; why: string } {
  let bytes = 0;
  const head = Buffer.alloc(512);
  for (const p of paths) {
    try {
      const st = p === '-' ? fstatSync(0) : statSync(p);
      if (st.isDirectory()) return { tune: true, why: `${p} is a directory` };
      if (st.isFIFO() || st.isSocket()) return { tune: true, why: `${p} is a pipe` };
      if (!st.isFile()) continue;
      const fd = p === '-' ? 0 : openSync(p, 'r');
      let n = 0;
      try { n = readSync(fd, head, 0, head.length, 0); } finally { if (fd !== 0) closeSync(fd); }
      const h = head.subarray(0, n);
      if (sniffCompression(h) !== 'none') bytes += 8 * st.size;
      else if (isTarHeader(h)) bytes += st.size;
      if (bytes >= 16 << 20) return { tune: true, why: 'about 16 MiB or more to decompress or untar' };
    } catch { /* named as unreadable by the analysis itself */ }
  }
  return { tune: false, why: 'less than 16 MiB to decompress or untar' };
}
