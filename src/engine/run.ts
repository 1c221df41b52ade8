// Offline analysis: every input planned, every source scanned, every event folded into one state.
import type { Catalog } from '../catalog/load.js';
import { planInput, InputError } from '../sources/inputs.js';
import { stat } from 'node:fs/promises';
import { scanSource } from '../sources/stream.js';
import { ScanWorker } from './remote.js';
import type { EngineEvent, InputSummary } from './events.js';
import { compileMatcher, type Matcher } from './matcher.js';
import { initialState, reduce, type State } from './state.js';

const BATCH = 4096;

export interface AnalyzeResult {
  state: State;
  /** inputs that could not be read, or were cut short (exit 2 when nothing was found) */
  unreadable: string[];
}

/** compressed inputs from this size on are scanned in a worker thread */
const WORKER_MIN_BYTES = 4 << 20;

export interface AnalyzeOptions {
  /** force the scan worker on or off (default: on for large compressed inputs) */
  worker?: boolean;
}

export async function analyzePaths(paths: string[], catalog: Catalog, matcher: Matcher = compileMatcher(catalog), opts: AnalyzeOptions = {}): Promise<AnalyzeResult> {
  let state = initialState();
  let batch: EngineEvent[] = [];
  const flush = (): void => {
    if (batch.length) state = reduce(state, batch);
    batch = [];
  };
  const emit = (e: EngineEvent): void => {
    batch.push(e);
    if (batch.length >= BATCH) flush();
  };
  const unreadable: string[] = [];
  // Streams (decompressors, tar entries) of large inputs are scanned in a worker thread, so this
  // thread keeps draining the decompressor's pipe: decompression and scanning then overlap.
  let worker: ScanWorker | undefined;
  const useWorker = async (p: string): Promise<boolean> => {
    if (opts.worker === false) return false;
    if (opts.worker !== true) {
      const size = p === '-' ? 0 : await stat(p).then((s) => (s.isFile() ? s.size : 0), () => 0);
      if (size < WORKER_MIN_BYTES) return false;
    }
    worker ??= new ScanWorker(catalog.dirs, emit);
    return true;
  };

  for (const p of paths) {
    const summary: InputSummary = { path: p, kind: 'file', files: 0, lines: 0, bytes: 0 };
    let plan;
    try {
      plan = await planInput(p, catalog);
    } catch (e) {
      emit({ type: 'problem', source: p, reason: e instanceof InputError ? e.message.slice(p.length + 2) : (e as Error).message, fatal: true });
      unreadable.push(p);
      continue;
    }
    summary.kind = plan.kind;
    const remote = await useWorker(p);
    try {
      for await (const src of plan.sources) {
        summary.kind = plan.kind;
        try {
          const st = remote && 'readable' in src ? await worker!.scan(src.info, await src.readable()) : await scanSource(src, matcher, emit);
          summary.files++;
          summary.lines += st.lines;
          summary.bytes += st.bytes;
          emit({ type: 'stats', lines: st.lines, bytes: st.bytes, records: st.records, regexRuns: st.regexRuns });
        } catch (e) {
          const partial = (e as { partial?: { lines: number; bytes: number } }).partial;
          if (partial) { summary.files++; summary.lines += partial.lines; summary.bytes += partial.bytes; }
          const where = src.info.source === p ? p : `${p}: ${src.info.source}`;
          emit({ type: 'problem', source: where, reason: `${partial ? 'cut short' : 'unreadable'}: ${(e as Error).message}` });
          if (!unreadable.includes(p)) unreadable.push(p);
        }
        flush();
      }
    } catch (e) {
      const partialArchive = (e as { partialArchive?: boolean }).partialArchive;
      emit({ type: 'problem', source: p, reason: (e as Error).message, fatal: !partialArchive && summary.files === 0 });
      if (!unreadable.includes(p)) unreadable.push(p);
    }
    summary.kind = plan.kind;
    for (const n of plan.notes) emit({ type: 'problem', source: p, reason: n });
    emit({ type: 'input', input: summary });
    flush();
  }
  await worker?.close();
  flush();
  return { state, unreadable };
}
