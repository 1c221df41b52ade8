// Regression guard for the bulk scan path that is not a timing: on a realistic generated node log
// (bench/generate.ts, 16 MiB, known injected failures) the literal prefilter must keep regexes off
// almost every line, and the diagnoses must still come out with the exact injected occurrence counts.
// A change that disables the prefilter (every line a candidate record, or every regex on every
// candidate) fails here long before anyone runs the benchmark.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { generateBuffer } from '../bench/generate.js';
import { loadCatalog } from '../src/catalog/load.js';
import { analyzePaths } from '../src/engine/run.js';
import { diagnose } from '../src/engine/diagnose.js';

const MiB = 1 << 20;

test('prefilter: few candidate records and regex runs on a realistic 16 MiB log, exact diagnoses', async (t) => {
  const gen = generateBuffer({ size: 16 * MiB, seed: 7, episodes: 4 });
  const dir = mkdtempSync(path.join(tmpdir(), 'cnid-prefilter-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'node-journal.log');
  writeFileSync(file, gen.data);

  const catalog = loadCatalog([]);
  const { state, unreadable } = await analyzePaths([file], catalog);
  assert.deepEqual(unreadable, []);
  const { lines, bytes, records, regexRuns } = state.stats;
  assert.equal(bytes, gen.data.length, 'every byte scanned');
  assert.equal(lines, gen.stats.lines, 'every line counted');

  const mib = bytes / MiB;
  const detail = `${lines} lines, ${records} candidate records, ${regexRuns} regex runs (${(regexRuns / mib).toFixed(1)}/MiB), ` +
    `${gen.stats.injectedRecords} injected failure records, ${Object.values(gen.stats.nearMisses).reduce((a, b) => a + b, 0)} near-misses`;
  t.diagnostic(detail);
  // Today: ~0.15% of lines become candidates and ~0.25% of lines cost a regex run. The bounds leave
  // room for a growing catalog, but not for a prefilter that lets every line (or every regex) through.
  assert.ok(records >= gen.stats.injectedRecords, `the prefilter must find every injected record: ${detail}`);
  assert.ok(records < lines * 0.005, `candidate records must stay under 0.5% of lines: ${detail}`);
  assert.ok(regexRuns < lines * 0.01, `regex runs must stay under 1% of lines: ${detail}`);
  assert.ok(regexRuns / mib < 50, `regex runs must stay under 50 per MiB: ${detail}`);

  const got = Object.fromEntries(diagnose(state, catalog).map((d) => [d.id, d.occurrences]));
  assert.deepEqual(got, gen.expect.diagnoses, 'diagnoses and occurrence counts equal the injected ones');
});

test('the generator is deterministic: same parameters, same bytes', () => {
  const a = generateBuffer({ size: MiB, seed: 11, episodes: 1 });
  const b = generateBuffer({ size: MiB, seed: 11, episodes: 1 });
  const c = generateBuffer({ size: MiB, seed: 12, episodes: 1 });
  assert.ok(a.data.equals(b.data));
  assert.deepEqual(a.expect, b.expect);
  assert.ok(!a.data.equals(c.data), 'another seed gives another log');
});
