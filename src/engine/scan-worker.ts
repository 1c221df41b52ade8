// Worker thread: scans streams handed over by the main thread, so the main thread stays free to
// drain a decompressor's pipe (a 64 KiB pipe stalls the decompressor whenever the reader is busy).
import { parentPort, workerData } from 'node:worker_threads';
import { loadCatalog } from '../catalog/load.js';
import type { EngineEvent } from './events.js';
import { compileMatcher } from './matcher.js';
import { StreamScanner, type StreamInfo } from './scanner.js';

export type ToWorker =
  | { type: 'open'; id: number; info: StreamInfo }
  | { type: 'chunk'; id: number; data: Uint8Array }
  | { type: 'end'; id: number };

export type FromWorker =
  | { type: 'ready' }
  | { type: 'events'; events: EngineEvent[] }
  | { type: 'ack'; bytes: number }
  | { type: 'done'; id: number; stats: { bytes: number; lines: number; records: number; regexRuns: number; cutLines: number } }
  | { type: 'error'; id: number; message: string };

const port = parentPort!;
const { dirs } = workerData as { dirs: string[] };
const matcher = compileMatcher(loadCatalog(dirs, { builtin: false }));
const scanners = new Map<number, StreamScanner>();
let events: EngineEvent[] = [];
const emit = (e: EngineEvent): void => {
  events.push(e);
  if (events.length >= 1024) flushEvents();
};
function flushEvents(): void {
  if (!events.length) return;
  port.postMessage({ type: 'events', events } satisfies FromWorker);
  events = [];
}

port.on('message', (m: ToWorker) => {
  try {
    if (m.type === 'open') scanners.set(m.id, new StreamScanner(matcher, m.info, emit));
    else if (m.type === 'chunk') {
      scanners.get(m.id)!.push(Buffer.from(m.data.buffer, m.data.byteOffset, m.data.byteLength));
      flushEvents();
      port.postMessage({ type: 'ack', bytes: m.data.byteLength } satisfies FromWorker);
    } else {
      const sc = scanners.get(m.id)!;
      scanners.delete(m.id);
      const stats = sc.end();
      flushEvents();
      port.postMessage({ type: 'done', id: m.id, stats } satisfies FromWorker);
    }
  } catch (e) {
    flushEvents();
    port.postMessage({ type: 'error', id: m.id, message: (e as Error).message } satisfies FromWorker);
  }
});
port.postMessage({ type: 'ready' } satisfies FromWorker);
