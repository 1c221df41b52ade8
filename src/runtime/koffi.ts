// koffi, the FFI module through which the system's liblzma (sources/liblzma.ts) and glibc's mallopt
// (runtime/malloc.ts) are called. CommonJS with a native part, ~17 ms to load: loaded on first use
// only, and once.
import { createRequire } from 'node:module';

export type Koffi = typeof import('koffi');

let koffi: Koffi | null | undefined;

/** koffi, or undefined where it has no build (the callers then do without it). */
export function loadKoffi(): Koffi | undefined {
  if (koffi === undefined) {
    try {
      koffi = createRequire(import.meta.url)('koffi') as Koffi;
    } catch {
      koffi = null;
    }
  }
  return koffi ?? undefined;
}
