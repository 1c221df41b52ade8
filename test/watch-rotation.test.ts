// watch --file under rotation at a high write rate: copytruncate reads the copy's unread rest, a glob
// that matches rotated names reads no file twice and no compressed file at all, and followers of a
// glob's deleted files are let go of. Real processes, JSON Lines, waits on conditions only.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { appendFileSync, chmodSync, closeSync, copyFileSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, truncateSync, writeFileSync, writeSync } from 'node:fs';
import path from 'node:path';
import { runCli, tempDir } from './helpers/util.js';
import { startedWatch, WatchProcess } from './helpers/watch.js';

const ID = 'kernel-ipv6-mark-regression';
const CRASH = 'calico-node-crashloop';
let n = 0;
/** a distinct felix failure record each call */
function record(): string {
  n++;
  const ms = String(n % 1000).padStart(3, '0');
  return `2025-05-26 18:07:12.${ms} [WARNING][83] felix/table.go 1454: Failed to execute ip(6)tables-restore command error=exit status 2 errorOutput="ip6tables-restore v1.8.4 (legacy): unknown option \\"--set-mark\\"\\n" input="seq ${n}" ipVersion=0x6 output="" table="mangle"\n`;
}
let m = 0;
/** a distinct kubelet crash-loop line each call, different from the previous one in its first bytes */
function marker(): string {
  m++;
  const s = String(m % 60).padStart(2, '0');
  return `May 26 18:${String(10 + Math.floor(m / 60) % 40)}:${s} node1 microk8s.daemon-kubelite[2187]: E0526 18:09:40.512345    2187 pod_workers.go:1301] "Error syncing pod, skipping" err="failed to \\"StartContainer\\" for \\"calico-node\\" with CrashLoopBackOff: \\"back-off 5m0s restarting failed container=calico-node pod=calico-node-x7k2p_kube-system(3f1d)\\"" seq=${m}\n`;
}
const lines = (w: WatchProcess): number => w.events.filter((e) => e.type === 'stats').pop()?.lines ?? 0;
/** `note`: a routine event (a rotation, a copy found); `problem`: lines may be lost */
const notes = (w: WatchProcess, type: 'note' | 'problem', re: RegExp): string[] => w.events.filter((e) => e.type === type && re.test(e.message ?? '')).map((e) => e.message!);

/** A watch following a new empty file (by its name, or by `name*`, which matches its rotations too). */
async function followNew(t: TestContext, name: string, glob = false): Promise<{ log: string; w: WatchProcess }> {
  const d = tempDir(t);
  const log = path.join(d, name);
  writeFileSync(log, '');
  return { log, w: await startedWatch(t, ['--file', glob ? `${log}*` : log]) };
}
/** The same, and a writer's descriptor appending to the file (closed after the test). */
async function followWithWriter(t: TestContext, name: string): Promise<{ log: string; w: WatchProcess; fd: number }> {
  const { log, w } = await followNew(t, name);
  const fd = openSync(log, 'a');
  t.after(() => closeSync(fd));
  return { log, w, fd };
}
/** the evidence of a diagnosis's latest event */
const evidence = (w: WatchProcess, id: string): { source: string; line: number; text: string }[] =>
  (w.events.filter((e) => e.type === 'diagnosis' && e.diagnosis?.id === id).pop()!.diagnosis as unknown as { evidence: { source: string; line: number; text: string }[] }).evidence;

test('copytruncate at a high write rate: the lines written after the last read and before the copy are read from the copy, each once', async (t) => {
  // The writer: one descriptor opened for appending (as a daemon's), a line per write, no pause.
  const { log, w, fd } = await followWithWriter(t, 'calico-node.log');
  const ROUNDS = 10;
  const BURST = 300;
  let records = 0;
  // The watcher has read into the file before the first rotation (a file truncated before anything of
  // it was read leaves no trace to find its copy by: see README, Known limits).
  writeSync(fd, marker());
  let written = 1;
  await w.waitFor('the first line', () => w.count(CRASH) === 1);
  for (let r = 1; r <= ROUNDS; r++) {
    for (let i = 0; i < BURST; i++) writeSync(fd, record());
    records += BURST;
    // logrotate copytruncate: copy aside, truncate in place; the writer goes on at once.
    copyFileSync(log, `${log}.${r}`);
    truncateSync(log, 0);
    writeSync(fd, marker());
    for (let i = 0; i < 3; i++) writeSync(fd, record());
    records += 3;
    written += BURST + 4;
    // Before the next round, the watcher has seen the truncation and read into the new file (its marker).
    await w.waitFor(`round ${r}: the truncation and the new file's first line`, () => w.count(CRASH) === r + 1, 20_000);
  }
  writeSync(fd, marker());
  written++;
  await w.waitFor('the last marker', () => w.count(CRASH) === ROUNDS + 2, 20_000);
  await w.stop();
  assert.equal(w.count(ID), records, `every failure record once (${records} written)`);
  assert.equal(lines(w), written, 'every line once');
  assert.equal(notes(w, 'note', /truncated \(copytruncate\), read the rest of its copy/).length, ROUNDS, notes(w, 'problem', /truncated/).join('\n'));
});

for (const [ext, pack] of [['gz', (b: string) => execFileSync('gzip', ['-c'], { input: b })], ['xz', (b: string) => execFileSync('xz', ['-c'], { input: b })]] as const) {
  test(`copytruncate with compress (.${ext}) seen late: the copy's rest is read from the compressed copy, each line once, no problem said`, async (t) => {
    const { log, w, fd } = await followWithWriter(t, 'calico-node.log');
    writeSync(fd, marker());
    let written = 1;
    let records = 0;
    await w.waitFor('the first line', () => w.count(CRASH) === 1);
    const ROUNDS = 3;
    const copies: string[] = [];
    for (let r = 1; r <= ROUNDS; r++) {
      // What a follower that looks after logrotate is done finds: the copy compressed, its plain self
      // gone, the file truncated. The lines written after its last read are in the compressed copy
      // only (written there directly, so the follower cannot have read them from the file).
      let burst = '';
      for (let i = 0; i < 200; i++) burst += record();
      records += 200;
      copies[r] = readFileSync(log, 'utf8') + burst;
      writeFileSync(`${log}.${r}.${ext}`, pack(copies[r]));
      truncateSync(log, 0);
      writeSync(fd, marker());
      written += 201;
      await w.waitFor(`round ${r}: the truncation and the new file's first line`, () => w.count(CRASH) === r + 1, 20_000);
    }
    await w.stop();
    assert.equal(w.count(ID), records, `every failure record once (${records} written)`);
    assert.equal(lines(w), written, 'every line once');
    assert.deepEqual(notes(w, 'problem', /truncated/), [], 'no line may be lost: none is');
    // The lines read from a copy are named by the copy, with their numbers in it.
    const ev = evidence(w, ID);
    assert.ok(ev.length >= 3);
    for (const e of ev) {
      const r = Number(new RegExp(`calico-node\\.log\\.(\\d)\\.${ext}$`).exec(e.source)?.[1]);
      assert.ok(copies[r], `named by a copy: ${e.source}:${e.line}`);
      assert.equal(copies[r].split('\n')[e.line - 1].match(/seq \d+/)?.[0], e.text.match(/seq \d+/)?.[0], `${e.source}:${e.line} is that line`);
    }
    const found = notes(w, 'note', new RegExp(`truncated \\(copytruncate\\), read the rest of its copy calico-node\\.log\\.\\d\\.${ext} \\(\\d+ bytes\\)`));
    assert.equal(found.length, ROUNDS, found.join('\n'));
  });
}

test('copytruncate with compress: a compressed copy cut short gives what it holds, and says lines may be lost', async (t) => {
  const { log, w } = await followNew(t, 'calico-node.log');
  appendFileSync(log, marker());
  await w.waitFor('the first line', () => w.count(CRASH) === 1);
  let burst = '';
  for (let i = 0; i < 2000; i++) burst += record();
  const gz = execFileSync('gzip', ['-c'], { input: readFileSync(log, 'utf8') + burst });
  // cut in its last part: the start (and the offset read to) decode, the end does not
  writeFileSync(`${log}.1.gz`, gz.subarray(0, gz.length - 200));
  truncateSync(log, 0);
  appendFileSync(log, marker());
  await w.waitFor('the new file\'s first line', () => w.count(CRASH) === 2, 20_000);
  await w.stop();
  const said = notes(w, 'problem', /truncated \(copytruncate\), read \d+ bytes of the rest of its copy calico-node\.log\.1\.gz, whose end could not be read \(.+\), so lines written just before the truncation may be lost/);
  assert.equal(said.length, 1, JSON.stringify(w.events.filter((e) => e.type === 'problem' || e.type === 'note')));
});

test('a renamed file\'s late lines are named by its new name in the evidence, with their numbers there; the new file\'s by the name', async (t) => {
  const { log, w, fd } = await followWithWriter(t, 'felix.log');
  writeSync(fd, record());
  await w.waitFor('the first record', () => w.count(ID) === 1);
  renameSync(log, `${log}.1`);
  await w.waitFor('the rename seen', () => notes(w, 'note', /rotated \(renamed away\)/).length === 1);
  // the writer's late line, into the renamed file (its line 2)
  writeSync(fd, record());
  await w.waitFor('the late record', () => w.count(ID) === 2);
  writeFileSync(log, record());
  await w.waitFor('the new file\'s record', () => w.count(ID) === 3);
  await w.stop();
  const ev = evidence(w, ID);
  assert.deepEqual(ev.map((e) => `${path.basename(e.source)}:${e.line}`), ['felix.log:1', 'felix.log.1:2', 'felix.log:1']);
});

for (const how of ['plain', 'glob', 'gz'] as const) {
  const glob = how === 'glob';
  test(`copytruncate whose copy is shorter than what was read (the lines after the copy were read before the truncation)${glob ? ', under a glob that matches the copy' : how === 'gz' ? ', the copy compressed' : ''}: nothing is lost and nothing read twice`, async (t) => {
    const { log, w } = await followNew(t, 'app.log', glob);
    let body = '';
    for (let i = 0; i < 100; i++) body += record();
    appendFileSync(log, body);
    await w.waitFor('100 records', () => w.count(ID) === 100);
    // logrotate copies; the writer goes on, and its lines are read before the truncation comes
    if (how === 'gz') writeFileSync(`${log}.1.gz`, execFileSync('gzip', ['-c', log]));
    else copyFileSync(log, `${log}.1`);
    for (let i = 0; i < 5; i++) appendFileSync(log, record());
    await w.waitFor('the 5 written after the copy', () => w.count(ID) === 105);
    truncateSync(log, 0);
    appendFileSync(log, record());
    await w.waitFor('the truncation and the new record', () => w.count(ID) >= 106 && notes(w, 'note', /truncated/).length + notes(w, 'problem', /truncated/).length > 0);
    // Under the glob, the copy's follower goes on from its end: a line added to the copy now is read,
    // after anything of the copy read again from its start would have been.
    if (glob) {
      appendFileSync(`${log}.1`, record());
      await w.waitFor('the line added to the copy', () => w.count(ID) >= 107);
    }
    await w.stop();
    const want = glob ? 107 : 106;
    assert.equal(w.count(ID), want, 'each record once');
    assert.equal(lines(w), want, 'each line once');
    assert.deepEqual(notes(w, 'problem', /truncated/), [], 'nothing was lost');
    assert.equal(notes(w, 'note', new RegExp(`truncated \\(copytruncate\\); its copy app\\.log\\.1${how === 'gz' ? '\\.gz' : ''} holds nothing unread`)).length, 1, JSON.stringify(w.events.filter((e) => e.type === 'note' || e.type === 'problem')));
  });
}

test('copytruncate whose copy ends more than 256 KiB before what was read: said as a problem that names the file, not as "no copy found"', async (t) => {
  const { log, w } = await followNew(t, 'app.log');
  appendFileSync(log, record());
  await w.waitFor('the first record', () => w.count(ID) === 1);
  copyFileSync(log, `${log}.1`);
  let after = '';
  while (after.length < 300 << 10) after += record();
  const k = after.split('\n').length - 1;
  appendFileSync(log, after);
  await w.waitFor('what was written after the copy', () => w.count(ID) === 1 + k);
  truncateSync(log, 0);
  appendFileSync(log, record());
  await w.waitFor('the truncation said', () => notes(w, 'problem', /truncated/).length === 1 && w.count(ID) === 2 + k);
  await w.stop();
  assert.match(notes(w, 'problem', /truncated/)[0], /truncated, reading again from its start; app\.log\.1 starts like it but ends more than 256 KiB before what was read, too far back to be told its copy/);
});

test('a truncation with no copy beside it says lines may have been lost', async (t) => {
  const d = tempDir(t);
  const log = path.join(d, 'felix.log');
  writeFileSync(log, '');
  const w = await startedWatch(t, ['--file', log]);
  appendFileSync(log, record() + record());
  await w.waitFor('2 records', () => w.count(ID) === 2);
  truncateSync(log, 0);
  appendFileSync(log, record());
  await w.waitFor('the note and the new record', () => w.count(ID) === 3 && notes(w, 'problem', /truncated, reading again from its start; no copy of it found beside it, so lines written just before the truncation may be lost/).length === 1);
  await w.stop();
});

test('a glob matching the rotated names (app.log*) with compress: rotated files read once, the .gz never read as text', async (t) => {
  const d = tempDir(t);
  const log = path.join(d, 'app.log');
  writeFileSync(log, '');
  const w = await startedWatch(t, ['--file', `${log}*`], { env: { CNI_DOCTOR_DRAIN_GRACE_MS: '500' } });
  let records = 0;
  let written = 0;
  for (let r = 1; r <= 3; r++) {
    let text = '';
    for (let i = 0; i < 500; i++) text += record();
    appendFileSync(log, text);
    records += 500;
    written += 500;
    // logrotate create + compress (no delaycompress): app.log → app.log.1 → app.log.1.gz, a new app.log.
    renameSync(log, `${log}.1`);
    writeFileSync(log, marker());
    written++;
    execFileSync('gzip', ['-f', `${log}.1`]);
    renameSync(`${log}.1.gz`, `${log}.${r}.gz`);
    await w.waitFor(`round ${r}`, () => w.count(CRASH) === r && w.count(ID) >= records, 20_000);
  }
  appendFileSync(log, marker());
  written++;
  await w.waitFor('the last marker', () => w.count(CRASH) === 4, 20_000);
  await w.stop();
  assert.equal(w.count(ID), records);
  assert.equal(lines(w), written, 'every line once, nothing read from a .gz');
  assert.equal(notes(w, 'note', /compressed, not followed/).length, 1, 'said once');
});

/** A watch of `app.log*` that has read app.log's first line (a marker), and app.log open for appending. */
async function followGlobOfCopies(t: TestContext): Promise<{ log: string; w: WatchProcess; fd: number }> {
  const log = path.join(tempDir(t), 'app.log');
  writeFileSync(log, '');
  const w = await startedWatch(t, ['--file', `${log}*`]);
  const fd = openSync(log, 'a');
  t.after(() => closeSync(fd));
  writeSync(fd, marker());
  await w.waitFor('the first line', () => w.count(CRASH) === 1);
  return { log, w, fd };
}

test('a glob matching the copies too (app.log*) with copytruncate: a copy is not read again from its start', async (t) => {
  const { log, w, fd } = await followGlobOfCopies(t);
  let records = 0;
  let written = 1;
  for (let r = 1; r <= 4; r++) {
    for (let i = 0; i < 200; i++) writeSync(fd, record());
    copyFileSync(log, `${log}.${r}`);
    truncateSync(log, 0);
    writeSync(fd, marker());
    records += 200;
    written += 201;
    await w.waitFor(`round ${r}`, () => w.count(CRASH) === r + 1, 20_000);
  }
  appendFileSync(`${log}.4`, record()); // a late line in a copy is read (once), by the copy's follower
  writeSync(fd, marker());
  records++;
  written += 2;
  await w.waitFor('the last marker and the late line', () => w.count(CRASH) === 6 && w.count(ID) === records, 20_000);
  await w.stop();
  assert.equal(w.count(ID), records);
  assert.equal(lines(w), written, 'every line once');
});

test('a glob matching the copies too, and a copy seen while still empty (cp creates it, then fills it): not read again from its start', async (t) => {
  const { log, w, fd } = await followGlobOfCopies(t);
  let written = 1;
  for (let r = 1; r <= 2; r++) {
    for (let i = 0; i < 50; i++) writeSync(fd, record());
    // The copy exists, empty, for a while before its bytes land (the scenario: the follower of the
    // new name looks at it in between, on a poll or its creation event).
    writeFileSync(`${log}.${r}`, '');
    await new Promise((res) => setTimeout(res, 300));
    copyFileSync(log, `${log}.${r}`);
    truncateSync(log, 0);
    writeSync(fd, marker());
    written += 51;
    await w.waitFor(`round ${r}`, () => w.count(CRASH) === r + 1, 20_000);
  }
  await w.stop();
  assert.equal(w.count(ID), 100, 'each record once');
  assert.equal(lines(w), written, 'every line once');
});

test('--file on a compressed file is refused (exit 2) with a hint to analyze it (to decompress it first, for lz4)', async (t) => {
  const d = tempDir(t);
  const gz = path.join(d, 'syslog.2.gz');
  writeFileSync(gz, execFileSync('gzip', ['-c'], { input: record() }));
  const r = await runCli(['watch', '--json', '--no-tui', '--file', gz], { timeoutMs: 10_000 });
  assert.equal(r.code, 2, r.stderr);
  assert.equal(r.stdout, '', 'no view started');
  assert.match(r.stderr, new RegExp(`--file ${gz.replace(/[.]/g, '\\.')} is compressed.*cni-doctor analyze`));
  // analyze does not decode lz4: the hint says how to get a file it reads
  const lz4 = path.join(d, 'felix.log.lz4');
  writeFileSync(lz4, execFileSync('lz4', ['-c'], { input: record() }));
  const r2 = await runCli(['watch', '--json', '--no-tui', '--file', lz4], { timeoutMs: 10_000 });
  assert.equal(r2.code, 2, r2.stderr);
  assert.match(r2.stderr, /is compressed: .*decompress it with lz4 -d .*felix\.log\.lz4, then read it with cni-doctor analyze/);
});

test('followers of a glob\'s deleted files are let go of (stats: files), and a name that comes back is followed again', async (t) => {
  const d = tempDir(t);
  const w = new WatchProcess(['--file', path.join(d, '*.log')], { env: { CNI_DOCTOR_DRAIN_GRACE_MS: '300' } });
  t.after(() => w.child.kill('SIGKILL'));
  const files = (): number | undefined => (w.events.filter((e) => e.type === 'stats').pop() as { files?: number } | undefined)?.files;
  await w.waitFor('start', () => files() === 0);
  const N = 60;
  for (let i = 0; i < N; i++) writeFileSync(path.join(d, `pod-${i}.log`), record());
  await w.waitFor(`${N} files followed`, () => w.count(ID) === N && files() === N, 30_000);
  for (let i = 0; i < N; i++) rmSync(path.join(d, `pod-${i}.log`));
  await w.waitFor('none followed once deleted and drained', () => files() === 0, 30_000);
  // The name again: a new file under it, read from its start.
  writeFileSync(path.join(d, 'pod-0.log'), record());
  await w.waitFor('followed again', () => files() === 1 && w.count(ID) === N + 1, 20_000);
  await w.stop();
});

test('a new glob-matched file that starts like another followed file but is not its copy (klog\'s .INFO and .WARNING headers) is read', async (t) => {
  const d = tempDir(t);
  const hdr = 'Log file created at: 2026/11/26 10:00:00\nRunning on machine: node1\nBinary: Built with gc go1.22 for linux/amd64\n';
  writeFileSync(path.join(d, 'kube-proxy.INFO'), hdr + marker());
  const w = await startedWatch(t, ['--from-start', '--file', path.join(d, 'kube-proxy.*')]);
  await w.waitFor('the .INFO file read', () => w.count(CRASH) === 1);
  writeFileSync(path.join(d, 'kube-proxy.WARNING'), hdr + record() + record());
  await w.waitFor('the .WARNING file read', () => w.count(ID) === 2, 15_000);
  await w.stop();
});

test('a directory under the glob that cannot be listed is skipped, not the end of the watch (run unprivileged)', async (t) => {
  const d = tempDir(t);
  const pods = path.join(d, 'pods');
  mkdirSync(path.join(pods, 'ok', 'c'), { recursive: true });
  mkdirSync(path.join(pods, 'locked', 'c'), { recursive: true });
  writeFileSync(path.join(pods, 'ok', 'c', '0.log'), '');
  chmodSync(path.join(pods, 'locked'), 0o700); // root's, unreadable to the unprivileged watch
  chmodSync(pods, 0o755);
  const w = new WatchProcess(['--file', path.join(pods, '*', 'c', '*.log')], { unprivileged: true });
  t.after(() => w.child.kill('SIGKILL'));
  await w.waitFor('start', () => w.events.some((e) => e.type === 'stats'));
  // a new unreadable pod directory while watching
  mkdirSync(path.join(pods, 'locked2', 'c'), { recursive: true, mode: 0o700 });
  chmodSync(path.join(pods, 'locked2'), 0o700);
  writeFileSync(path.join(pods, 'locked2', 'c', '0.log'), record());
  appendFileSync(path.join(pods, 'ok', 'c', '0.log'), record());
  await w.waitFor('the readable pod\'s record', () => w.count(ID) === 1, 15_000);
  assert.equal(w.child.exitCode, null, `still watching: ${w.stderr}`);
  await w.stop();
  assert.doesNotMatch(w.stderr, /triggerUncaughtException|\n\s+at /, 'no crash');
});

test('a glob that matches only compressed files read nothing: a problem at once, and exit 2 at the end, with what to do', async (t) => {
  const d = tempDir(t);
  writeFileSync(path.join(d, 'syslog.2.gz'), execFileSync('gzip', ['-c'], { input: record() }));
  const glob = path.join(d, 'syslog*.gz');
  const w = new WatchProcess(['--file', glob]);
  t.after(() => w.child.kill('SIGKILL'));
  await w.waitFor('the problem', () => w.events.some((e) => e.type === 'problem' && e.message === `${glob}: only compressed files match it yet; waiting for one`));
  assert.equal(await w.stop(), 2, w.stderr);
  assert.match(w.stderr, /it matched only compressed files, which watch does not follow \(read it with cni-doctor analyze /);
});
