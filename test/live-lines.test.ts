// The plain / JSON Lines printer of `watch` (what a DaemonSet's log keeps): one line per real change.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Diagnosis } from '../src/engine/diagnose.js';
import { HEADLESS_COUNT_EVERY_MS, LinePrinter } from '../src/report/live-lines.js';
import type { LiveModel, LiveNote, LiveStore } from '../src/present/live-model.js';

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

const base: LiveModel = { sources: ['file x'], lines: 0, linesPerSec: 0, keepingUp: true, backlog: 0, paused: false, mode: 'live', facts: {}, diagnoses: [], upFor: 0, now: 0, notes: [], version: 1 };
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

test('notes print after the fifth: the printer counts notesSeen, not the list it is given; a routine one is type note, not problem', () => {
  for (const json of [true, false]) {
    const store = new Store(base);
    const out: string[] = [];
    const p = new LinePrinter(store, (s) => out.push(s), json);
    const all: LiveNote[] = [];
    for (let i = 1; i <= 9; i++) {
      all.push(i % 3 ? { text: `lost ${i}` } : { text: `rotated ${i}`, routine: true });
      store.set({ notes: all.slice(-5), notesSeen: i });
    }
    p.close();
    const want = all.map((n) => [n.routine ? 'note' : 'problem', n.text]);
    const got = json
      ? out.map((l) => JSON.parse(l) as { type: string; message?: string }).filter((e) => e.type === 'problem' || e.type === 'note').map((e) => [e.type, e.message])
      : out.map((l) => /^\d\d:\d\d:\d\d (NOTE|PROBLEM) (.*)$/.exec(l)).filter((m) => m !== null).map((m) => [m[1].toLowerCase(), m[2]]);
    assert.deepEqual(got, want, json ? 'JSON Lines' : 'plain lines');
  }
});

test('a fact one of several nodes gave says so in JSON and plain lines, and the UI header does not show it as this node\'s', async () => {
  const listed = { value: '6.8.0-55-generic', source: 'k8s/cluster-info-dump', used: false as const, note: 'differs between the nodes this listing covers: not used' };
  const store = new Store(base);
  const json: string[] = [];
  const plainOut: string[] = [];
  const pj = new LinePrinter(store, (s) => json.push(s), true);
  const pp = new LinePrinter(store, (s) => plainOut.push(s), false);
  store.set({ facts: { 'kernel.release': listed } });
  pj.close();
  pp.close();
  const ev = json.map((l) => JSON.parse(l) as Record<string, unknown>).find((e) => e.type === 'fact');
  assert.deepEqual(ev, { type: 'fact', name: 'kernel.release', ...listed });
  assert.ok(plainOut.some((l) => l.includes('FACT kernel.release=6.8.0-55-generic (k8s/cluster-info-dump; differs between the nodes this listing covers: not used)')), plainOut.join('\n'));
  const { factsRow } = await import('../src/ui/Header.js');
  const row = (f: LiveModel['facts']): string => factsRow(f, 80).map((s) => s.text).join('');
  assert.doesNotMatch(row({ 'kernel.release': listed }), /6\.8\.0-55/);
  assert.match(row({ 'kernel.release': { value: '6.8.0-57-generic', source: 'apparmor/dmesg' } }), /6\.8\.0-57-generic/);
});

test('headless, a steady failure is reprinted once a minute while only its count grows, at once when something else changes, and its last count at the end', async (t) => {
  t.mock.timers.enable({ apis: ['Date', 'setTimeout'] });
  const store = new Store(base);
  const out: string[] = [];
  const p = new LinePrinter(store, (s) => out.push(s), true, HEADLESS_COUNT_EVERY_MS);
  const diagLines = (): Diagnosis[] => out.map((l) => JSON.parse(l) as { type: string; diagnosis?: Diagnosis }).filter((e) => e.type === 'diagnosis').map((e) => e.diagnosis!);
  // ten minutes of a hit a second (felix retrying)
  let n = 3;
  for (let s = 0; s < 600; s++) {
    store.set({ diagnoses: [diag({ occurrences: n++ })] });
    t.mock.timers.tick(1000);
  }
  const steady = diagLines().length;
  assert.ok(steady >= 10 && steady <= 12, `${steady} lines for 600 count changes (was one a second)`);
  // the confidence moves: printed within the second, not at the next minute
  const before = diagLines().length;
  store.set({ diagnoses: [diag({ occurrences: n++, confidence: 1 })] });
  t.mock.timers.tick(1000);
  assert.equal(diagLines().length, before + 1);
  assert.equal(diagLines().at(-1)!.confidence, 1);
  store.set({ diagnoses: [diag({ occurrences: n, confidence: 1 })] });
  p.flush();
  p.close();
  assert.equal(diagLines().at(-1)!.occurrences, n, 'the final state is printed');
});
