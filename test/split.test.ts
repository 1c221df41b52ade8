// A large log file is scanned in two halves at once (src/engine/split.ts). The answer must be the one
// a single scan from start to end gives: same diagnoses, counts, evidence lines, facts and timeline.
// The file is built so that its middle falls inside klog `err=<` blocks, which the cut must not break.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { generateBuffer } from '../bench/generate.js';
import { CLI, ROOT, runCli, tempDir } from './helpers/util.js';
import { randomLog, rng } from './helpers/random-log.js';

const MiB = 1 << 20;
/** Split files of 64 MiB and more whatever their hits, and say so on stderr. */
const SPLIT_ENV = { CNI_DOCTOR_SPLIT_LIMITS: `${64 * MiB}:1000000`, CNI_DOCTOR_DEBUG: 'split' };

test('a 70 MiB log scanned in two halves gives exactly the report of one scan', async (t) => {
  // From dist/: the split needs the compiled worker (under tsx every file is scanned whole).
  const split = (await import(path.join(path.dirname(CLI), '..', 'engine', 'split.js'))) as typeof import('../src/engine/split.js');
  const { compileMatcher } = (await import(path.join(path.dirname(CLI), '..', 'engine', 'matcher.js'))) as typeof import('../src/engine/matcher.js');
  const { readCachedCatalog } = (await import(path.join(path.dirname(CLI), '..', 'catalog', 'builtin-cache.js'))) as typeof import('../src/catalog/builtin-cache.js');

  const sample = readFileSync(path.join(ROOT, 'samples/logs/kubelite-journal.log'), 'utf8').split('\n');
  const open = sample.findIndex((l) => l.endsWith('err=<'));
  const close = sample.findIndex((l, i) => i > open && / > ipFamily/.test(l));
  const block = sample.slice(open, close + 1).join('\n') + '\n';
  const blocks = 3000;
  const genA = generateBuffer({ size: 34 * MiB, seed: 21, episodes: 3 });
  const genB = generateBuffer({ size: 34 * MiB, seed: 22, episodes: 3 });
  // and, one in each half, a line longer than the scanner's buffer: each problem names its line
  const long = Buffer.from('y'.repeat(10 * MiB) + '\n');
  const data = Buffer.concat([genA.data, long, Buffer.from(block.repeat(blocks)), long, genB.data]);
  const file = path.join(tempDir(t), 'node-journal.log');
  writeFileSync(file, data);

  // Small and hit-dense by the defaults (512 MiB, 20 hits per MiB): lowered here and in the CLIs below.
  const saved = { ...split.splitLimits };
  Object.assign(split.splitLimits, { minBytes: 64 * MiB, densePerMiB: 1e6 });
  t.after(() => Object.assign(split.splitLimits, saved));
  const m = compileMatcher({ ...readCachedCatalog()!, dirs: [] });
  const plan = await split.planSplit(file, { source: file, path: file, role: 'log', time: { refTime: Date.UTC(2025, 4, 27) } }, m);
  assert.ok(plan, 'the file is large enough to be split');
  const lineAt = (pos: number): string => data.toString('utf8', data.lastIndexOf(10, pos - 1) + 1, data.indexOf(10, pos));
  const mid = Math.floor(data.length / 2);
  assert.match(lineAt(mid), /\t|> ipFamily|err=</, 'the middle of the file is inside a klog block');
  assert.ok(plan.cut >= mid && plan.cut < mid + block.length, `cut near the middle: ${plan.cut}`);
  assert.match(lineAt(plan.cut), /err=<$/, 'the cut starts a record');
  assert.match(lineAt(plan.cut - 1), / > ipFamily/, 'the record before the cut ends there');
  // With the default density limit the same file is scanned whole: its middle is all klog blocks.
  split.splitLimits.densePerMiB = saved.densePerMiB;
  assert.equal(await split.planSplit(file, { source: file, path: file, role: 'log', time: { refTime: Date.UTC(2025, 4, 27) } }, m), undefined, 'a hit-dense middle is not split');
  split.splitLimits.densePerMiB = 1e6;

  // In process, every event: the split's events equal a whole-file scan's, and the worker did the
  // second half (a worker that failed would be silently replaced by the main thread).
  const { StreamScanner } = (await import(path.join(path.dirname(CLI), '..', 'engine', 'scanner.js'))) as typeof import('../src/engine/scanner.js');
  const { readRange } = (await import(path.join(path.dirname(CLI), '..', 'sources', 'read-range.js'))) as typeof import('../src/sources/read-range.js');
  const info = { source: 'node-journal.log', path: file, role: 'log' as const, time: { refTime: Date.UTC(2025, 4, 27) } };
  const seq: unknown[] = [];
  const sc = new StreamScanner(m, info, (e) => seq.push(e));
  await readRange(file, 0, Infinity, sc);
  const seqStats = sc.end();
  const par: unknown[] = [];
  const before = { ...split.splitStats };
  const parStats = await split.scanSplit(file, info, plan, m, (e) => par.push(e));
  assert.ok(split.splitStats.workerBatches > before.workerBatches, 'the worker delivered events');
  assert.equal(split.splitStats.fallbacks, before.fallbacks, 'no fallback to the main thread');
  assert.deepEqual(parStats, seqStats);
  assert.equal(par.length, seq.length);
  assert.deepEqual(par, seq);
  const longLines = data.toString('latin1').split('\n').flatMap((l, i) => (l.length > 9 * MiB ? [i + 1] : []));
  assert.equal(longLines.length, 2);
  assert.deepEqual(seq.filter((e) => (e as { type: string }).type === 'problem').map((e) => (e as { line?: number }).line), longLines);

  const whole = await runCli(['analyze', file, '--json', '--jobs', '1']);
  const halves = await runCli(['analyze', file, '--json', '--jobs', '2'], { env: SPLIT_ENV });
  assert.equal(whole.code, 1, whole.stderr);
  assert.equal(halves.code, 1, halves.stderr);
  assert.match(halves.stderr, /split .* at byte \d+: [1-9]\d* batches from the worker/);
  assert.equal(halves.stdout, whole.stdout);
  // A worker that dies before any of its events counted: the main thread scans the second half.
  const fallback = await runCli(['analyze', file, '--json', '--jobs', '2'], { env: { ...SPLIT_ENV, CNI_DOCTOR_DEBUG: 'split,split-worker-fails' } });
  assert.match(fallback.stderr, /split .* at byte \d+: the worker failed \(split worker failed on purpose.*\), the second half was rescanned here/);
  assert.equal(fallback.stdout, whole.stdout);
  const rep = JSON.parse(whole.stdout) as { diagnoses: { id: string; occurrences: number }[]; stats: { lines: number } };
  assert.equal(rep.stats.lines, data.toString('latin1').split('\n').length - 1);
  // Every --xor-mark block once, plus what the generator injected into each half.
  const want = blocks + (genA.expect.diagnoses['kernel-ipv6-mark-regression'] ?? 0) + (genB.expect.diagnoses['kernel-ipv6-mark-regression'] ?? 0);
  assert.equal(rep.diagnoses.find((d) => d.id === 'kernel-ipv6-mark-regression')?.occurrences, want, JSON.stringify(rep.diagnoses.map((d) => [d.id, d.occurrences])));
});

test('a container block of a cluster-info dump that spans the cut keeps its name in the second half', async (t) => {
  const quiet = (i: number): string => `2025-05-26 18:${String(i % 60).padStart(2, '0')}:12.345 [INFO][83] felix/int_dataplane.go 1904: Received *proto.HostMetadataV4V6Update update from calculation graph msg=hostname:"node1" ipv4_addr:"10.0.0.${i % 250}/24"\n`;
  const failure = '2025-05-26 18:07:12.345 [WARNING][83] felix/table.go 1454: Failed to execute ip(6)tables-restore command error=exit status 2 errorOutput="ip6tables-restore v1.8.4 (legacy): unknown option \\"--set-mark\\"\\n" input="" ipVersion=0x6 output="" table="mangle"\n';
  let block = '';
  for (let i = 0; i < 2000; i++) block += quiet(i);
  block += failure;
  const reps = Math.ceil((70 * MiB) / block.length);
  const data = Buffer.from('==== START logs for container calico-node of pod kube-system/calico-node-abc ====\n' + block.repeat(reps));
  const file = path.join(tempDir(t), 'dump.log');
  writeFileSync(file, data);
  // One failure in 2,001 lines: sparse enough for the default density limit.
  const split = (await import(path.join(path.dirname(CLI), '..', 'engine', 'split.js'))) as typeof import('../src/engine/split.js');
  const { compileMatcher } = (await import(path.join(path.dirname(CLI), '..', 'engine', 'matcher.js'))) as typeof import('../src/engine/matcher.js');
  const { readCachedCatalog } = (await import(path.join(path.dirname(CLI), '..', 'catalog', 'builtin-cache.js'))) as typeof import('../src/catalog/builtin-cache.js');
  const saved = { ...split.splitLimits };
  split.splitLimits.minBytes = 64 * MiB;
  t.after(() => Object.assign(split.splitLimits, saved));
  const m = compileMatcher({ ...readCachedCatalog()!, dirs: [] });
  assert.ok(await split.planSplit(file, { source: file, path: file, role: 'log', time: { refTime: Date.UTC(2025, 4, 27) } }, m), 'a sparse file is split');

  const whole = await runCli(['analyze', file, '--json', '--jobs', '1']);
  const halves = await runCli(['analyze', file, '--json', '--jobs', '2'], { env: SPLIT_ENV });
  assert.equal(whole.code, 1, whole.stderr);
  assert.match(halves.stderr, /split .* at byte \d+: [1-9]\d* batches from the worker/);
  assert.equal(halves.stdout, whole.stdout);
  const rep = JSON.parse(halves.stdout) as { diagnoses: { id: string; occurrences: number; evidence: { source: string; line: number }[] }[] };
  const d = rep.diagnoses.find((x) => x.id === 'kernel-ipv6-mark-regression');
  assert.equal(d?.occurrences, reps, JSON.stringify(rep.diagnoses.map((x) => [x.id, x.occurrences])));
  const totalLines = reps * 2001 + 1;
  const late = d!.evidence.filter((e) => e.line > totalLines / 2);
  assert.ok(late.length > 0, 'evidence from the second half is shown');
  for (const e of d!.evidence) assert.match(e.source, /\(kube-system\/calico-node-abc:calico-node\)$/, `${e.source}:${e.line}`);
});

test('random logs split anywhere give the events of one scan', async (t) => {
  const split = (await import(path.join(path.dirname(CLI), '..', 'engine', 'split.js'))) as typeof import('../src/engine/split.js');
  const { compileMatcher } = (await import(path.join(path.dirname(CLI), '..', 'engine', 'matcher.js'))) as typeof import('../src/engine/matcher.js');
  const { readCachedCatalog } = (await import(path.join(path.dirname(CLI), '..', 'catalog', 'builtin-cache.js'))) as typeof import('../src/catalog/builtin-cache.js');
  const { StreamScanner } = (await import(path.join(path.dirname(CLI), '..', 'engine', 'scanner.js'))) as typeof import('../src/engine/scanner.js');
  const { readRange } = (await import(path.join(path.dirname(CLI), '..', 'sources', 'read-range.js'))) as typeof import('../src/sources/read-range.js');
  const saved = { ...split.splitLimits };
  Object.assign(split.splitLimits, { minBytes: MiB, densePerMiB: 1e6 });
  t.after(() => Object.assign(split.splitLimits, saved));
  const m = compileMatcher({ ...readCachedCatalog()!, dirs: [] });
  const dir = tempDir(t);
  let splitRuns = 0;
  for (let seed = 1; seed <= 12; seed++) {
    const r = rng(seed);
    const parts: string[] = [];
    for (let n = 0; n < 2.5 * MiB;) {
      const p = randomLog(r, 4096);
      parts.push(p.endsWith('\n') ? p : p + '\n');
      n += p.length;
    }
    const file = path.join(dir, `random-${seed}.log`);
    writeFileSync(file, parts.join(''));
    const info = { source: 'random.log', path: file, role: 'log' as const, time: { refTime: Date.UTC(2025, 4, 27) } };
    const plan = await split.planSplit(file, info, m);
    if (!plan) continue;
    splitRuns++;
    const seq: unknown[] = [];
    const sc = new StreamScanner(m, info, (e) => seq.push(e));
    await readRange(file, 0, Infinity, sc);
    const seqStats = sc.end();
    const par: unknown[] = [];
    const parStats = await split.scanSplit(file, info, plan, m, (e) => par.push(e));
    assert.deepEqual(parStats, seqStats, `seed ${seed}, cut at ${plan.cut}`);
    assert.deepEqual(par, seq, `seed ${seed}, cut at ${plan.cut}`);
  }
  assert.ok(splitRuns >= 6, `only ${splitRuns} of 12 random logs were split`);
});
