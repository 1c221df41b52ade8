// One large log file scanned in two halves at once: the main thread scans the first half while a
// worker thread scans the second, cut at a line where no record can span the cut. The worker's
// events are folded in after all of the first half's, with line numbers shifted, so the result is
// the one a single scan from start to end gives (test/split.test.ts compares the two).
import { stat } from 'node:fs/promises';
import { deserialize } from 'node:v8';
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { Format } from '../catalog/schema.js';
import type { EngineEvent } from './events.js';
import { activeSignals, type Matcher } from './matcher.js';
import { CHUNK, FORMAT_SAMPLE_LINES, formatSample, podOfContext, StreamScanner, type ScanStats, type StreamInfo } from './scanner.js';
import { detectFormat } from '../parse/formats.js';
import { MAX_RECORD_LINES, startsRecord } from '../parse/join.js';
import { boundHeap } from '../runtime/heap.js';
import { debugOn } from '../runtime/debug.js';
import { readAt, readRange } from '../sources/read-range.js';

/** When a file is split. Below `minBytes` the worker's start and the two halves slowing each other
 *  down cost what the split saves (measured here: 100 MB 0.5–0.7 s whole, 0.7–0.75 s split;
 *  400 MB even; 1 GiB 1.9–2.2 s whole, 1.55–1.6 s split). Above `densePerMiB` literal hits per MiB
 *  (counted in the middle of the file) the time goes to the hits, which the main thread reduces
 *  whichever thread found them, and the worker's heap and events cost memory: a 1 GiB log with a
 *  failure every 100 lines (~50 per MiB) took 3.2 s split against 2.9 s whole, at 200 MB RSS
 *  against 91 MB. The bench's node logs have 3–10 per MiB.
 *  `CNI_DOCTOR_SPLIT_LIMITS=<minBytes>:<densePerMiB>` overrides both (tests). */
export interface SplitLimits { minBytes: number; densePerMiB: number }
export const splitLimits: SplitLimits = { minBytes: 512 << 20, densePerMiB: 20, ...limitsFromEnv(process.env.CNI_DOCTOR_SPLIT_LIMITS) };

function limitsFromEnv(v: string | undefined): Partial<SplitLimits> {
  if (v === undefined) return {};
  const m = /^(\d+):(\d+)$/.exec(v);
  if (!m) process.stderr.write(`cni-doctor: ignoring CNI_DOCTOR_SPLIT_LIMITS=${v}: it takes <bytes>:<hits per MiB>, e.g. 536870912:20\n`);
  return m ? { minBytes: Number(m[1]), densePerMiB: Number(m[2]) } : {};
}
/** Bytes read at the start (format) and in the middle (the cut) of a file. */
const PROBE_BYTES = 1 << 20;
/** Event batches the worker may have on their way before it waits for the main thread. The main
 *  thread takes none until its own half is done, so this is how far the worker gets ahead; they
 *  wait serialized, outside the main thread's heap (a batch of 1,024 events is about 260 KB
 *  serialized, so 16 of them about 4 MB). */
const IN_FLIGHT = 16;
const EVENT_BATCH = 1024;
/** The worker's old space: its live heap is ~10 MB (matcher, scanner, the batch being filled); the
 *  cap keeps V8 from growing headroom it does not need (hit-dense files are not split at all). */
const WORKER_OLD_SPACE_MB = 64;

// Workers run compiled JavaScript; from src/ under tsx (the in-process tests) files are scanned whole.
const WORKER_URL = import.meta.url.endsWith('.js') ? new URL('./split-worker.js', import.meta.url) : undefined;
let jobs = Math.min(2, availableParallelism());

/** `--jobs`: 1 scans every file on the main thread; 2 or more splits large files in two. */
export function setScanJobs(n: number): void {
  jobs = n;
}

/** What the split did in this process (for tests: a worker that silently fell back would still
 *  give the right answer). */
export const splitStats = { workerBatches: 0, fallbacks: 0 };

export interface SplitPlan { cut: number; size: number; format: Format }

export interface SplitJob {
  file: string;
  start: number;
  end: number;
  info: StreamInfo;
  source: Matcher['source'];
  ctrl: SharedArrayBuffer;
  inFlight: number;
  batch: number;
}

/** Where to cut a file, or undefined to scan it whole. */
export async function planSplit(file: string, info: StreamInfo, m: Matcher): Promise<SplitPlan | undefined> {
  if (jobs < 2 || !WORKER_URL || info.role !== 'log') return undefined;
  const { size } = await stat(file);
  if (size < splitLimits.minBytes) return undefined;
  const active = activeSignals(m, info);
  const windowed = m.signals.filter((s) => active[s.idx] && s.window);

  let format = info.format;
  if (format === undefined) {
    // The format the whole-file scan would detect: the same first lines, the same function.
    const head = await readAt(file, 0, PROBE_BYTES);
    const sample = formatSample(head, head.lastIndexOf(10) + 1);
    if (sample.length < FORMAT_SAMPLE_LINES) return undefined;
    format = detectFormat(sample, info.time);
  }
  // A cluster-info-dump (a format only its bundle layout gives) changes format block by block: one
  // format cannot vouch for a cut there, so such a file is scanned whole.
  if (format === 'cluster-info-dump') return undefined;

  const mid = Math.floor(size / 2);
  const from = Math.max(0, mid - PROBE_BYTES);
  const win = await readAt(file, from, 2 * PROBE_BYTES);
  let s = win.indexOf(10, mid - from) + 1;
  if (s === 0) return undefined;
  const prevStart = s >= 2 ? win.lastIndexOf(10, s - 2) + 1 : 0;
  if (prevStart === 0 && from > 0) return undefined; // a line longer than the probe
  let cut = -1;
  for (let prev = win.toString('utf8', prevStart, s - 1); ;) {
    const e = win.indexOf(10, s);
    if (e === -1) return undefined;
    const line = win.toString('utf8', s, e);
    if (startsRecord(prev, line, format, info.time)) { cut = s; break; }
    prev = line;
    s = e + 1;
  }
  const { index } = m.view(active);
  let hits = 0;
  for (let p = 0; p < win.length;) {
    const h = index.find(win, p, win.length);
    if (h === -1) break;
    hits++;
    p = (win.indexOf(10, h) + 1) || win.length;
  }
  if (hits > splitLimits.densePerMiB * (win.length / (1 << 20))) return undefined;
  if (windowed.length) {
    // A rule that reads lines around its record (JSON, YAML values) could need lines from the other
    // half: cut only where no such rule's literal occurs within reach (a whole record plus its window).
    const reach = MAX_RECORD_LINES + Math.max(...windowed.map((w) => Math.max(w.window!.before, w.window!.after)));
    const lines = (a: number, b: number): number => { let n = 0; for (let p = win.indexOf(10, a); p !== -1 && p < b; p = win.indexOf(10, p + 1)) n++; return n; };
    if (lines(0, cut) <= reach || lines(cut, win.length) <= reach) return undefined;
    if (windowed.some((w) => win.includes(w.literal))) return undefined;
  }
  return { cut: from + cut, size, format };
}

function shifted(e: EngineEvent, lines: number): EngineEvent {
  switch (e.type) {
    case 'hit': return { ...e, evidence: { ...e.evidence, line: e.evidence.line + lines } };
    case 'fact':
    case 'timeline': return e.line === undefined ? e : { ...e, line: e.line + lines };
    case 'problem': return e.line === undefined ? e : { ...e, line: e.line + lines };
    default: return e;
  }
}

/** An event from the second half that came before its first marker line: it belongs to the
 *  container block the first half ended in, which the whole-file scan would have named. */
function inContext(e: EngineEvent, source: string, context: string): EngineEvent {
  if (!context) return e;
  const named = `${source} (${context})`;
  const pod = podOfContext(context);
  switch (e.type) {
    case 'hit': return e.evidence.source === source ? { ...e, evidence: { ...e.evidence, source: named, pod }, pod } : e;
    case 'fact': return e.source === source ? { ...e, source: named, pod } : e;
    case 'timeline': return e.source === source ? { ...e, source: named } : e;
    default: return e;
  }
}

function add(a: ScanStats, b: ScanStats): ScanStats {
  const last = b.lastTime !== undefined ? b : a;
  return { bytes: a.bytes + b.bytes, lines: a.lines + b.lines, records: a.records + b.records, regexRuns: a.regexRuns + b.regexRuns, ...(last.lastTime !== undefined ? { lastTime: last.lastTime } : {}), ...(last.lastPod ? { lastPod: last.lastPod } : {}) };
}

export async function scanSplit(file: string, info0: StreamInfo, plan: SplitPlan, m: Matcher, emit: (e: EngineEvent) => void): Promise<ScanStats> {
  const info = { ...info0, format: plan.format };
  const ctrl = new SharedArrayBuffer(4);
  const acked = new Int32Array(ctrl);
  const job: SplitJob = { file, start: plan.cut, end: plan.size, info, source: m.source, ctrl, inFlight: IN_FLIGHT, batch: EVENT_BATCH };
  const worker = new Worker(WORKER_URL!, { workerData: job, resourceLimits: { maxOldGenerationSizeMb: WORKER_OLD_SPACE_MB } });
  worker.once('online', boundHeap);

  // Until the first half is done its line count is unknown: the worker's batches wait here.
  const waiting: { events: ArrayBuffer; pre: number }[] = [];
  let firstLines: number | undefined;
  let applied = 0;
  let firstContext = '';
  const apply = ({ events: bytes, pre }: { events: ArrayBuffer; pre: number }): void => {
    const events = deserialize(new Uint8Array(bytes)) as EngineEvent[];
    events.forEach((e, i) => emit(shifted(i < pre ? inContext(e, info.source, firstContext) : e, firstLines!)));
    applied++;
    splitStats.workerBatches++;
    Atomics.add(acked, 0, 1);
    Atomics.notify(acked, 0);
  };
  let restMarkers = false;
  const second = new Promise<ScanStats>((resolve, reject) => {
    worker.on('message', (msg: { events?: ArrayBuffer; pre?: number; stats?: ScanStats; markerSeen?: boolean }) => {
      if (msg.events) {
        const batch = { events: msg.events, pre: msg.pre ?? 0 };
        if (firstLines === undefined) waiting.push(batch);
        else apply(batch);
      } else if (msg.stats) {
        restMarkers = !!msg.markerSeen;
        resolve(msg.stats);
      }
    });
    worker.on('error', reject);
    worker.on('exit', (code) => reject(new Error(`scan worker stopped (exit ${code})`)));
  });
  second.catch(() => undefined); // looked at below, once the first half is done

  const sc = new StreamScanner(m, info, emit);
  let first: ScanStats;
  let rest: ScanStats;
  let failed: string | undefined;
  // Whatever happens here (a read error, an emit that throws), the worker must not outlive the scan:
  // blocked in Atomics.wait, it would keep the process alive.
  try {
    await readRange(file, 0, plan.cut, sc, CHUNK);
    first = sc.end();
    firstContext = sc.markerContext;
    firstLines = first.lines;
    for (const b of waiting.splice(0)) apply(b);
    try {
      rest = await second;
    } catch (e) {
      if (applied > 0) throw e;
      failed = (e as Error).message;
      // The worker failed before any of its events counted: scan the second half here instead.
      splitStats.fallbacks++;
      const lines = first.lines;
      const sc2: StreamScanner = new StreamScanner(m, { ...info, continued: true }, (ev) => emit(shifted(sc2.markerSeen ? ev : inContext(ev, info.source, firstContext), lines)));
      await readRange(file, plan.cut, plan.size, sc2, CHUNK);
      rest = sc2.end();
      restMarkers = sc2.markerSeen;
    }
  } finally {
    await worker.terminate();
  }
  // What the split did, for tests and for whoever wonders whether it ran.
  if (debugOn('split')) {
    process.stderr.write(`cni-doctor: split ${file} at byte ${plan.cut}: ${failed ? `the worker failed (${failed}), the second half was rescanned here` : `${applied} batches from the worker`}\n`);
  }
  // A second half without a marker line is all inside the block the first half ended in: its last
  // line is that pod's, as the whole-file scan would say.
  if (!restMarkers && firstContext && rest.lastTime !== undefined && !rest.lastPod) rest = { ...rest, lastPod: podOfContext(firstContext) };
  return add(first, rest);
}
