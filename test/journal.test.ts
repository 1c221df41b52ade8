import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { runCli, tempDir } from './helpers/util.js';
import { WatchProcess } from './helpers/watch.js';
import { exportFormat, JOURNAL_REMOTE, writeJournal, type Entry } from './helpers/journal.js';
import { hostHasJournal } from '../src/sources/journal-live.js';

const KUBELITE = { unit: 'snap.microk8s.daemon-kubelite.service', ident: 'microk8s.daemon-kubelite' };
const T0 = Date.UTC(2025, 4, 26, 18, 0, 0) * 1000;
const ID = 'kernel-ipv6-mark-regression';

/** kube-proxy's klog block: each line its own journal entry, as journald stores it */
function xorMarkBlock(usec: number, n: number): Entry[] {
  return [
    `E0526 18:07:15.123456    2187 proxier.go:1564] "Failed to execute iptables-restore" err=<`,
    `\texit status 2: Warning: Extension MARK revision 0 not supported, missing kernel module?`,
    `\tip6tables-restore v1.8.9 (nf_tables): unknown option "--xor-mark"`,
    `\tError occurred at line: ${n}`,
    ` > ipFamily="IPv6"`,
  ].map((message, i) => ({ ...KUBELITE, message, usec: usec + i }));
}

function history(failures: number, filler: number, t0 = T0, kernel = '6.8.0-57-generic'): Entry[] {
  const out: Entry[] = [{ ident: 'kernel', transport: 'kernel', message: `Linux version ${kernel} (buildd@lcy02-amd64-039) (gcc) #59-Ubuntu SMP PREEMPT_DYNAMIC`, usec: t0 }];
  let t = t0 + 1_000_000;
  for (let f = 0; f < failures; f++) {
    for (let i = 0; i < filler; i++) out.push({ ...KUBELITE, message: `I0526 18:07:00.000000    2187 kubelet.go:2418] "SyncLoop (PLEG): event for pod" seq=${f}-${i}`, usec: t++ });
    out.push({ unit: 'ssh.service', ident: 'sshd', message: `Accepted publickey for ops from 10.0.0.9 port ${f}`, usec: t++ });
    out.push(...xorMarkBlock(t, f));
    t += 10;
  }
  return out;
}

/** The watcher's following journalctl (`-f -o json`; not its start-up `journalctl --version`). */
function followerPid(w: WatchProcess): number | undefined {
  try {
    const pids = execFileSync('pgrep', ['-P', String(w.child.pid), '-f', 'journalctl -f -o json']).toString().trim().split('\n').filter(Boolean);
    assert.equal(pids.length, 1, 'one journalctl child');
    return Number(pids[0]);
  } catch (e) {
    if (e instanceof assert.AssertionError) throw e;
    return undefined; // pgrep: none yet
  }
}

/** Polled on a timer (the watch's output may not come before the first failure it reports). */
async function waitFollower(w: WatchProcess): Promise<number> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const pid = followerPid(w);
    if (pid !== undefined) return pid;
    if (w.child.exitCode !== null) throw new Error(`the watch ended: ${w.stderr}`);
    if (Date.now() > deadline) throw new Error(`no journalctl -f after 15 s: ${w.stderr}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** SIGKILL the watcher's one journalctl child (its restart is what the tests look at). */
function killJournalctl(w: WatchProcess): void {
  const pid = followerPid(w);
  assert.ok(pid, 'a journalctl child');
  process.kill(pid, 'SIGKILL');
}

test('analyze a bare .journal file through journalctl: kind journal, klog blocks joined', async (t) => {
  const d = tempDir(t);
  const j = path.join(d, 'system.journal');
  writeJournal(j, history(3, 2));
  const r = await runCli(['analyze', j, '--json']);
  assert.equal(r.code, 1, r.stderr);
  const rep = JSON.parse(r.stdout) as { inputs: { kind: string }[]; diagnoses: { id: string; occurrences: number; evidence: { text: string }[] }[]; facts: Record<string, { value: string }> };
  assert.equal(rep.inputs[0].kind, 'journal');
  assert.equal(rep.diagnoses[0].id, ID);
  assert.equal(rep.diagnoses[0].occurrences, 3);
  assert.match(rep.diagnoses[0].evidence[0].text, /err=<\n\texit status 2[^]*--xor-mark[^]*> ipFamily="IPv6"/);
  assert.equal(rep.facts['kernel.release'].value, '6.8.0-57-generic');
});

test('watch --journal-dir follows a real journal; units filtered, kernel kept', async (t) => {
  const d = tempDir(t);
  const dir = path.join(d, 'journal', '0123456789abcdef0123456789abcdef');
  mkdirSync(dir, { recursive: true });
  writeJournal(path.join(dir, 'system.journal'), history(2, 1));
  const w = new WatchProcess(['--journal-dir', path.join(d, 'journal')]);
  t.after(() => w.child.kill('SIGKILL'));
  await w.waitFor('2 occurrences', () => w.count(ID) === 2);
  await w.waitFor('kernel fact', () => w.events.some((e) => e.type === 'fact' && e.name === 'kernel.release'));
  // A second journal file appears in the directory (rotation by journald): followed too.
  writeJournal(path.join(dir, 'system@0001.journal'), xorMarkBlock(T0 + 90_000_000, 99));
  await w.waitFor('3 occurrences', () => w.count(ID) === 3);
  await w.stop();
});

test('killing journalctl mid-stream loses and repeats nothing', async (t) => {
  const d = tempDir(t);
  const dir = path.join(d, 'journal');
  mkdirSync(dir, { recursive: true });
  writeJournal(path.join(dir, 'system.journal'), history(40, 150));
  const w = new WatchProcess(['--journal-dir', dir]);
  t.after(() => w.child.kill('SIGKILL'));
  await w.waitFor('the first failures', () => w.count(ID) >= 1);
  killJournalctl(w);
  await w.waitFor('restart note', () => w.events.some((e) => e.type === 'problem' && /journalctl killed by SIGKILL; restarting/.test(e.message ?? '')));
  await w.waitFor('all 40', () => w.count(ID) >= 40);
  writeJournal(path.join(dir, 'system@2.journal'), [{ ...KUBELITE, message: 'E0526 18:30:00.000000    2187 pod_workers.go:1301] "Error syncing pod, skipping" err="failed to \\"StartContainer\\" for \\"calico-node\\" with CrashLoopBackOff: \\"back-off 5m0s restarting failed container=calico-node pod=calico-node-x7k2p_kube-system(3f1d)\\""', usec: T0 + 3_600_000_000 }]);
  await w.waitFor('sentinel', () => w.count('calico-node-crashloop') === 1);
  assert.equal(w.count(ID), 40, 'nothing repeated');
  await w.stop();
});

test('a journal the user may not read is one line saying how to fix it, and exit 2', async (t) => {
  const d = tempDir(t);
  const dir = path.join(d, 'journal');
  mkdirSync(dir, { mode: 0o755 });
  writeJournal(path.join(dir, 'system.journal'), history(1, 1));
  // As root the program runs as nobody (the file is root's, 0640); otherwise the directory is closed.
  if (process.getuid?.() === 0) chmodSync(path.join(dir, 'system.journal'), 0o640);
  else chmodSync(dir, 0);
  const w = new WatchProcess(['--journal-dir', dir], { unprivileged: true });
  t.after(() => w.child.kill('SIGKILL'));
  const code = await w.exit('an exit: the journal is unreadable');
  chmodSync(dir, 0o755);
  assert.equal(code, 2);
  assert.match(w.stderr, /^cni-doctor: journalctl cannot read the system journal: add yourself to group systemd-journal \(sudo usermod -aG systemd-journal \$USER/m);
  assert.equal(w.stderr.trim().split('\n').length, 1);
});

const BOOT_A = 'a'.repeat(32);
const BOOT_B = 'b'.repeat(32);
const CRASHLOOP = 'E0526 19:30:00.000000    2187 pod_workers.go:1301] "Error syncing pod, skipping" err="failed to \\"StartContainer\\" for \\"calico-node\\" with CrashLoopBackOff: \\"back-off 5m0s restarting failed container=calico-node pod=calico-node-x7k2p_kube-system(3f1d)\\""';

/** One journal file holding several boots, as a node's journal does after a kernel upgrade and reboot. */
function writeBoots(file: string, boots: [string, Entry[]][]): void {
  if (!JOURNAL_REMOTE) throw new Error('systemd-journal-remote is not installed: apt-get install systemd-journal-remote');
  execFileSync(JOURNAL_REMOTE, ['-o', file, '-'], { input: Buffer.concat(boots.map(([boot, es]) => exportFormat(es, boot))), stdio: ['pipe', 'ignore', 'pipe'] });
}

/** Boot A: 3 failures on the old kernel. Boot B (after the upgrade): 2 more, then a sentinel that
 *  says everything before it has been read, so the count can be checked for exactness. */
function upgradeAndReboot(dir: string): string {
  const file = path.join(dir, '0123456789abcdef0123456789abcdef', 'system.journal');
  mkdirSync(path.dirname(file), { recursive: true });
  const tB = T0 + 3_600_000_000;
  writeBoots(file, [
    [BOOT_A, history(3, 1, T0, '6.8.0-56-generic')],
    [BOOT_B, [...history(2, 1, tB), { ...KUBELITE, message: CRASHLOOP, usec: tB + 600_000_000 }]],
  ]);
  return file;
}

for (const [name, args] of [
  ['--journal-dir', (d: string, _f: string) => ['--journal-dir', d]],
  ['--journal-file', (_d: string, f: string) => ['--journal-file', f]],
  ['--journal-dir --since', (d: string, _f: string) => ['--journal-dir', d, '--since', '2025-05-01']],
] as const) {
  test(`watch ${name} reads every boot in the journal, not only the last one`, async (t) => {
    const d = tempDir(t);
    const file = upgradeAndReboot(d);
    const w = new WatchProcess(args(d, file));
    t.after(() => w.child.kill('SIGKILL'));
    await w.waitFor('the sentinel after both boots', () => w.count('calico-node-crashloop') === 1);
    // Changes are printed at most once a second; the last state is always printed at exit.
    await w.stop();
    assert.equal(w.count(ID), 5, 'the 3 failures of the boot before the upgrade are part of the history');
    assert.equal(w.events.filter((e) => e.type === 'fact' && e.name === 'kernel.release').pop()?.value, '6.8.0-57-generic');
  });
}

test('watch --journal-dir keeps following once history is read: a later boot in a new file is read too', async (t) => {
  const d = tempDir(t);
  const file = upgradeAndReboot(d);
  const w = new WatchProcess(['--journal-dir', d]);
  t.after(() => w.child.kill('SIGKILL'));
  await w.waitFor('both boots', () => w.count('calico-node-crashloop') === 1 && w.count(ID) === 5);
  writeBoots(path.join(path.dirname(file), 'system@0002.journal'), [['c'.repeat(32), xorMarkBlock(T0 + 7_200_000_000, 77)]]);
  await w.waitFor('the failure of the third boot', () => w.count(ID) === 6);
  await w.stop();
});

test('journalctl killed while still in the earlier boot resumes there: every boot read, nothing twice', async (t) => {
  const d = tempDir(t);
  const file = path.join(d, 'system.journal');
  const tB = T0 + 36_000_000_000;
  // A long first boot, so that the kill lands in it, well before the reboot (with 300 lines of
  // filler per failure the margin was 250-650 ms on a loaded machine: now about ten times that).
  writeBoots(file, [
    [BOOT_A, history(30, 3000, T0, '6.8.0-56-generic')],
    [BOOT_B, [...history(10, 150, tB), { ...KUBELITE, message: CRASHLOOP, usec: tB + 36_000_000_000 }]],
  ]);
  const w = new WatchProcess(['--journal-file', file]);
  t.after(() => w.child.kill('SIGKILL'));
  // Found before the first failure, so that no process start stands between it and the kill.
  const pid = await waitFollower(w);
  await w.waitFor('the first failures', () => w.count(ID) >= 1);
  process.kill(pid, 'SIGKILL');
  const newKernel = (): boolean => w.events.some((e) => e.type === 'fact' && e.value === '6.8.0-57-generic');
  assert.ok(!newKernel(), 'the kill lands before the reboot');
  await w.waitFor('restart note', () => w.events.some((e) => e.type === 'problem' && /journalctl killed by SIGKILL; restarting/.test(e.message ?? '')));
  await w.waitFor('the sentinel at the end of the second boot', () => w.count('calico-node-crashloop') === 1, 30_000);
  assert.ok(newKernel(), JSON.stringify(w.events.filter((e) => e.type !== 'diagnosis')));
  // Changes are printed at most once a second; the last state is always printed at exit.
  await w.stop();
  assert.equal(w.count(ID), 40, 'all 30 + 10, none repeated');
});

test('journalctl restarts: given up after 21 deaths in a row, but a journalctl that ran a while starts the count again', async (t) => {
  const d = tempDir(t);
  const j = path.join(d, 'system.journal');
  writeJournal(j, history(1, 1));
  // "a while" made 300 ms for the test (60 s in use)
  const w = new WatchProcess(['--journal-file', j], { env: { CNI_DOCTOR_JOURNAL_STABLE_MS: '300' } });
  t.after(() => w.child.kill('SIGKILL'));
  const restarts = (): number => w.events.filter((e) => e.type === 'problem' && /journalctl killed by SIGKILL; restarting/.test(e.message ?? '')).length;
  const child = (): number | undefined => followerPid(w);
  // A journalctl that ended by itself before its kill is looked for again, within one deadline for all.
  const giveUp = Date.now() + 90_000;
  for (let i = 1; i <= 24; i++) {
    assert.ok(Date.now() < giveUp, `24 kills not done in 90 s (at ${i - 1}); stderr: ${w.stderr}`);
    // each journalctl lives past the 300 ms before it is killed
    const pid = await new Promise<number>((resolve, reject) => {
      const deadline = Date.now() + 15_000;
      const look = (): void => { const p = child(); if (p) resolve(p); else if (Date.now() > deadline) reject(new Error(`no journalctl after restart ${i - 1}; stderr: ${w.stderr}`)); else setTimeout(look, 50); };
      look();
    });
    await new Promise((r) => setTimeout(r, 400));
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      i--; // gone on its own already: look for the follower again
      continue;
    }
    await w.waitFor(`restart ${i}`, () => restarts() >= i || w.child.exitCode !== null);
    assert.equal(w.child.exitCode, null, `still watching after ${i} restarts: ${w.stderr}`);
  }
  await w.stop();
});

/** Exits 2 quickly with a single line naming what is wrong: not twenty restarts of journalctl. */
async function failsAtOnce(w: WatchProcess, reason: RegExp): Promise<void> {
  await w.waitFor('exit', () => w.child.exitCode !== null, 12_000);
  assert.equal(w.child.exitCode, 2, w.stderr);
  assert.equal(w.stderr.trim().split('\n').length, 1, w.stderr);
  assert.match(w.stderr, reason);
  // Nothing was shown before the error: no view (stats line, UI) started.
  assert.deepEqual(w.events.map((e) => e.type), []);
}

test('watch --journal-file that does not exist: exit 2 at once, naming the file', async (t) => {
  const w = new WatchProcess(['--journal-file', '/nonexistent.journal']);
  t.after(() => w.child.kill('SIGKILL'));
  await failsAtOnce(w, /^cni-doctor: --journal-file \/nonexistent\.journal: no such file/);
});

test('watch --journal-file that is not a journal: exit 2 at once, pointing to --file', async (t) => {
  const d = tempDir(t);
  const f = path.join(d, 'syslog');
  writeFileSync(f, 'May 26 18:00:00 node1 kernel: hello\n');
  const w = new WatchProcess(['--journal-file', f]);
  t.after(() => w.child.kill('SIGKILL'));
  await failsAtOnce(w, new RegExp(`--journal-file ${f} is not a systemd journal file.*--file ${f}`));
});

test('watch --journal-dir that does not exist: exit 2 at once, naming the directory', async (t) => {
  const w = new WatchProcess(['--journal-dir', '/nonexistent-dir']);
  t.after(() => w.child.kill('SIGKILL'));
  await failsAtOnce(w, /^cni-doctor: --journal-dir \/nonexistent-dir: no such directory/);
});

test('watch --since journalctl cannot parse: exit 2 at once, naming the value', async (t) => {
  const d = tempDir(t);
  const j = path.join(d, 'system.journal');
  writeJournal(j, history(1, 1));
  const w = new WatchProcess(['--journal-file', j, '--since', 'garbage']);
  t.after(() => w.child.kill('SIGKILL'));
  await failsAtOnce(w, /^cni-doctor: journalctl cannot read --since garbage \(Failed to parse timestamp: garbage\): give a time such as/);
});

test('watch --journal-dir with the journals one level too deep: exit 2 at once, naming the directory to pass', async (t) => {
  // journalctl -D reads DIR/*.journal and DIR/<machine-id>/*.journal only; a bundle's
  // journal/node1/ was reported as "Data from the specified boot (+0) is not available".
  const d = tempDir(t);
  mkdirSync(path.join(d, 'node1'));
  writeJournal(path.join(d, 'node1', 'system.journal'), history(1, 1));
  const w = new WatchProcess(['--journal-dir', d]);
  t.after(() => w.child.kill('SIGKILL'));
  await failsAtOnce(w, new RegExp(`--journal-dir ${d} holds no journal files .*: pass --journal-dir ${path.join(d, 'node1')}$`, 'm'));
});

test('watch --journal-dir with no journal at all: exit 2 at once, not a silent wait', async (t) => {
  const d = tempDir(t);
  const w = new WatchProcess(['--journal-dir', d]);
  t.after(() => w.child.kill('SIGKILL'));
  await failsAtOnce(w, new RegExp(`--journal-dir ${d} holds no journal files`));
});

test('a journalctl that dies with an error after following quietly for a while is restarted, not taken for a bad argument', async (t) => {
  const d = tempDir(t);
  const bin = path.join(d, 'bin');
  mkdirSync(bin);
  // A quiet node followed from now prints nothing; then the journal turns out damaged.
  writeFileSync(path.join(bin, 'journalctl'), '#!/bin/sh\n[ "$1" = "--version" ] && { echo "systemd 252 (252.39-1~deb12u1)"; exit 0; }\nsleep 2\necho "Failed to iterate through journal: Bad message" >&2\nexit 1\n', { mode: 0o755 });
  const w = new WatchProcess(['--journal'], { env: { PATH: `${bin}:${process.env.PATH}` } });
  t.after(() => w.child.kill('SIGKILL'));
  await w.waitFor('a restart', () => w.events.some((e) => e.type === 'problem' && /journalctl exited with status 1: Failed to iterate through journal: Bad message; restarting/.test(e.message ?? '')), 20_000);
  assert.doesNotMatch(w.stderr, /cannot follow/);
  await w.stop();
});

test('a host without journal files is known as such (journalctl -f on it says nothing and waits): a real journal in a machine-id directory is found', (t) => {
  const d = tempDir(t);
  const persistent = path.join(d, 'var-log-journal');
  const volatile = path.join(d, 'run-log-journal');
  mkdirSync(path.join(persistent, '0123456789abcdef0123456789abcdef'), { recursive: true });
  assert.equal(hostHasJournal([persistent, volatile], undefined), false, 'an empty machine-id directory, no volatile journal');
  mkdirSync(path.join(volatile, 'fedcba9876543210fedcba9876543210'), { recursive: true });
  writeJournal(path.join(volatile, 'fedcba9876543210fedcba9876543210', 'system.journal'), history(1, 1));
  assert.equal(hostHasJournal([persistent, volatile], undefined), true);
  assert.equal(hostHasJournal([persistent, volatile], 'fedcba9876543210fedcba9876543210'), true, 'this machine\'s journal');
  // another machine's journal (a container whose machine ID is not the host's): journalctl -f shows nothing of it
  assert.equal(hostHasJournal([persistent, volatile], '0123456789abcdef0123456789abcdef'), false);
});
