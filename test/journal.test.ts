import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { chmodSync, mkdirSync } from 'node:fs';
import { runCli, tempDir } from './helpers/util.js';
import { WatchProcess } from './helpers/watch.js';
import { writeJournal, type Entry } from './helpers/journal.js';

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

function history(failures: number, filler: number): Entry[] {
  const out: Entry[] = [{ ident: 'kernel', transport: 'kernel', message: 'Linux version 6.8.0-57-generic (buildd@lcy02-amd64-039) (gcc) #59-Ubuntu SMP PREEMPT_DYNAMIC', usec: T0 }];
  let t = T0 + 1_000_000;
  for (let f = 0; f < failures; f++) {
    for (let i = 0; i < filler; i++) out.push({ ...KUBELITE, message: `I0526 18:07:00.000000    2187 kubelet.go:2418] "SyncLoop (PLEG): event for pod" seq=${f}-${i}`, usec: t++ });
    out.push({ unit: 'ssh.service', ident: 'sshd', message: `Accepted publickey for ops from 10.0.0.9 port ${f}`, usec: t++ });
    out.push(...xorMarkBlock(t, f));
    t += 10;
  }
  return out;
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
  const pids = execFileSync('pgrep', ['-P', String(w.child.pid), 'journalctl']).toString().trim().split('\n').filter(Boolean);
  assert.equal(pids.length, 1, 'one journalctl child');
  process.kill(Number(pids[0]), 'SIGKILL');
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
  const code = await w.exited;
  chmodSync(dir, 0o755);
  assert.equal(code, 2);
  assert.match(w.stderr, /^cni-doctor: journalctl cannot read the system journal: add yourself to group systemd-journal \(sudo usermod -aG systemd-journal \$USER/m);
  assert.equal(w.stderr.trim().split('\n').length, 1);
});
