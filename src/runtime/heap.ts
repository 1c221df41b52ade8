// V8 sizes its heap for throughput. On a log where every line is a failure the live heap stays near
// 10 MB, yet the young generation grew to 32 MB, and objects that outlived its collections filled
// the old one to ~100 MB between major collections: 180 MB RSS for a 100 MiB file. V8 still reads
// this flag after start-up: the young generation keeps its initial size. The all-hits file then
// peaks at 115–125 MB. (Adding --heap-growing-percent=50 took it to 96 MB, but made the .tar.gz bench
// 3–5 % slower.)
// Starting a worker thread resets V8's flags to the command line's: call this again once it runs.
import { setFlagsFromString } from 'node:v8';

export function boundHeap(): void {
  setFlagsFromString('--semi-space-growth-factor=1');
}

/** For `watch`, which may run for days next to the workloads (a DaemonSet with a memory limit): old
 *  space is also collected at 1.5× its live size. `watch --replay` of a 256 MiB bundle peaked at
 *  132–142 MB without this and 100–129 MB with it; the 3–5 % it costs does not matter when following. */
export function leanHeap(): void {
  boundHeap();
  setFlagsFromString('--heap-growing-percent=50');
}
