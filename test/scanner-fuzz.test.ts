// The scanner on random logs, pushed in random pieces into buffers of random size. It must end (a
// review found a full buffer that never made room), count every line, and, while no line is too long
// for the smaller buffer, find exactly what one large buffer given the whole text finds.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadCatalog } from '../src/catalog/load.js';
import { compileMatcher } from '../src/engine/matcher.js';
import { StreamScanner, type ScanStats } from '../src/engine/scanner.js';
import type { EngineEvent } from '../src/engine/events.js';
import { LiveEngine } from '../src/engine/live.js';
import { initialState, reduce, type State } from '../src/engine/state.js';
import { randomLog, rng } from './helpers/random-log.js';

const catalog = loadCatalog();
const matcher = compileMatcher(catalog);
const ctx = { refTime: Date.UTC(2025, 4, 27, 12) };

function scan(text: Buffer, capacity: number, cuts: number[]): { events: EngineEvent[]; stats: ScanStats } {
  const events: EngineEvent[] = [];
  const sc = new StreamScanner(matcher, { source: 't', path: 't.log', role: 'log', time: ctx }, (e) => events.push(e), capacity);
  let at = 0;
  for (const c of [...cuts, text.length]) {
    sc.push(text.subarray(at, c));
    at = c;
  }
  return { events, stats: sc.end() };
}

const hitsOf = (ev: EngineEvent[]): string[] => ev.flatMap((e) => (e.type === 'hit' ? [`${e.patternId}@${e.evidence.line}`] : []));

test('scanner fuzz: it ends, counts every line, and finds what one large buffer finds', () => {
  let compared = 0;
  let cut = 0;
  for (let seed = 1; seed <= 150; seed++) {
    const r = rng(seed);
    const capacity = (1 << 14) << Math.floor(r() * 4); // 16-128 KiB
    // One run in three has lines longer than the small buffer.
    const tooLong = seed % 3 === 0;
    const text = Buffer.from(randomLog(r, tooLong ? capacity * 2 : capacity / 8, seed % 2 ? 'journal' : 'cri'));
    const cuts = Array.from({ length: Math.floor(r() * 30) }, () => Math.floor(r() * text.length)).sort((a, b) => a - b);
    const small = scan(text, capacity, cuts);
    const newlines = text.toString('latin1').split('\n').length - 1;
    const want = newlines + (text.length && text[text.length - 1] !== 10 ? 1 : 0);
    assert.equal(small.stats.lines, want, `seed ${seed}: line count`);
    const problems = small.events.filter((e) => e.type === 'problem');
    if (problems.length) { cut++; continue; }
    const large = scan(text, 1 << 24, []);
    assert.deepEqual(hitsOf(small.events), hitsOf(large.events), `seed ${seed}, capacity ${capacity}, ${cuts.length} cuts`);
    compared++;
  }
  assert.ok(compared > 80 && cut > 20, `compared ${compared}, cut ${cut}`);
});

/** per pattern: occurrences and the lines of the first and last evidence */
const summary = (s: State): string => JSON.stringify(Object.entries(s.hits).map(([id, h]) => [id, h.occurrences, Object.values(h.signals).map((g) => [g.first.map((e) => e.line), g.last.map((e) => e.line)])]).sort());

test('scanner fuzz: watch, fed the same text in random pieces, ends with the state analyze reaches', () => {
  for (let seed = 1000; seed < 1060; seed++) {
    const r = rng(seed);
    const text = Buffer.from(randomLog(r, 4096, seed % 2 ? 'journal' : 'cri'));
    const info = { source: 't', path: 't.log', role: 'log' as const, time: ctx };
    const live = new LiveEngine(catalog, matcher);
    for (let at = 0; at < text.length;) {
      const n = 1 + Math.floor(r() * 3000);
      // strings as well as buffers: stdin and journalctl hand over text
      live.feed('t', info, r() < 0.5 ? text.subarray(at, at + n) : text.subarray(at, at + n).toString('latin1'));
      at += n;
    }
    live.finish();
    const offline = scan(text, 1 << 24, []);
    const want = reduce(initialState(), [...offline.events, { type: 'stats', ...offline.stats }]);
    assert.equal(summary(live.state), summary(want), `seed ${seed}`);
    assert.equal(live.state.stats.lines, want.stats.lines, `seed ${seed}: lines`);
  }
});
