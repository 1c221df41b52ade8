// What a live view shows (the Ink UI, the plain live lines), and the store it reads it from. Views
// only render this; the watch command computes it (engine state → diagnoses) and owns the store.
import type { Diagnosis } from '../engine/diagnose.js';

export interface LiveFact {
  value: string;
  source: string;
  /** false: a listing of several nodes gave this value, and no condition used it */
  used?: false;
  note?: string;
}

export interface LiveModel {
  /** what is being followed, e.g. "journal: snap.microk8s.*", "file: /var/log/syslog" */
  sources: string[];
  /** lines read so far, and the recent rate */
  lines: number;
  linesPerSec: number;
  /** false when input arrives faster than it is scanned (lines are queued, none dropped) */
  keepingUp: boolean;
  /** lines waiting to be scanned */
  backlog: number;
  /** watch --file: how many files are followed now (a glob's deleted files are let go of) */
  files?: number;
  paused: boolean;
  /** live: following; replay: replaying a recording at `speed` */
  mode: 'live' | 'replay';
  speed?: number;
  facts: Record<string, LiveFact>;
  /** ranked, most severe first; `quietFor` set when not seen recently */
  diagnoses: Diagnosis[];
  /** the finite inputs have ended (a replay played to its end, stdin closed) while the view stays open */
  finished?: boolean;
  /** wall-clock time since the watch started (a replay's `now` is the recording's clock) */
  upFor: number;
  /** wall-clock start of the watch (ms since the epoch): what a run's average rate is over */
  startedAt?: number;
  now: number;
  /** a replay's clock: the newest failure replayed (absent before the first) */
  clock?: number;
  /** one-line notes on the sources, the latest few, oldest first: problems (a source lost, a
   *  permission error) and routine events (a rotation, a file appearing), which need no action */
  notes: LiveNote[];
  /** how many notes were made in all (notes keeps only the latest): a view that prints each once
   *  tracks this number, not the list's length */
  notesSeen?: number;
  /** bumped on every change */
  version: number;
}

/** A rotation is routine: a DaemonSet alerting on problems must not fire at every logrotate run. */
export interface LiveNote {
  text: string;
  routine?: true;
}

export interface LiveStore {
  getSnapshot(): LiveModel;
  subscribe(listener: () => void): () => void;
  setPaused(paused: boolean): void;
}
