// Offline analysis: every input planned, every source scanned, every event folded into one state.
import { statSync } from 'node:fs';
import type { Catalog } from '../catalog/load.js';
import { planInput, InputError } from '../sources/inputs.js';
import { scanSource } from './scan-source.js';
import type { EngineEvent, InputSummary } from './events.js';
import { compileMatcher, type Matcher } from './matcher.js';
import { initialState, reduce, type State } from './state.js';
import { inputNodes, sameNode } from './diagnose.js';

const BATCH = 4096;

export interface AnalyzeResult {
  state: State;
  /** inputs that could not be read, or were cut short (exit 2 when nothing was found) */
  unreadable: string[];
  /** with several inputs, each one's own state as well (several nodes' bundles are then reported one
   *  node at a time): the scan is shared, only the reducing is done twice (a node with several inputs
   *  is read again, together, by the caller) */
  perInput?: Map<string, State>;
}

export async function analyzePaths(paths: string[], catalog: Catalog, matcher: Matcher = compileMatcher(catalog)): Promise<AnalyzeResult> {
  let state = initialState();
  const perInput = paths.length > 1 ? new Map<string, State>() : undefined;
  // (every batch holds one input's events: it is flushed at the end of each input)
  let own = initialState();
  let batch: EngineEvent[] = [];
  const flush = (): void => {
    if (batch.length) {
      state = reduce(state, batch);
      if (perInput) own = reduce(own, batch);
    }
    batch = [];
  };
  const emit = (e: EngineEvent): void => {
    batch.push(e);
    if (batch.length >= BATCH) flush();
  };
  const unreadable: string[] = [];

  for (const p of paths) {
    flush();
    own = initialState();
    const summary: InputSummary = { path: p, kind: 'file', files: 0, lines: 0, bytes: 0 };
    let plan;
    try {
      plan = await planInput(p, catalog);
    } catch (e) {
      emit({ type: 'problem', source: p, reason: e instanceof InputError ? e.message.slice(p.length + 2) : (e as Error).message, fatal: true });
      unreadable.push(p);
      // Listed with nothing read, so the report's inputs are the ones asked for (a directory that
      // could not be read is still a directory).
      if (p === '-') summary.kind = 'stdin';
      else {
        try { if (statSync(p).isDirectory()) summary.kind = 'directory'; } catch { /* missing: stays a file */ }
      }
      emit({ type: 'input', input: summary });
      flush();
      perInput?.set(p, own);
      continue;
    }
    summary.kind = plan.kind;
    try {
      for await (const src of plan.sources) {
        summary.kind = plan.kind;
        try {
          // A problem the scan itself finds (a line too long) names the entry; say which bundle too.
          // A fact says which input it came from (the node names of several bundles are compared).
          const named = (e: EngineEvent): void => emit(
            e.type === 'fact' ? { ...e, input: p }
              : e.type === 'problem' && src.info.source !== p && e.source === src.info.source ? { ...e, source: `${p}: ${e.source}` } : e);
          const st = await scanSource(src, matcher, named);
          summary.files++;
          summary.lines += st.lines;
          summary.bytes += st.bytes;
          emit({ type: 'stats', lines: st.lines, bytes: st.bytes, records: st.records, regexRuns: st.regexRuns, ...(st.lastTime !== undefined ? { lastTime: st.lastTime } : {}), ...(st.lastPod ? { lastPod: st.lastPod } : {}) });
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
    // A size limit reached is a partial read, like a truncated archive (already said in the notes).
    if (plan.partial && !unreadable.includes(p)) unreadable.push(p);
    // A directory or bundle with nothing to read is no all-clear: nothing was looked at.
    if (summary.files === 0 && !unreadable.includes(p)) {
      const reason = plan.notes.length
        ? 'no readable log file in it (see the lines above)'
        : `no log files found in it: give the directory or bundle that holds the node's logs (/var/log, an unpacked microk8s inspect or sosreport)`;
      emit({ type: 'problem', source: p, reason, fatal: true });
      unreadable.push(p);
    }
    emit({ type: 'input', input: summary });
    flush();
    perInput?.set(p, own);
  }
  flush();
  return { state, unreadable, ...(perInput ? { perInput } : {}) };
}

/** Inputs grouped by the node they come from, when they come from more than one: an input whose own
 *  node name is known joins the others of that node; one that names none, or several (a directory of
 *  several nodes' bundles), stands alone. Undefined when there is nothing to split. */
export function nodeGroups(perInput: Map<string, State>): { node?: string; paths: string[] }[] | undefined {
  const groups: { node?: string; paths: string[] }[] = [];
  for (const [p, s] of perInput) {
    const names = inputNodes(s);
    const g = names.length === 1 ? groups.find((x) => x.node !== undefined && sameNode(x.node, names[0])) : undefined;
    if (g) g.paths.push(p);
    else groups.push({ node: names.length === 1 ? names[0] : undefined, paths: [p] });
  }
  return groups.filter((g) => g.node !== undefined).length > 1 ? groups : undefined;
}
