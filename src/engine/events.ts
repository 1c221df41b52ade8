// What flows from the scanners into the reducer. Plain data, serialisable (worker threads post it).
import type { InputSummary } from '../sources/origin.js';

export type { InputSummary };

export interface Evidence {
  source: string;
  line: number;
  time?: string;
  text: string;
  /** [start, end) of the matched text inside `text`, for highlighting */
  match?: [number, number];
  /** `namespace/pod` whose log (or listing row) this is, when known */
  pod?: string;
}

/** One record matched by one or more signals of one pattern: one occurrence. */
export interface HitEvent {
  type: 'hit';
  patternId: string;
  signals: string[];
  captures: Record<string, string>;
  time?: number;
  evidence: Evidence;
  /** the record stands for this many events spread over `overMs` (a describe row's `(x12 over 9m)`) */
  repeat?: { count: number; overMs: number };
  /** `namespace/pod` when the record is from a pod's log (a cluster-info-dump block, a sos podlogs
   *  file) or a listing row naming it: set aside at diagnosis if that pod runs on another node */
  pod?: string;
}

export interface FactEvent {
  type: 'fact';
  name: string;
  value: string;
  source: string;
  line?: number;
  time?: number;
  priority: number;
  combine?: 'max';
  /** read from a listing of every node (a NodeList, all pods): it may describe another node */
  cluster?: true;
  /** `namespace/pod` whose log the value was read from (it describes that pod's node) */
  pod?: string;
  /** the input (a path given to analyze) it was read from */
  input?: string;
  /** the value holds from `time` until the next timed value of the same fact (a boot's kernel) */
  timed?: true;
}

/** A pod runs on a node (`namespace/pod` → node name), from a pod listing. */
export interface PlacementEvent { type: 'placement'; pod: string; node: string; source: string }

export interface TimelineEvent {
  type: 'timeline';
  kind: string;
  text: string;
  time?: number;
  source: string;
  line?: number;
  /** the node (re)started here: a failure seen only before it, with the logs going on past it, is no longer current */
  freshStart?: true;
}


export interface InputEvent { type: 'input'; input: InputSummary }

/** Something that could not be read, or was read only in part. */
export interface ProblemEvent {
  type: 'problem';
  source: string;
  /** the line it is at, when it is at one: the reason then reads on from "line N" */
  line?: number;
  reason: string;
  /** true when nothing of this input could be read */
  fatal?: boolean;
}

/** The passage of time (live mode), so diagnoses can go quiet. */
export interface TickEvent { type: 'tick'; now: number }

/** `lastTime`: the stamp of the latest line of the stream so far (its lines need not hold any hit):
 *  how far the logs go on after a boot without a failure; `lastPod`: the pod whose log that line is
 *  (a dump's container block, a pod's log file), so that another node's pod does not count. */
export interface StatsEvent { type: 'stats'; lines: number; bytes: number; records: number; regexRuns: number; lastTime?: number; lastPod?: string }

export type EngineEvent = HitEvent | FactEvent | TimelineEvent | InputEvent | ProblemEvent | TickEvent | StatsEvent | PlacementEvent;

/** A problem as one sentence: "line 12 is longer than 9 MiB: …" */
export function problemText(p: ProblemEvent): string {
  return p.line === undefined ? p.reason : `line ${p.line} ${p.reason}`;
}
