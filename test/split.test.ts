// A large log file is scanned in two halves at once (src/sources/split.ts). The answer must be the one
// a single scan from start to end gives: same diagnoses, counts, evidence lines, facts and timeline.
// The file is built so that its middle falls inside klog `err=<` blocks, which the cut must not break.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { generateBuffer } from '../bench/generate.js';
import { CLI, ROOT, runCli, tempDir } from './helpers/util.js';

const MiB = 1 << 20;

test('a 70 MiB log scanned in two halves gives exactly the report of one scan', async (t) => {
  // From dist/: the split needs the compiled worker (under tsx every file is scanned whole).
  const split = (await import(path.join(path.dirname(CLI), '..', 'sources', 'split.js'))) as typeof import('../src/sources/split.js');
  const { compileMatcher } = (await import(path.join(path.dirname(CLI), '..', 'engine', 'matcher.js'))) as typeof import('../src/engine/matcher.js');
  const { readCachedCatalog } = (await import(path.join(path.dirname(CLI), '..', 'catalog', 'builtin-cache.js'))) as typeof import('../src/catalog/builtin-cache.js');

  const sample = readFileSync(path.join(ROOT, 'samples/logs/kubelite-journal.log'), 'utf8').split('\n');
  const open = sample.findIndex((l) => l.endsWith('err=<'));
  const close = sample.findIndex((l, i) => i > open && / > ipFamily/.test(l));
  const block = sample.slice(open, close + 1).join('\n') + '\n';
  const blocks = 3000;
  const a = generateBuffer({ size: 34 * MiB, seed: 21, episodes: 3 }).data;
  const b = generateBuffer({ size: 34 * MiB, seed: 22, episodes: 3 }).data;
  const data = Buffer.concat([a, Buffer.from(block.repeat(blocks)), b]);
  const file = path.join(tempDir(t), 'node-journal.log');
  writeFileSync(file, data);

  const m = compileMatcher({ ...readCachedCatalog()!, dirs: [] });
  const plan = await split.planSplit(file, { source: file, path: file, role: 'log', time: { refTime: Date.UTC(2025, 4, 27) } }, m);
  assert.ok(plan, 'the file is large enough to be split');
  const lineAt = (pos: number): string => data.toString('utf8', data.lastIndexOf(10, pos - 1) + 1, data.indexOf(10, pos));
  const mid = Math.floor(data.length / 2);
  assert.match(lineAt(mid), /\t|> ipFamily|err=</, 'the middle of the file is inside a klog block');
  assert.ok(plan.cut >= mid && plan.cut < mid + block.length, `cut near the middle: ${plan.cut}`);
  assert.match(lineAt(plan.cut), /err=<$/, 'the cut starts a record');
  assert.match(lineAt(plan.cut - 1), / > ipFamily/, 'the record before the cut ends there');

  const whole = await runCli(['analyze', file, '--json', '--jobs', '1']);
  const halves = await runCli(['analyze', file, '--json', '--jobs', '2']);
  assert.equal(whole.code, 1, whole.stderr);
  assert.equal(halves.code, 1, halves.stderr);
  assert.equal(halves.stdout, whole.stdout);
  const rep = JSON.parse(whole.stdout) as { diagnoses: { id: string; occurrences: number }[]; stats: { lines: number } };
  assert.equal(rep.stats.lines, data.toString('latin1').split('\n').length - 1);
  const xor = rep.diagnoses.reduce((n, d) => n + d.occurrences, 0);
  assert.ok(xor >= blocks, `every block counted once in both: ${JSON.stringify(rep.diagnoses.map((d) => [d.id, d.occurrences]))}`);
});
