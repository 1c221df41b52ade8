// Every pattern, fact rule and timeline rule carries examples; this runs them through the real
// scanner (prefilter, record assembly, regexes), so an example passes only if the bulk path finds it.
import { diagnose } from '../engine/diagnose.js';
import type { EngineEvent, HitEvent } from '../engine/events.js';
import { initialState, reduce } from '../engine/state.js';
import { compileMatcher, type Matcher } from '../engine/matcher.js';
import { podKey, StreamScanner } from '../engine/scanner.js';
import picomatch from 'picomatch';
import type { Catalog } from './load.js';

export interface ExampleFailure { file: string; id: string; what: string }

export function scanText(m: Matcher, text: string, opts: { path?: string; role?: 'log' | 'facts'; refTime?: number } = {}): EngineEvent[] {
  const events: EngineEvent[] = [];
  const sc = new StreamScanner(m, { source: 'example', path: opts.path ?? 'example.log', role: opts.role ?? 'log', time: { refTime: opts.refTime ?? Date.UTC(2025, 5, 1) } }, (e) => events.push(e), 1 << 16);
  sc.push(Buffer.from(text.endsWith('\n') ? text : text + '\n'));
  sc.end();
  return events;
}

/** Would this text, seen `times` times (to meet any count or window), raise the pattern? */
function raises(cat: Catalog, m: Matcher, id: string, text: string, facts: Record<string, string> = {}, times = 10): boolean {
  const events = scanText(m, Array(times).fill(text.replace(/\n$/, '')).join('\n'));
  const factEvents: EngineEvent[] = Object.entries(facts).map(([name, value]) => ({ type: 'fact', name, value, source: 'example', priority: 100 }));
  const state = reduce(initialState(), [...factEvents, ...events]);
  return diagnose(state, cat).some((d) => d.id === id);
}

export function runExamples(cat: Catalog, matcher = compileMatcher(cat)): { passed: number; failures: ExampleFailure[] } {
  const failures: ExampleFailure[] = [];
  let passed = 0;
  const check = (ok: boolean, f: ExampleFailure): void => {
    if (ok) passed++;
    else failures.push(f);
  };
  for (const p of cat.patterns) {
    p.examples.positive.forEach((ex, i) => {
      const hits = scanText(matcher, ex.text).filter((e): e is HitEvent => e.type === 'hit' && e.patternId === p.id);
      const wanted = ex.signal ? hits.filter((h) => h.signals.includes(ex.signal!)) : hits;
      let why = '';
      if (!hits.length) why = 'no signal matched';
      else if (!wanted.length) why = `matched ${hits.flatMap((h) => h.signals).join(', ')} but not ${ex.signal}`;
      else if (!raises(cat, matcher, p.id, ex.text, ex.facts)) why = `signal ${wanted[0].signals[0]} matched but the diagnosis is not raised${ex.facts ? '' : ' (does it need facts: in the example?)'}`;
      else if (ex.captures) {
        const got = Object.assign({}, ...wanted.map((h) => h.captures)) as Record<string, string>;
        const bad = Object.entries(ex.captures).filter(([k, v]) => got[k] !== v);
        if (bad.length) why = `captures differ: ${bad.map(([k, v]) => `${k} wanted ${JSON.stringify(v)} got ${JSON.stringify(got[k])}`).join(', ')}`;
      }
      check(!why, { file: p.file, id: p.id, what: `positive example ${i + 1} (${ex.format}): ${why}` });
    });
    p.examples.negative.forEach((ex, i) => {
      const hits = scanText(matcher, ex.text).filter((e): e is HitEvent => e.type === 'hit' && e.patternId === p.id);
      check(!raises(cat, matcher, p.id, ex.text, {}, ex.times), { file: p.file, id: p.id, what: `negative example ${i + 1} (${ex.format}${ex.times ? `, seen ${ex.times} times` : ''}) raises the diagnosis (signals ${hits.flatMap((h) => h.signals).join(', ')}): it must not (${ex.why})` });
    });
  }
  for (const r of cat.facts) {
    r.examples.forEach((ex, i) => {
      const facts = scanText(matcher, ex.text, { path: ex.file ?? r.files?.[0]?.replace(/\*\*?/g, 'x') ?? 'example.log', role: 'facts' })
        .filter((e) => e.type === 'fact' && e.name === r.fact);
      const got = facts.map((f) => (f.type === 'fact' ? f.value : ''));
      check(got.includes(ex.value), { file: r.file, id: r.fact, what: `example ${i + 1}: wanted ${JSON.stringify(ex.value)}, got ${got.length ? got.map((g) => JSON.stringify(g)).join(', ') : 'nothing'}` });
    });
  }
  for (const r of cat.timeline) {
    r.examples.forEach((ex, i) => {
      const got = scanText(matcher, ex.text, { path: r.files?.[0]?.replace(/\*\*?/g, 'x') ?? 'example.log', role: 'facts' })
        .filter((e) => e.type === 'timeline' && e.kind === r.kind).map((e) => (e.type === 'timeline' ? e.text : ''));
      check(got.includes(ex.expect), { file: r.file, id: r.kind, what: `timeline example ${i + 1}: wanted ${JSON.stringify(ex.expect)}, got ${got.length ? got.map((g) => JSON.stringify(g)).join(', ') : 'nothing'}` });
    });
  }
  for (const r of cat.pods ?? []) {
    r.examples.forEach((ex, i) => {
      const file = ex.file ?? r.files[0].replace(/\*\*?/g, 'x');
      const what = (got: string): ExampleFailure => ({ file: r.file, id: `pods ${r.kind}`, what: `example ${i + 1}: wanted ${JSON.stringify({ pod: ex.pod, node: ex.node })}, got ${got}` });
      if (r.kind === 'path' || r.kind === 'ref') {
        // the rule alone, as the scanner runs it on a path or on a row that raised a hit
        const g = new RegExp(r.regex).exec(ex.text)?.groups;
        const pod = podKey(g);
        const files = r.files.some((f) => matchesGlob(f, r.kind === 'path' ? ex.text : file));
        check(files && pod === ex.pod, what(files ? JSON.stringify(pod ?? null) : 'a path its files: do not match'));
        return;
      }
      const placed = scanText(matcher, ex.text, { path: file, role: 'log' }).filter((e) => e.type === 'placement');
      const ok = placed.some((e) => e.type === 'placement' && (ex.pod === undefined || e.pod === ex.pod) && (ex.node === undefined || e.node === ex.node));
      check(ok, what(placed.length ? placed.map((e) => (e.type === 'placement' ? `${e.pod} on ${e.node}` : '')).join(', ') : 'nothing'));
    });
  }
  return { passed, failures };
}

/** A glob as the matcher reads it (picomatch, dot files included). */
function matchesGlob(glob: string, p: string): boolean {
  return picomatch(glob, { dot: true })(p);
}
