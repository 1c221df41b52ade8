// The second half of a split file (split.ts), scanned in a worker thread. Events go back in
// batches; with too many unacknowledged the thread waits, so memory stays bounded even when the
// main thread cannot take them yet. Batches travel serialized, in transferred buffers: until the
// first half is done they wait outside the main thread's heap, and cost it no collections.
import { serialize } from 'node:v8';
import { parentPort, workerData } from 'node:worker_threads';
import type { EngineEvent } from './events.js';
import { compileMatcher } from './matcher.js';
import { CHUNK, StreamScanner } from './scanner.js';
import type { SplitJob } from './split.js';
import { readRange } from '../sources/read-range.js';
import { debugOn } from '../runtime/debug.js';

const job = workerData as SplitJob;
const acked = new Int32Array(job.ctrl);
let batch: EngineEvent[] = [];
/** events at the head of this batch emitted before the first marker line (their container, if
 *  any, was opened in the first half: the main thread names it) */
let pre = 0;
let posted = 0;

function post(): void {
  if (!batch.length) return;
  const b = serialize(batch);
  const bytes = b.byteOffset === 0 && b.length === b.buffer.byteLength ? b.buffer : b.buffer.slice(b.byteOffset, b.byteOffset + b.length);
  parentPort!.postMessage({ events: bytes, pre }, [bytes as ArrayBuffer]);
  batch = [];
  pre = 0;
  posted++;
  for (let a = Atomics.load(acked, 0); posted - a >= job.inFlight; a = Atomics.load(acked, 0)) Atomics.wait(acked, 0, a);
}

// Fault injection for the test of the main thread's fallback (CNI_DOCTOR_DEBUG=split-worker-fails).
if (debugOn('split-worker-fails')) throw new Error('split worker failed on purpose (CNI_DOCTOR_DEBUG)');
const m = compileMatcher(job.source.catalog, { markers: job.source.markers });
const sc: StreamScanner = new StreamScanner(m, { ...job.info, continued: true }, (e) => {
  if (!sc.markerSeen) pre++;
  batch.push(e);
  if (batch.length >= job.batch) post();
});
await readRange(job.file, job.start, job.end, sc, CHUNK);
const stats = sc.end();
post();
parentPort!.postMessage({ stats, markerSeen: sc.markerSeen });
