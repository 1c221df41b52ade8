// Decompressing a bundle allocates a fresh 1 MiB buffer per output chunk (Node's zlib does, and
// liblzma.ts copies each slab into one): a quarter of a million a GiB. V8 frees them in batches at
// each major collection, and glibc then hands the top of its heap back to the kernel (it trims once
// more than 2 MiB sit free there), so the next batch page-faults its memory in again, a fault per
// 4 KiB. On the bench machine (a VM with page-table isolation) that was 0.3–0.4 s of system time per
// 256 MiB: the gunzip of the inspect bundle alone took 0.78 s instead of 0.48 s.
// Keeping 16 MiB of freed memory at the top of the heap (M_TOP_PAD; 32 MiB was no faster) and
// serving allocations up to 4 MiB from the heap rather than from mmap (setting one knob turns off
// glibc's own adjustment of the other) reuses those pages instead. Resident memory grows by about
// the pad, plus what fragmentation pins (1–4 MiB blocks now live in the heap, which is trimmed only
// at its top): the bundles' peak RSS rose by 2–5 MB (bench/README.md; test/memory.test.ts checks the
// bound on a tuned .tar.xz). glibc only; elsewhere nothing is changed.
import { loadKoffi } from './koffi.js';

/** mallopt's parameters (malloc.h) */
const M_TOP_PAD = -2;
const M_MMAP_THRESHOLD = -3;

const TOP_PAD = 16 << 20;
const MMAP_THRESHOLD = 4 << 20;

let tuned: boolean | undefined;

/** Tunes glibc's allocator for streaming large inputs (see above); true when it was. Loading koffi
 *  costs ~17 ms, so callers do it only for inputs that gain. CNI_DOCTOR_NO_MALLOC_TUNE=1 turns it
 *  off (to compare timings). */
export function keepFreedMemory(): boolean {
  if (tuned !== undefined) return tuned;
  tuned = false;
  if (process.platform !== 'linux' || process.env.CNI_DOCTOR_NO_MALLOC_TUNE === '1') return tuned;
  const koffi = loadKoffi();
  if (!koffi) return tuned;
  try {
    const libc = koffi.load('libc.so.6');
    // glibc's own call: another libc may stand under the soname libc.so.6 (a compatibility shim),
    // whose mallopt need not mean the same; without this call it is not glibc.
    libc.func('const char *gnu_get_libc_version(void)');
    const mallopt = libc.func('int mallopt(int param, int value)') as (param: number, value: number) => number;
    tuned = mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD) === 1 && mallopt(M_TOP_PAD, TOP_PAD) === 1;
  } catch {
    /* no glibc: the defaults stay */
  }
  return tuned;
}
