// Live mode without a terminal UI: one line per event, plain or JSON Lines (the contract of
// ../shared/DESIGN.md: {"type":"diagnosis",…}, {"type":"fact",…}, {"type":"stats",…}; ours adds
// {"type":"problem",…} for a source in trouble and {"type":"note",…} for a routine event such as a
// rotation). A diagnosis is printed when it appears and, at most once a second, when it changes; the
// last state is always printed. Headless (a DaemonSet, whose metrics carry the live counts), a change
// of the count alone is printed at most once a minute: a steady failure reprinted its whole ~11 KB
// diagnosis every second, ~0.9 GB a day of the pod's log.
import type { Diagnosis } from '../engine/diagnose.js';
import type { LiveModel, LiveStore } from '../present/live-model.js';
import { duration, notSeenSince } from '../present/format.js';
import { visible } from './text.js';

/** One event, one line: a newline or an escape sequence from a log must not forge or hide one. */
const plain = (s: string): string => visible(s.replace(/\n/g, ' '));

const THROTTLE_MS = 1000;
/** headless: how often a diagnosis whose count alone grew is printed again */
export const HEADLESS_COUNT_EVERY_MS = 60_000;
const STATS_EVERY_MS = 10_000;

export class LinePrinter {
  private shown = new Map<string, { sig: string; core: string; at: number; timer?: NodeJS.Timeout; due?: number }>();
  private facts = new Map<string, string>();
  /** notes printed so far (LiveModel.notesSeen) */
  private notes = 0;
  private lastStats = 0;
  private statsSig = '';
  private files: number | undefined;

  private unsubscribe: () => void;
  /** a replay's lines carry its clock (the newest failure replayed), so they can be matched to the
   *  incident; before its first failure it has none, and no wall-clock time is passed off as one */
  private replay = false;
  private clock: number | undefined;

  private stamp(): string {
    if (this.replay) return this.clock ? new Date(this.clock).toISOString().slice(11, 19) : '--:--:--';
    return new Date().toISOString().slice(11, 19);
  }
  private closed = false;

  constructor(private store: LiveStore, private out: (s: string) => void, private json: boolean, private countEveryMs = THROTTLE_MS) {
    this.unsubscribe = store.subscribe(() => this.update());
  }

  /** Print nothing more (after the final flush). */
  close(): void {
    this.closed = true;
    this.unsubscribe();
    for (const v of this.shown.values()) if (v.timer) clearTimeout(v.timer);
  }

  /** What makes a change news, apart from the count. A quiet diagnosis growing a minute quieter is
   *  not (it was printed in full every minute, forever: ~23 MB a day from a DaemonSet); going quiet,
   *  or active again, is. */
  private core(d: Diagnosis): string {
    return `${d.severity}|${d.confidence}|${d.resolved ? `gone ${d.resolved.since}` : d.quietFor ? 'quiet' : 'active'}|${d.likelyCause ?? ''}`;
  }

  private line(d: Diagnosis, first: boolean): string {
    if (this.json) return JSON.stringify({ type: 'diagnosis', diagnosis: d });
    const t = this.stamp();
    const quiet = d.resolved ? `, ${notSeenSince(d.resolved, true)}` : d.quietFor ? `, not seen for ${duration(d.quietFor)}` : '';
    const cause = d.likelyCause ? `, likely caused by ${d.likelyCause}` : '';
    return plain(`${t} ${first ? 'NEW' : 'UPD'} ${d.severity.toUpperCase()} ${d.id} confidence=${d.confidence.toFixed(2)} seen=${d.occurrences}${quiet}${cause} — ${d.title}`);
  }

  private update(final = false): void {
    if (this.closed) return;
    const m = this.store.getSnapshot();
    const now = Date.now();
    this.replay = m.mode === 'replay';
    this.clock = m.clock;
    for (const d of m.diagnoses) {
      const prev = this.shown.get(d.id);
      const core = this.core(d);
      const sig = `${core}|${d.occurrences}`;
      if (prev && prev.sig === sig) continue;
      const wait = prev && prev.core === core ? this.countEveryMs : THROTTLE_MS;
      if (!prev || final || now - prev.at >= wait) {
        if (prev?.timer) clearTimeout(prev.timer);
        this.out(this.line(d, !prev));
        this.shown.set(d.id, { sig, core, at: now });
      } else if (!prev.timer || prev.due! > prev.at + wait) {
        // a real change while a count-only update waits its minute: printed within the second
        if (prev.timer) clearTimeout(prev.timer);
        prev.due = prev.at + wait;
        prev.timer = setTimeout(() => { prev.timer = undefined; prev.at = 0; this.update(); }, prev.due - now);
      }
    }
    for (const [name, f] of Object.entries(m.facts)) {
      if (this.facts.get(name) === f.value) continue;
      this.facts.set(name, f.value);
      const unused = f.used === false ? { used: false, note: f.note } : {};
      this.out(this.json ? JSON.stringify({ type: 'fact', name, value: f.value, source: f.source, ...unused }) : plain(`${this.stamp()} FACT ${name}=${f.value} (${f.source}${f.note ? `; ${f.note}` : ''})`));
    }
    // notes holds the latest few only: what is new is counted by notesSeen, not the list's length.
    const seen = m.notesSeen ?? m.notes.length;
    const fresh = Math.min(m.notes.length, seen - this.notes);
    for (const n of fresh > 0 ? m.notes.slice(-fresh) : []) {
      this.out(this.json
        ? JSON.stringify({ type: n.routine ? 'note' : 'problem', message: n.text })
        : plain(`${this.stamp()} ${n.routine ? 'NOTE' : 'PROBLEM'} ${n.text}`));
    }
    this.notes = seen;
    this.stats(m, final);
  }

  private stats(m: LiveModel, force: boolean): void {
    const now = Date.now();
    const sig = `${m.lines}|${m.linesPerSec}|${m.keepingUp}`;
    // How many files are followed is news at once (a glob's file appears or is let go of): it is not
    // held back to the next 10 s line.
    const files = m.files !== this.files;
    if (!force && !files && (now - this.lastStats < STATS_EVERY_MS || sig === this.statsSig)) return;
    this.lastStats = now;
    this.statsSig = sig;
    this.files = m.files;
    if (!this.json) return;
    // The last line of a run gives the average over the run (marked final, with its length): the rate
    // of the last second is 0 after any idle moment, and a fast replay ends before one is measured.
    const secs = force && m.startedAt !== undefined ? Math.max(0.001, (now - m.startedAt) / 1000) : undefined;
    const linesPerSec = secs === undefined ? m.linesPerSec : Math.round(m.lines / secs);
    this.out(JSON.stringify({ type: 'stats', lines: m.lines, linesPerSec, backlog: m.backlog, keepingUp: m.keepingUp, paused: m.paused, ...(m.files === undefined ? {} : { files: m.files }), ...(secs === undefined ? {} : { final: true, seconds: Math.round(secs * 1000) / 1000 }) }));
  }

  /** Print every diagnosis's last state now (at exit). */
  flush(): void {
    for (const v of this.shown.values()) if (v.timer) clearTimeout(v.timer);
    this.update(true);
  }
}
