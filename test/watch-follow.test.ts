import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { appendFileSync, chmodSync, copyFileSync, mkdirSync, readFileSync, renameSync, rmSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { CLI, ROOT, runCli, tempDir } from './helpers/util.js';
import { loadCatalog } from '../src/catalog/load.js';
import { startedWatch, WatchProcess } from './helpers/watch.js';

/** fetch with a deadline (undici's own is 300 s): a server that never answers fails the test */
const get = (url: string, init: RequestInit = {}): Promise<Response> => fetch(url, { ...init, signal: AbortSignal.timeout(10_000) });

const ID = 'kernel-ipv6-mark-regression';
let n = 0;
/** a distinct felix failure record each call (real logs differ by their stamps) */
function record(): string {
  n++;
  const ms = String(n).padStart(3, '0');
  return `2025-05-26 18:07:12.${ms} [WARNING][83] felix/table.go 1454: Failed to execute ip(6)tables-restore command error=exit status 2 errorOutput="ip6tables-restore v1.8.4 (legacy): unknown option \\"--set-mark\\"\\n" input="seq ${n}" ipVersion=0x6 output="" table="mangle"\n`;
}
const filler = (k: number): string => Array.from({ length: k }, (_, i) => `2025-05-26 18:07:13.${String(i).padStart(3, '0')} [INFO][83] felix/int_dataplane.go 2080: Applying dataplane updates seq=${n}-${i}\n`).join('');
const SENTINEL = 'May 26 18:09:40 node1 microk8s.daemon-kubelite[2187]: E0526 18:09:40.512345    2187 pod_workers.go:1301] "Error syncing pod, skipping" err="failed to \\"StartContainer\\" for \\"calico-node\\" with CrashLoopBackOff: \\"back-off 5m0s restarting failed container=calico-node pod=calico-node-x7k2p_kube-system(3f1d)\\""\n';

/** A watcher following an empty file; resolves once it reports it is running. */
async function followEmpty(t: TestContext, name: string, extra: string[] = [], env: NodeJS.ProcessEnv = {}): Promise<{ w: WatchProcess; log: string }> {
  const log = path.join(tempDir(t), name);
  writeFileSync(log, '');
  const w = await startedWatch(t, [...extra, '--file', log], { env });
  return { w, log };
}

test('9 failure records written across a rotation and a truncation count as exactly 9', async (t) => {
  const d = tempDir(t);
  const log = path.join(d, 'calico-node.log');
  writeFileSync(log, filler(5) + record()); // before the watch starts: not counted (followed from the end)
  const w = new WatchProcess(['--file', log]);
  t.after(() => w.child.kill('SIGKILL'));
  await w.waitFor('stats line at start', () => w.events.some((e) => e.type === 'stats'));

  appendFileSync(log, filler(3) + record() + record() + filler(2) + record());
  await w.waitFor('3 records', () => w.count(ID) === 3);

  // logrotate create: rename, the writer appends one more line to the old inode, then the new file.
  renameSync(log, `${log}.1`);
  appendFileSync(`${log}.1`, record());
  writeFileSync(log, record() + filler(4) + record());
  await w.waitFor('6 records after the rotation', () => w.count(ID) === 6);

  // copytruncate: copy aside, truncate in place, and a burst lands at once — longer than before.
  copyFileSync(log, `${log}.2`);
  truncateSync(log, 0);
  appendFileSync(log, filler(40) + record() + record() + record() + filler(40));
  await w.waitFor('9 records after the truncation', () => w.count(ID) === 9);

  // Everything written before the sentinel has been read once it shows: still 9, not more.
  appendFileSync(log, SENTINEL);
  await w.waitFor('sentinel', () => w.count('calico-node-crashloop') === 1);
  assert.equal(w.count(ID), 9);
  await w.stop();
  assert.equal(w.count(ID), 9);
});

/** evidence lines of the latest diagnosis event for id: [line number, text] */
function evidence(w: WatchProcess, id: string): { line?: number; text: string }[] {
  const ds = w.events.filter((e) => e.type === 'diagnosis' && e.diagnosis?.id === id);
  return ((ds.pop()?.diagnosis as unknown as { evidence?: { line?: number; text: string }[] })?.evidence) ?? [];
}

test('a rotation while the old file ends mid-line: nothing glued to the new file\'s first line, lines numbered per file', async (t) => {
  const { w, log } = await followEmpty(t, 'calico-node.log');
  const [r1, a, b] = [record(), record(), record()];
  // The writer is cut off mid-line; the file is renamed away and a new one starts.
  appendFileSync(log, r1 + a.slice(0, 60));
  await w.waitFor('the first record', () => w.count(ID) === 1);
  renameSync(log, `${log}.1`);
  writeFileSync(log, b);
  await w.waitFor('the new file\'s record', () => w.count(ID) === 2);
  // The writer still finishes its line in the old file (a late append).
  appendFileSync(`${log}.1`, a.slice(60));
  await w.waitFor('3 records', () => w.count(ID) === 3);
  appendFileSync(log, SENTINEL);
  await w.waitFor('sentinel', () => w.count('calico-node-crashloop') === 1);
  assert.equal(w.count(ID), 3);
  // Each record is quoted whole, with its own stamp and sequence, at its line in its own file.
  const ev = evidence(w, ID);
  const at = (rec: string): number | undefined => {
    const stamp = /^\S+ (\S+)/.exec(rec)![1];
    const seq = /input="seq \d+"/.exec(rec)![0];
    return ev.find((e) => e.text.includes(stamp) && e.text.includes(seq))?.line;
  };
  assert.deepEqual([at(r1), at(a), at(b)], [1, 2, 1], JSON.stringify(ev.map((e) => [e.line, e.text.slice(0, 80)])));
  await w.stop();
});

test('a file followed from its end: evidence names the file\'s own line numbers, not the count since reading began', async (t) => {
  const log = path.join(tempDir(t), 'calico-node.log');
  writeFileSync(log, filler(5) + record()); // lines 1-6, before the watch starts
  const w = await startedWatch(t, ['--file', log]);
  const b = record();
  appendFileSync(log, filler(2) + b); // b is line 9
  await w.waitFor('the record', () => w.count(ID) === 1);
  appendFileSync(log, SENTINEL);
  await w.waitFor('sentinel', () => w.count('calico-node-crashloop') === 1);
  const seq = /input="seq \d+"/.exec(b)![0];
  const ev = evidence(w, ID);
  assert.deepEqual(ev.filter((e) => e.text.includes(seq)).map((e) => e.line), [9], JSON.stringify(ev.map((e) => [e.line, e.text.slice(0, 80)])));
  await w.stop();
});

test('a rotated file\'s writer that finishes its cut line seconds later (within the drain grace): the record is still whole', async (t) => {
  // the grace widened from 5 s to 20 s, so that a slow machine cannot push the writer's pause past it
  const { w, log } = await followEmpty(t, 'calico-node.log', [], { CNI_DOCTOR_DRAIN_GRACE_MS: '20000' });
  const a = record();
  appendFileSync(log, a.slice(0, 200)); // cut inside the failure text
  renameSync(log, `${log}.1`);
  writeFileSync(log, '');
  // A rotation is routine: a note, not a problem (a DaemonSet alerting on problems must not fire at every logrotate run).
  await w.waitFor('the rotation', () => w.events.some((e) => e.type === 'note' && /rotated/.test(e.message ?? '')));
  // The writer's pause (the scenario, not a wait for a condition): twice the live engine's 2 s before
  // it completes an unfinished line on its own, well inside the time a rotated-away file is read for.
  await new Promise((res) => setTimeout(res, 4000));
  appendFileSync(`${log}.1`, a.slice(200));
  await w.waitFor('the record', () => w.count(ID) === 1);
  appendFileSync(log, SENTINEL);
  await w.waitFor('sentinel', () => w.count('calico-node-crashloop') === 1);
  assert.equal(w.count(ID), 1);
  assert.deepEqual(w.events.filter((e) => e.type === 'problem'), [], 'no problem');
  await w.stop();
});

test('a deleted file is waited for, and read from its start when it comes back', async (t) => {
  const { w, log } = await followEmpty(t, 'felix.log');
  rmSync(log);
  await w.waitFor('gone note', () => w.events.some((e) => e.type === 'note' && /gone, waiting/.test(e.message ?? '')));
  writeFileSync(log, record() + record());
  await w.waitFor('2 records', () => w.count(ID) === 2);
  await w.stop();
});

test('a rename whose new file comes later is a rotation, said as one (not "gone", then "appeared"); its new file is read from its start', async (t) => {
  const { w, log } = await followEmpty(t, 'felix.log');
  appendFileSync(log, record());
  await w.waitFor('the first record', () => w.count(ID) === 1);
  renameSync(log, `${log}.1`);
  await w.waitFor('the rename seen', () => w.events.some((e) => e.type === 'note' && (e.message ?? '') === `${log}: rotated (renamed away), waiting for the new file`));
  writeFileSync(log, record());
  await w.waitFor('the new file', () => w.events.some((e) => e.type === 'note' && (e.message ?? '') === `${log}: rotated, the new file appeared, reading from its start`) && w.count(ID) === 2);
  assert.ok(!w.events.some((e) => /gone|appeared, reading/.test(e.message ?? '') && !/rotated/.test(e.message ?? '')), JSON.stringify(w.events.filter((e) => e.message)));
  await w.stop();
});

test('a glob picks up files created later, from their start; --from-start reads history', async (t) => {
  const d = tempDir(t);
  writeFileSync(path.join(d, 'a.log'), record());
  const w = new WatchProcess(['--file', path.join(d, '*.log'), '--from-start']);
  t.after(() => w.child.kill('SIGKILL'));
  await w.waitFor('history of a.log', () => w.count(ID) === 1);
  writeFileSync(path.join(d, 'b.log'), record() + record());
  await w.waitFor('new b.log', () => w.count(ID) === 3);
  await w.stop();
});

test('a glob that matches the rotated names too (app.log*) reads each line once across two rotations', async (t) => {
  const d = tempDir(t);
  const log = path.join(d, 'app.log');
  writeFileSync(log, '');
  // A rotated-away name is taken over once its drain grace ends: 1 s, not 5, so that the 15 s waits
  // below keep a wide margin on a loaded machine.
  const w = await startedWatch(t, ['--file', `${log}*`], { env: { CNI_DOCTOR_DRAIN_GRACE_MS: '1000' } });
  const notes = (re: RegExp): number => w.events.filter((e) => e.type === 'note' && re.test(e.message ?? '')).length;
  appendFileSync(log, record() + filler(4) + record());
  await w.waitFor('2 records', () => w.count(ID) === 2);
  // logrotate create: app.log → app.log.1 (a late append there), a new app.log.
  renameSync(log, `${log}.1`);
  appendFileSync(`${log}.1`, record());
  writeFileSync(log, record() + filler(2));
  await w.waitFor('4 records after the rotation', () => w.count(ID) === 4);
  // Once app.log's reader has drained the old file (5 s grace), app.log.1's goes on from there.
  const lines = (): number => w.events.filter((e) => e.type === 'stats').pop()?.lines ?? 0;
  const taken = await w.waitFor('app.log.1 taken over', () => notes(/app\.log\.1: done being read under another name.*reading on/) === 1, 15_000).then(() => true, () => false);
  if (!taken) {
    await w.stop();
    assert.fail(`app.log.1 was not taken over where app.log's reader stopped; ${lines()} lines read of the 10 written`);
  }
  // Once more: app.log.1 → app.log.2 (a file followed by another name's reader now), app.log → app.log.1.
  renameSync(`${log}.1`, `${log}.2`);
  renameSync(log, `${log}.1`);
  writeFileSync(log, record() + SENTINEL);
  await w.waitFor('sentinel after the second rotation', () => w.count('calico-node-crashloop') === 1);
  await w.waitFor('app.log.2 and app.log.1 taken over', () => notes(/app\.log\.2: done being read under another name.*reading on/) === 1 && notes(/app\.log\.1: done being read under another name.*reading on/) === 2, 15_000);
  await w.stop();
  // 6 in the first file + 1 late + 3 in the second + 2 in the third, each once
  assert.equal(lines(), 12, 'each line read once');
  assert.equal(w.count(ID), 5);
});

for (const extra of [[], ['--headless']]) {
  test(`stdin${extra.length ? ', headless' : ''}: JSON Lines with a diagnosis, then exit 1 at end of input`, async (t) => {
    const w = new WatchProcess([...extra, '-']);
    t.after(() => w.child.kill('SIGKILL'));
    w.child.stdin!.end(record() + filler(3) + record());
    const code = await w.exit('an exit at the end of input');
    assert.equal(code, 1);
    assert.equal(w.count(ID), 2);
    assert.ok(w.events.some((e) => e.type === 'fact' && e.name === 'iptables.mode' && e.value === 'legacy'));
  });
}

test('the final stats line gives the average rate over the run (final: true, with its seconds), not the last second\'s 0', async () => {
  const w = new WatchProcess(['-']);
  w.child.stdin!.end(filler(3000) + record());
  assert.equal(await w.exit('an exit at the end of input'), 1);
  const last = w.events[w.events.length - 1] as unknown as { type: string; lines: number; linesPerSec: number; final?: boolean; seconds: number };
  assert.equal(last.type, 'stats');
  assert.equal(last.lines, 3001);
  assert.equal(last.final, true);
  assert.ok(last.seconds > 0 && last.seconds < 60, `seconds ${last.seconds}`);
  assert.ok(last.linesPerSec > 0, 'a rate for a run that read lines');
  // seconds is rounded to a millisecond (a run read from stdin as bytes can take less than a tenth)
  assert.ok(last.linesPerSec >= last.lines / (last.seconds + 0.0005) - 1 && last.linesPerSec <= last.lines / Math.max(0.001, last.seconds - 0.0005) + 1, `${last.linesPerSec} lines/s for ${last.lines} lines in ${last.seconds} s`);
  // Periodic stats lines are not marked final.
  assert.ok(w.events.filter((e) => e.type === 'stats').slice(0, -1).every((e) => !(e as { final?: boolean }).final));
});

test('stdin: a 64 MB line is cut with a note, in bounded time, and the lines after it are read', { timeout: 60_000 }, async () => {
  const w = new WatchProcess(['-']);
  // written in pieces, as a producer writes: split2 re-split the growing line on every piece (a
  // 16 MB line from `tr` took 35 s, a 300 MB one never ended)
  w.child.stdin!.write(record());
  const piece = Buffer.alloc(64 << 10, 'a');
  for (let i = 0; i < 1024; i++) if (!w.child.stdin!.write(piece)) await new Promise((r) => w.child.stdin!.once('drain', r));
  w.child.stdin!.end('\n' + record());
  const code = await w.exit('an exit', 30_000);
  assert.equal(code, 1);
  assert.equal(w.count(ID), 2);
  assert.match(w.stderr, /stdin: line 2 is longer than \d+ MiB: scanned its start only/);
});

for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  test(`watch - exits at once on ${sig} while its producer still writes; nothing printed after the final stats`, async (t) => {
    const w = new WatchProcess(['-']);
    t.after(() => w.child.kill('SIGKILL'));
    w.child.stdin!.on('error', () => undefined); // EPIPE once it is gone
    // The producer: a line every 50 ms, forever (journalctl -f | cni-doctor watch -).
    const producer = setInterval(() => { if (w.child.stdin!.writable) w.child.stdin!.write(record()); }, 50);
    t.after(() => clearInterval(producer));
    await w.waitFor('a diagnosis', () => w.count(ID) >= 2);
    w.child.kill(sig);
    const code = await w.exit('an exit', 3000);
    clearInterval(producer);
    assert.equal(code, 1, 'analyze-style exit code: a critical diagnosis was found');
    const types = w.events.map((e) => e.type);
    assert.equal(types[types.length - 1], 'stats', `the final stats line is the last line: ${types.slice(-5).join(',')}`);
  });
}

test('headless watcher: a failure fed to it shows as a gauge on /metrics over loopback', async (t) => {
  const { w, log } = await followEmpty(t, 'felix.log', ['--headless', '--metrics', '127.0.0.1:0']);
  await w.waitFor('metrics address', () => /metrics on http:\/\/127\.0\.0\.1:\d+\/metrics/.test(w.stderr));
  const url = /(http:\/\/127\.0\.0\.1:\d+\/metrics)/.exec(w.stderr)![1];
  const gauge = async (): Promise<string | undefined> => (await (await get(url)).text()).split('\n').find((l) => l.startsWith('cnidoctor_diagnosis_active{diagnosis="kernel-ipv6-mark-regression"'));
  assert.match((await gauge()) ?? '', / 0$/);
  appendFileSync(log, record());
  await w.waitFor('the diagnosis', () => w.count(ID) === 1);
  assert.match((await gauge()) ?? '', /severity="critical"\} 1$/);
  await w.stop();
});

test('a burst of 200k lines is read whole, with bounded memory', async (t) => {
  const { w, log } = await followEmpty(t, 'burst.log');
  const chunk = filler(4000);
  let text = '';
  for (let i = 0; i < 50; i++) text += chunk + record();
  appendFileSync(log, text);
  await w.waitFor('all 50 failure records', () => w.count(ID) === 50, 60_000);
  const hwm = Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${w.child.pid}/status`, 'utf8'))?.[1] ?? 0);
  assert.ok(hwm > 0 && hwm < 200 * 1024, `peak RSS ${Math.round(hwm / 1024)} MB for ${Math.round(text.length / 1e6)} MB of burst`);
  await w.stop();
  const last = w.events.filter((e) => e.type === 'stats').pop();
  assert.ok((last?.lines ?? 0) >= 200_050, `every line counted: ${last?.lines}`);
});

test('watch --replay of an input that cannot be opened is exit 2 at once, one line on stderr, nothing on stdout, whichever view', async (t) => {
  const d = tempDir(t);
  const binary = path.join(d, 'core.bin');
  writeFileSync(binary, Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7) % 256)));
  for (const [input, reason] of [[path.join(d, 'missing.tar.gz'), /no such file or directory/], [binary, /binary data/]] as const) {
    for (const view of [['--json'], ['--no-tui'], ['--headless']]) {
      const r = await runCli(['watch', '--replay', input, '--speed', '0', ...view], { timeoutMs: 10_000 });
      assert.equal(r.code, 2, `${input} ${view}: ${r.stdout.slice(-400)}`);
      assert.equal(r.stdout, '', `${input} ${view}: no view started`);
      const lines = r.stderr.split('\n').filter(Boolean);
      assert.equal(lines.length, 1, `${input} ${view}: one line on stderr: ${r.stderr}`);
      assert.match(lines[0], new RegExp(`^cni-doctor: ${input.replace(/[.]/g, '\\.')}: ${reason.source}`));
    }
  }
});

test('watch --replay of an archive cut before any diagnosis ends like analyze: exit 2, named under "Not read"', async (t) => {
  const d = tempDir(t);
  const cut = path.join(d, 'cut.tar.gz');
  writeFileSync(cut, readFileSync(path.join(ROOT, 'samples', 'bundles', 'inspection-report-20250526_182512.tar.gz')).subarray(0, 12_000));
  const r = await runCli(['watch', '--replay', cut, '--speed', '0', '--no-tui']);
  assert.equal(r.code, 2, `${cut}: ${r.stdout.slice(-400)}`);
  assert.match(r.stdout, new RegExp(`Not read, or read in part\\n  ${cut.replace(/[.]/g, '\\.')}: [^\\n]*cut short`));
});

test('watch --replay of an archive cut where a diagnosis is still readable ends like analyze: exit 1, the cut still named', async (t) => {
  const d = tempDir(t);
  const cut = path.join(d, 'cut.tar.gz');
  writeFileSync(cut, readFileSync(path.join(ROOT, 'samples', 'bundles', 'inspection-report-20250526_182512.tar.gz')).subarray(0, 20_000));
  const analyzed = await runCli(['analyze', cut]);
  const replayed = await runCli(['watch', '--replay', cut, '--speed', '0', '--no-tui']);
  assert.equal(analyzed.code, 1, analyzed.stderr);
  assert.equal(replayed.code, 1, replayed.stdout.slice(-400));
  for (const out of [analyzed.stdout, replayed.stdout]) assert.match(out, /Not read, or read in part\n {2}\S+: [^\n]*cut short/);
});

test('watch options that a replay would silently ignore are usage errors', async () => {
  const sample = path.join(ROOT, 'samples', 'logs', 'calico-node-felix.log');
  for (const [args, reason] of [[['--replay', sample, '--since', '-1h'], /--since selects journal history/], [['-', '--replay', sample], /cannot be combined/]] as const) {
    const r = await runCli(['watch', ...args, '--no-tui'], { input: '' });
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, reason);
  }
});

test('--file on a FIFO or a directory is refused at once with a hint (exit 2), no handle leaked', async (t) => {
  const d = tempDir(t);
  const fifo = path.join(d, 'pipe');
  execFileSync('mkfifo', [fifo]);
  const dir = path.join(d, 'logs');
  mkdirSync(dir);
  // A later source must not be held up either: the FIFO comes first.
  const r = await runCli(['watch', '--json', '--no-tui', '--file', fifo, '--file', dir], { timeoutMs: 10_000 });
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, new RegExp(`--file ${fifo} is a FIFO \\(named pipe\\), not a regular file.*cat ${fifo} \\| cni-doctor watch -`));
  assert.match(r.stderr, new RegExp(`--file ${dir} is a directory.*--file '${dir}/\\*\\.log'`));
  assert.doesNotMatch(r.stderr, /DEP0137|FileHandle|EISDIR|ESPIPE/);
});

test('an unreadable --file is noted, retried until readable, and if never read ends like analyze: exit 2, named on stderr', async (t) => {
  const d = tempDir(t);
  const log = path.join(d, 'felix.log');
  writeFileSync(log, '');
  chmodSync(log, 0o000);
  const w = new WatchProcess(['--file', log], { unprivileged: true });
  t.after(() => w.child.kill('SIGKILL'));
  await w.waitFor('permission note', () => w.events.some((e) => e.type === 'problem' && /permission denied/.test(e.message ?? '')));
  // Never fixed: the watch ends with exit 2 and names the file on stderr.
  assert.equal(await w.stop(), 2);
  assert.match(w.stderr, new RegExp(`cni-doctor: ${log}: permission denied`));

  // Fixed while watching: it is read from its start.
  const w2 = new WatchProcess(['--file', log], { unprivileged: true });
  t.after(() => w2.child.kill('SIGKILL'));
  await w2.waitFor('permission note', () => w2.events.some((e) => e.type === 'problem' && /permission denied/.test(e.message ?? '')));
  appendFileSync(log, record());
  chmodSync(log, 0o644);
  await w2.waitFor('the record once readable', () => w2.count(ID) === 1);
  assert.equal(await w2.stop(), 1);
});

test('a --file missing at start is announced as awaited, and read from its start when it appears', async (t) => {
  const d = tempDir(t);
  const log = path.join(d, 'later.log');
  const w = new WatchProcess(['--file', log]);
  t.after(() => w.child.kill('SIGKILL'));
  await w.waitFor('waiting note', () => w.events.some((e) => e.type === 'problem' && (e.message ?? '').includes(`${log}: does not exist yet; waiting for it`)));
  writeFileSync(log, record());
  await w.waitFor('the record', () => w.count(ID) === 1);
  await w.stop();
});

test('a --file that never exists and a glob that never matches read nothing: exit 2, each named on stderr, not "no known failure"', async (t) => {
  const d = tempDir(t);
  const typo = path.join(d, 'calico-nod.log');
  const glob = path.join(d, 'pods-*', 'calico-node', '*.log');
  const w = new WatchProcess(['--file', typo, '--file', glob]);
  t.after(() => w.child.kill('SIGKILL'));
  await w.waitFor('stats line at start', () => w.events.some((e) => e.type === 'stats'));
  // each said at once as a problem, not only at the end (an alert on problems sees a mistyped glob)
  await w.waitFor('both problems', () => w.events.some((e) => e.type === 'problem' && e.message === `${glob}: no file matches it yet; waiting for one`)
    && w.events.some((e) => e.type === 'problem' && e.message === `${typo}: does not exist yet; waiting for it`));
  assert.equal(await w.stop(), 2, w.stderr);
  assert.match(w.stderr, new RegExp(`${typo.replace(/[.*]/g, '\\$&')}: no such file while watched`));
  assert.match(w.stderr, /pods-\*\/calico-node\/\*\.log: no file matched while watched/);
  // One that exists, read with nothing in it to find, is still a clean exit 0.
  const quiet = path.join(d, 'quiet.log');
  writeFileSync(quiet, '');
  const w2 = new WatchProcess(['--file', quiet]);
  t.after(() => w2.child.kill('SIGKILL'));
  await w2.waitFor('stats line at start', () => w2.events.some((e) => e.type === 'stats'));
  assert.equal(await w2.stop(), 0, w2.stderr);
  // One file under two followed names (kubelet's /var/log/containers links into /var/log/pods): the
  // name whose file another follower reads held a file all the same.
  mkdirSync(path.join(d, 'real'));
  writeFileSync(path.join(d, 'real', 'a.log'), '');
  symlinkSync(path.join(d, 'real', 'a.log'), path.join(d, 'link.log'));
  const w3 = new WatchProcess(['--file', path.join(d, 'link.log'), '--file', path.join(d, 'real', '*.log')]);
  t.after(() => w3.child.kill('SIGKILL'));
  await w3.waitFor('stats line at start', () => w3.events.some((e) => e.type === 'stats'));
  assert.equal(await w3.stop(), 0, w3.stderr);
});

test('notes keep printing after the fifth: each once, in order, the latest included; a missing file is a problem, its appearing a note', async (t) => {
  const d = tempDir(t);
  const logs = Array.from({ length: 6 }, (_, i) => path.join(d, `n${i}.log`));
  const w = new WatchProcess(logs.flatMap((l) => ['--file', l]));
  t.after(() => w.child.kill('SIGKILL'));
  const notes = (): string[] => w.events.filter((e) => e.type === 'problem' || e.type === 'note').map((e) => `${e.type} ${e.message ?? ''}`);
  await w.waitFor('six waiting notes', () => notes().length >= 6);
  writeFileSync(logs[5], record());
  await w.waitFor('the 7th note and the record', () => notes().some((m) => m.startsWith(`note ${logs[5]}: appeared`)) && w.count(ID) === 1);
  assert.deepEqual(notes(), [...logs.map((l) => `problem ${l}: does not exist yet; waiting for it`), `note ${logs[5]}: appeared, reading from its start`]);
  await w.stop();
});

test('kubelet\'s pod-log layout (the DaemonSet\'s globs): calico-node\'s files followed and named by pod; other pods\' directories not watched, so an unreadable file there is no crash', async (t) => {
  const root = tempDir(t);
  chmodSync(root, 0o755);
  const pods = path.join(root, 'pods');
  const cri = (s: string): string => s.split('\n').filter(Boolean).map((l, i) => `2025-05-26T18:07:12.${String(i).padStart(3, '0')}000000Z stderr F ${l}\n`).join('');
  const dir = (name: string, container: string): string => {
    const d = path.join(pods, name, container);
    mkdirSync(d, { recursive: true });
    for (const p of [pods, path.join(pods, name), d]) chmodSync(p, 0o755);
    return d;
  };
  // another pod's log the watcher cannot read (root's, 0600)
  writeFileSync(path.join(dir('default_web-1_0b6f1c2d-3e4f-4a5b-8c6d-7e8f9a0b1c2d', 'web'), '0.log'), 'secret\n', { mode: 0o600 });
  writeFileSync(path.join(dir('kube-system_calico-node-x7k2p_3f1d2c4b-5a6e-4f70-8a9b-0c1d2e3f4a5b', 'calico-node'), '0.log'), cri(record()));
  const w = new WatchProcess(['--from-start', '--file', `${pods}/kube-system_calico-node-*/calico-node/*.log`], { unprivileged: true });
  t.after(() => w.child.kill('SIGKILL'));
  await w.waitFor('the history of calico-node\'s log', () => w.count(ID) === 1);
  // more unreadable logs of other pods, then calico-node recreated under a new uid
  writeFileSync(path.join(dir('default_web-2_1c7f2d3e-4f5a-4b6c-9d7e-8f9a0b1c2d3e', 'web'), '0.log'), 'secret\n', { mode: 0o600 });
  writeFileSync(path.join(dir('kube-system_calico-node-q9w8e_2a3b4c5d-6e7f-4a8b-9c0d-1e2f3a4b5c6d', 'calico-node'), '0.log'), cri(record() + record()));
  await w.waitFor('the new pod\'s log', () => w.count(ID) === 3);
  assert.ok(!w.events.some((e) => e.type === 'problem' && /default_web|EACCES|permission/.test(e.message ?? '')), JSON.stringify(w.events.filter((e) => e.type === 'problem')));
  assert.equal(await w.stop(), 1, w.stderr);
  const evidence = w.events.filter((e) => e.type === 'diagnosis').flatMap((e) => (e.diagnosis as unknown as { evidence: { pod?: string }[] }).evidence);
  assert.ok(evidence.some((e) => e.pod === 'kube-system/calico-node-q9w8e'), JSON.stringify(evidence.map((e) => e.pod)));
});

test('a replay\'s plain lines are stamped with the recording\'s time (the newest failure replayed), never the wall clock; its report names the input as analyze does', async (t) => {
  // calico-node's sample log (facts from its start-up, then failures 20 s later), moved to five
  // hours before now, so that the recording's clock and the wall clock cannot be taken for each other.
  const lines = readFileSync(path.join(ROOT, 'samples', 'logs', 'calico-node-felix.log'), 'utf8').split('\n');
  const STAMP = /^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3})/;
  const first = Date.parse(STAMP.exec(lines[0])![1].replace(' ', 'T') + 'Z');
  const shift = Math.floor((Date.now() - 5 * 3_600_000) / 1000) * 1000 - first;
  const recorded = new Set<string>();
  const moved = lines.map((l) => l.replace(STAMP, (m) => {
    const iso = new Date(Date.parse(m.replace(' ', 'T') + 'Z') + shift).toISOString();
    recorded.add(iso.slice(11, 19));
    return iso.replace('T', ' ').slice(0, 23);
  }));
  const log = path.join(tempDir(t), 'calico-node.log');
  writeFileSync(log, moved.join('\n'));
  for (const speed of ['0', '60']) {
    const r = await runCli(['watch', '--no-tui', '--replay', log, '--speed', speed], { timeoutMs: 30_000 });
    assert.equal(r.code, 1, r.stderr);
    const events = r.stdout.split('\n').filter((l) => /^\S{8} (NEW|UPD|FACT|NOTE|PROBLEM) /.test(l));
    assert.ok(events.some((l) => / NEW CRITICAL kernel-ipv6-mark-regression /.test(l)), r.stdout);
    for (const l of events) assert.ok(recorded.has(l.slice(0, 8)) || (l.slice(0, 8) === '--:--:--' && !/ (NEW|UPD) /.test(l)), `speed ${speed}: ${l}`);
  }
  // The sample bundle's report names the input as analyze does: the bundle's kind and its files.
  const bundle = path.join(ROOT, 'samples', 'bundles', 'inspection-report-20250526_182512.tar.gz');
  const r = await runCli(['watch', '--no-tui', '--replay', bundle, '--speed', '0'], { timeoutMs: 30_000 });
  const analyzed = (await runCli(['analyze', bundle])).stdout.split('\n');
  const report = r.stdout.split('\n');
  const head = report.findIndex((l) => l.startsWith('cni-doctor '));
  assert.equal(report[head], analyzed[0]);
  assert.match(report[head + 1], /^  microk8s-inspect +replay /);
});

test('a reader that takes its time (a slow pipe) still gets the whole output and the final stats line: the watch waits for it before it exits', { timeout: 60_000 }, async (t) => {
  // One positive example of every pattern: each diagnosis appears and is printed, well over a pipe's 64 KiB.
  const input = path.join(tempDir(t), 'all.log');
  const texts: string[] = [];
  for (const p of loadCatalog().patterns) for (const ex of p.examples.positive) texts.push(ex.text.trimEnd());
  writeFileSync(input, texts.join('\n') + '\n');
  const cli = `'${process.execPath}' '${CLI}' watch --json --no-tui -`;
  const fast = execFileSync('bash', ['-c', `${cli} < '${input}'; true`], { encoding: 'utf8', timeout: 30_000 });
  assert.ok(fast.length > 96 << 10, `output long enough to fill a pipe: ${fast.length} bytes`);
  // The reader starts 3 s after the watch has ended its input (the watch was let go after 1 s).
  const slow = execFileSync('bash', ['-c', `${cli} < '${input}' | (sleep 3; cat)`], { encoding: 'utf8', timeout: 30_000 });
  const last = JSON.parse(slow.trimEnd().split('\n').pop()!) as { type: string; final?: boolean };
  assert.deepEqual([last.type, last.final], ['stats', true], 'the final stats line arrived');
  assert.equal(slow.split('\n').length, fast.split('\n').length, 'every line arrived');
});
