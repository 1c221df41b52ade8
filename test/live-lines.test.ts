// The plain / JSON Lines printer of `watch` (what a DaemonSet's log keeps): one line per real change.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Diagnosis } from '../src/engine/diagnose.js';
import { LinePrinter } from '../src/report/live-lines.js';
import type { LiveModel, LiveStore } from '../src/ui/model.js';

class Store implements LiveStore {
  private ls = new Set<() => void>();
  constructor(public model: LiveModel) {}
  getSnapshot = (): LiveModel => this.model;
  subscribe = (l: () => void): (() => void) => { this.ls.add(l); return () => this.ls.delete(l); };
  setPaused(): void {}
  set(patch: Partial<LiveModel>): void {
    this.model = { ...this.model, ...patch, version: this.model.version + 1 };
    for (const l of this.ls) l();
  }
}

const base: LiveModel = { sources: ['file x'], lines: 0, linesPerSec: 0, keepingUp: true, backlog: 0, paused: false, mode: 'live', facts: {}, diagnoses: [], upFor: 0, now: 0, problems: [], version: 1 };
const diag = (p: Partial<Diagnosis>): Diagnosis => ({ id: 'kernel-ipv6-mark-regression', title: 'MARK', severity: 'critical', confidence: 0.9, occurrences: 3, ...p }) as Diagnosis;

test('a quiet diagnosis is printed when it goes quiet and when it comes back, not again each minute it stays quiet', async (t) => {
  t.mock.timers.enable({ apis: ['Date', 'setTimeout'] });
  const store = new Store(base);
  const out: string[] = [];
  const p = new LinePrinter(store, (s) => out.push(s), true);
  const diagLines = (): { quietFor?: number; occurrences: number }[] => out.map((l) => JSON.parse(l) as { type: string; diagnosis?: Diagnosis }).filter((e) => e.type === 'diagnosis').map((e) => e.diagnosis!);
  store.set({ diagnoses: [diag({})] });
  t.mock.timers.tick(5000);
  store.set({ diagnoses: [diag({ quietFor: 60_000 })] }); // gone quiet
  // A day of ticks while it stays quiet (the store floors quietFor to whole minutes).
  for (let min = 2; min <= 24 * 60; min++) {
    t.mock.timers.tick(60_000);
    store.set({ diagnoses: [diag({ quietFor: min * 60_000 })], now: min * 60_000 });
  }
  t.mock.timers.tick(60_000);
  store.set({ diagnoses: [diag({ occurrences: 4 })] }); // active again, one more hit
  p.flush();
  p.close();
  assert.deepEqual(diagLines().map((d) => [d.occurrences, d.quietFor === undefined ? 'active' : 'quiet']), [[3, 'active'], [3, 'quiet'], [4, 'active']]);
});

test('problems print after the fifth: the printer counts problemsSeen, not the list it is given', () => {
  const store = new Store(base);
  const out: string[] = [];
  const p = new LinePrinter(store, (s) => out.push(s), true);
  const all: string[] = [];
  for (let i = 1; i <= 9; i++) {
    all.push(`note ${i}`);
    store.set({ problems: all.slice(-5), problemsSeen: i });
  }
  p.close();
  assert.deepEqual(out.map((l) => JSON.parse(l) as { type: string; message?: string }).filter((e) => e.type === 'problem').map((e) => e.message), all);
});
