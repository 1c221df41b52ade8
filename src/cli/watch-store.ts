// Engine state → the LiveModel the UI renders, recomputed at most every 100 ms and published only
// when something visible changed, so an idle pane does not redraw.
import type { Catalog } from '../catalog/load.js';
import { diagnose, facts } from '../engine/diagnose.js';
import type { LiveEngine } from '../engine/live.js';
import type { LiveModel, LiveNote, LiveStore } from '../present/live-model.js';
import { age, coarse } from '../present/format.js';

export interface WatchMeta {
  sources: string[];
  mode: 'live' | 'replay';
  speed?: number;
  backlog: () => number;
  /** how many files are followed now (watch --file) */
  files?: () => number;
  setPaused: (p: boolean) => void;
}

/** notes kept for the views (the UI shows the newest; a printer catching up prints them all) */
const KEEP_NOTES = 20;

export class WatchStore implements LiveStore {
  private model: LiveModel;
  private listeners = new Set<() => void>();
  private signature = '';
  private timer: NodeJS.Timeout | undefined;
  private paused = false;
  private notes: LiveNote[] = [];
  private rate = { lines: 0, at: Date.now(), perSec: 0 };
  private startedAt = Date.now();

  constructor(private engine: LiveEngine, private catalog: Catalog, private meta: WatchMeta) {
    this.model = this.build(Date.now());
    engine.onChange(() => this.schedule());
  }

  getSnapshot = (): LiveModel => this.model;

  subscribe = (l: () => void): (() => void) => {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  };

  setPaused = (p: boolean): void => {
    this.paused = p;
    this.meta.setPaused(p);
    this.publish();
  };

  private notesSeen = 0;
  private finished = false;

  /** The finite inputs have ended (a replay is done): the header says so. */
  inputEnded(): void {
    this.finished = true;
    this.publish();
  }

  /** `routine`: an event of a source that needs no action (a rotation), not a problem */
  note(text: string, routine = false): void {
    const notes = [...this.notes, routine ? { text, routine: true as const } : { text }];
    // Past the limit the oldest routine note goes first: rotations must not push a problem out.
    while (notes.length > KEEP_NOTES) {
      const i = notes.findIndex((n) => n.routine);
      notes.splice(i >= 0 && i < notes.length - 1 ? i : 0, 1);
    }
    this.notes = notes;
    this.notesSeen++;
    this.publish();
  }

  private caughtUpAt = Date.now();

  /** Seconds since every followed file was last read to its end (0 while caught up; paused counts as
   *  behind). Not "now minus the newest line's time": a quiet node writes nothing for hours without the
   *  reader being behind, and syslog stamps carry no year or zone. Bytes a journalctl pipe or stdin
   *  hold are not visible here, so those sources count as caught up unless paused. */
  lag(now = Date.now()): number {
    if (!this.paused && this.meta.backlog() === 0) this.caughtUpAt = now;
    return Math.max(0, now - this.caughtUpAt) / 1000;
  }

  /** Once a second: lines/s, ages, and quiet diagnoses. A replay's clock is the newest line replayed. */
  tick(now = Date.now()): void {
    this.lag();
    // the rate first: a replay has no clock before its first hit, but its lines are read all the same
    const lines = this.engine.state.stats.lines;
    const wall = Date.now();
    const dt = (wall - this.rate.at) / 1000;
    if (dt >= 1) this.rate = { lines, at: wall, perSec: Math.round((lines - this.rate.lines) / dt) };
    if (this.meta.mode === 'replay') {
      now = this.replayClock();
      if (!now) { this.publish(); return; }
    }
    this.engine.event({ type: 'tick', now });
  }

  /** The newest failure line replayed so far (0 before the first). */
  private replayClock(): number {
    return Math.max(0, ...Object.values(this.engine.state.hits).map((h) => h.lastSeen ?? 0));
  }

  private schedule(): void {
    if (this.timer || this.closed) return;
    this.timer = setTimeout(() => { this.timer = undefined; this.publish(); }, 100);
  }

  /** No more notifications (after the final flush). */
  close(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.closed = true;
    this.listeners.clear();
  }

  private closed = false;

  publish(): void {
    if (this.closed) return;
    const next = this.build(Date.now());
    // What the screen shows of time (ages and uptime, in minutes at the finest) decides a redraw, not the clock.
    const sig = JSON.stringify({ ...next, now: next.diagnoses.map((d) => age(d, next.now)), version: 0, upFor: coarse(next.upFor) });
    if (sig === this.signature) return;
    this.signature = sig;
    this.model = next;
    for (const l of this.listeners) l();
  }

  private build(now: number): LiveModel {
    const s = this.engine.state;
    const backlog = this.meta.backlog() + this.engine.pendingBytes();
    // A replay's clock (the newest failure replayed: hits only move it forward), so ages read as they
    // did at the time.
    const clock = this.meta.mode === 'replay' ? this.replayClock() : 0;
    return {
      sources: this.meta.sources,
      lines: s.stats.lines,
      linesPerSec: this.rate.perSec,
      // Paused, nothing is read: any byte waiting in a file is "behind".
      keepingUp: this.paused ? this.meta.backlog() === 0 : backlog < 4 << 20,
      backlog,
      ...(this.meta.files ? { files: this.meta.files() } : {}),
      paused: this.paused,
      mode: this.meta.mode,
      speed: this.meta.speed,
      facts: Object.fromEntries(Object.entries(facts(s)).map(([k, v]) => [k, { value: v.value, source: v.source, ...(v.used === false ? { used: false as const, note: v.note } : {}) }])),
      // Quiet time in whole minutes: a quiet diagnosis must not redraw the pane every second.
      diagnoses: diagnose(s, this.catalog).map((d) => (d.quietFor === undefined ? d : { ...d, quietFor: Math.floor(d.quietFor / 60_000) * 60_000 })),
      upFor: now - this.startedAt,
      startedAt: this.startedAt,
      finished: this.finished || undefined,
      // (read here too, not only at the once-a-second tick: a replay at full speed can end before it)
      now: this.meta.mode === 'replay' ? clock || now : now,
      ...(clock ? { clock } : {}),
      notes: this.notes,
      notesSeen: this.notesSeen,
      version: (this.model?.version ?? 0) + 1,
    };
  }
}
