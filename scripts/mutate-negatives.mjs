// Run after `npm run build`: node scripts/mutate-negatives.mjs [pattern-id …] (a few seconds; not part of npm test).
// For every negative example: does it still pass when a signal's regex becomes [\s\S] (one signal at a
// time) or when the pattern's `when` is dropped (any signal once)? A negative that no mutation turns
// into a failure tests nothing.
import { loadCatalog } from '../dist/src/catalog/load.js';
import { compileMatcher } from '../dist/src/engine/matcher.js';
import { scanText } from '../dist/src/catalog/examples.js';
import { initialState, reduce } from '../dist/src/engine/state.js';
import { diagnose } from '../dist/src/engine/diagnose.js';
const only = process.argv.slice(2);
const base = loadCatalog();
const raises = (cat, m, id, text, times = 10) => {
  const events = scanText(m, Array(times).fill(text.replace(/\n$/, '')).join('\n'));
  return diagnose(reduce(initialState(), events), cat).some((d) => d.id === id);
};
let dead = 0;
for (const [pi, p] of base.patterns.entries()) {
  if (only.length && !only.includes(p.id)) continue;
  const mutations = [];
  for (const [si, s] of p.signals.entries()) mutations.push([`regex:${s.name}`, (q) => { q.signals[si] = { ...q.signals[si], regex: '[\\s\\S]', also: undefined, require: undefined }; }]);
  if (p.when) {
    mutations.push(['no-when', (q) => { delete q.when; }]);
    for (const [si, s] of p.signals.entries()) mutations.push([`regex:${s.name}+no-when`, (q) => { q.signals[si] = { ...q.signals[si], regex: '[\\s\\S]', also: undefined, require: undefined }; delete q.when; }]);
  }
  const killed = p.examples.negative.map(() => []);
  for (const [name, mut] of mutations) {
    const q = structuredClone(p); mut(q);
    const cat = { ...base, patterns: base.patterns.map((x, i) => (i === pi ? q : x)) };
    const m = compileMatcher(cat);
    p.examples.negative.forEach((ex, i) => { if (raises(cat, m, p.id, ex.text, ex.times)) killed[i].push(name); });
  }
  killed.forEach((k, i) => {
    if (!k.length) dead++;
    console.log(`${k.length ? 'ok  ' : 'DEAD'} ${p.id} negative ${i + 1}: ${k.join(' ') || 'no mutation raises it'}`);
  });
}
console.log(dead ? `${dead} negatives survive every mutation` : 'every negative is killed by some mutation');
process.exitCode = dead ? 1 : 0;
