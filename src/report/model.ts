// The report: the JSON contract of DESIGN.md, built from engine state. Text and Markdown render it.
import type { Catalog } from '../catalog/load.js';
import { diagnose, facts, isCurrentProblem, timeline, type Diagnosis } from '../engine/diagnose.js';
import { problemText, type InputSummary } from '../engine/events.js';
import type { State } from '../engine/state.js';

export interface Report {
  tool: { name: 'cni-doctor'; version: string };
  inputs: InputSummary[];
  facts: ReturnType<typeof facts>;
  diagnoses: Diagnosis[];
  timeline: ReturnType<typeof timeline>;
  problems: { source: string; reason: string }[];
  stats: State['stats'];
}

export function buildReport(state: State, catalog: Catalog, version: string): Report {
  const diagnoses = diagnose(state, catalog);
  return {
    tool: { name: 'cni-doctor', version },
    inputs: state.inputs,
    facts: facts(state),
    diagnoses,
    timeline: timeline(state, diagnoses),
    problems: [
      ...state.problems.map((p) => ({ source: p.source, reason: problemText(p) })),
      ...(state.timelineDropped ? [{ source: 'timeline', reason: `${state.timelineDropped} more upgrade events were left out (the timeline keeps ${state.timeline.length})` }] : []),
    ],
    stats: state.stats,
  };
}

/** What a report with no diagnosis says: an all-clear only when everything asked for was read. */
export function noDiagnosisText(r: Report): string {
  const read = r.inputs.some((i) => i.files > 0 || i.lines > 0);
  if (!read) return 'Nothing could be read, so nothing could be diagnosed: see “Not read” below.';
  if (r.problems.length) return 'No known failure found in what could be read (see “Not read” below).';
  return 'No known failure found in these logs.';
}

/** 0 nothing found, 1 a warning or worse still current (one not seen since a later boot does not
 *  count), 2 an input not read, or read in part (DESIGN.md). A
 *  diagnosis outranks unreadable input: what was found is the news, and the unreadable input is
 *  still named on stderr and in the report (README, exit codes). */
export function exitCode(r: Report, unreadable: string[]): 0 | 1 | 2 {
  if (r.diagnoses.some(isCurrentProblem)) return 1;
  return unreadable.length ? 2 : 0;
}

const NULLABLE = new Set(['time', 'firstSeen', 'lastSeen']);

/** The JSON contract: unknown times are null, not missing. */
export function reportJson(r: Report): string {
  return JSON.stringify(r, (k, v: unknown) => (v === undefined && NULLABLE.has(k) ? null : v), 2);
}
