// V8 sizes its heap for throughput. On a log where every line is a failure the live heap stays near
// 10 MB, yet the young generation grew to 32 MB and the old one collected only at ~100 MB: 180 MB
// RSS for a 100 MiB file. These are the heap-sizing flags V8 still reads after start-up: the young
// generation stays at its initial size and the old one is collected at 1.5× its live size. The
// all-hits file then peaks under 100 MB; the bench inputs are not measurably slower (bench/README.md).
// Starting a worker thread resets V8's flags to the command line's: call this again once it runs.
import { setFlagsFromString } from 'node:v8';

export function boundHeap(): void {
  setFlagsFromString('--semi-space-growth-factor=1');
  setFlagsFromString('--heap-growing-percent=50');
}
