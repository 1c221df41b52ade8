// The sample bundles (built with real tar by samples/build-bundles.sh): the done-means of the bundle issue.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { copyFileSync, createReadStream, mkdirSync, readdirSync, readFileSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { decompress } from '../src/sources/decompress.js';
import { ROOT, runCli, tempDir } from './helpers/util.js';
import { writeJournal } from './helpers/journal.js';

const B = (f: string): string => path.join(ROOT, 'samples', 'bundles', f);
const INSPECT = B('inspection-report-20250526_182512.tar.gz');
const INSPECT_OK = B('inspection-report-20250601_101500.tar.gz');
const SOS = B('sosreport-node1-2025-05-26-abcdefg.tar.xz');
const SOS_OK = B('sosreport-node2-2025-06-01-hijklmn.tar.gz');

interface Ev { source: string; line: number; time: string | null; text: string }
interface Rep {
  inputs: { kind: string; files: number; lines: number; bytes: number }[];
  facts: Record<string, { value: string; source: string }>;
  diagnoses: { id: string; confidence: number; occurrences: number; likelyCause?: string; evidence: Ev[]; factors: { because: string }[] }[];
  timeline: { time: string | null; kind: string; text: string; source: string }[];
  problems: { source: string; reason: string }[];
}
async function analyze(args: string[], env?: NodeJS.ProcessEnv): Promise<{ code: number | null; rep: Rep; stderr: string }> {
  const r = await runCli(['analyze', ...args, '--json'], { env });
  return { code: r.code, rep: JSON.parse(r.stdout) as Rep, stderr: r.stderr };
}

test('microk8s inspect tarball: the 6.8.0-57 dual-stack incident, certain, with its facts and evidence', async () => {
  const { code, rep } = await analyze([INSPECT]);
  assert.equal(code, 1);
  assert.equal(rep.inputs[0].kind, 'microk8s-inspect');
  const top = rep.diagnoses[0];
  assert.equal(top.id, 'kernel-ipv6-mark-regression');
  assert.ok(top.confidence >= 0.9, `confidence ${top.confidence}`);
  assert.ok((top as unknown as { firstSeen: string }).firstSeen.startsWith('2025-05-26T18:'), 'journal stamps take their year from the bundle name');
  assert.deepEqual(rep.facts['kernel.release'], { value: '6.8.0-57-generic', source: 'k8s/cluster-info-dump' });
  assert.deepEqual(rep.facts['ipv6.enabled'], { value: 'true', source: 'args/cni-network/cni.yaml' });
  assert.equal(rep.facts['microk8s.version'].value, 'v1.32.3 (rev 7964)');
  assert.equal(rep.facts['calico.version'].value, 'v3.29.3');
  assert.equal(rep.facts['calico-node.restarts'].value, '14');
  assert.ok(top.evidence.some((e) => /^k8s\/cluster-info-dump \(kube-system\/calico-node-x7k2p:calico-node\)$/.test(e.source) && /--set-mark/.test(e.text)),
    'felix evidence attributed to its pod and container');
  const loop = rep.diagnoses.find((d) => d.id === 'calico-node-crashloop');
  assert.ok(loop, 'crash loop joined in');
  assert.equal(loop.likelyCause, 'kernel-ipv6-mark-regression');
  assert.ok(loop.evidence.some((e) => e.source === 'snap.microk8s.daemon-kubelite/journal.log'));
  assert.ok(top.factors.some((f) => /crash-looping/.test(f.because)));
});

test('sosreport .tar.xz: felix only from podlogs, --xor-mark from the microk8s journal, kernel install before the first failure', async () => {
  const { code, rep } = await analyze([SOS]);
  assert.equal(code, 1);
  assert.equal(rep.inputs[0].kind, 'sosreport');
  const top = rep.diagnoses[0];
  assert.equal(top.id, 'kernel-ipv6-mark-regression');
  assert.ok(top.confidence >= 0.9);
  assert.equal(rep.facts['kernel.release'].source, 'sos_commands/kernel/uname_-a');
  const sources = new Set(top.evidence.map((e) => e.source));
  assert.ok([...sources].some((s) => s.includes('/podlogs/calico-node-x7k2p/')), [...sources].join(', '));
  assert.ok(top.evidence.some((e) => /unknown option "--xor-mark"/.test(e.text)), 'kube-proxy evidence from the journal');
  const install = rep.timeline.find((t) => t.kind === 'kernel-install' && /6\.8\.0-57/.test(t.text));
  const first = rep.timeline.find((t) => t.kind === 'first-seen' && t.text.includes('kernel-ipv6-mark-regression'));
  assert.ok(install?.time && first?.time, JSON.stringify(rep.timeline));
  assert.ok(install.time < first.time, `${install.time} before ${first.time}`);
  assert.equal(rep.timeline.filter((t) => t.kind === 'kernel-install' && /6\.8\.0-57/.test(t.text)).length, 1, 'one install, not one per dpkg status line');
  assert.deepEqual(rep.problems, [], 'sos root symlinks point inside the bundle: nothing to say');
});

test('sosreport: the microk8s journal alone carries the kube-proxy failure', async (t) => {
  const d = tempDir(t);
  execFileSync('tar', ['-xJf', SOS, '-C', d]);
  const j = path.join(d, readdirSync(d)[0], 'sos_commands/microk8s/journalctl_--no-pager_--unit_snap.microk8s');
  const { code, rep } = await analyze([j]);
  assert.equal(code, 1);
  assert.equal(rep.diagnoses[0].id, 'kernel-ipv6-mark-regression');
  assert.ok(rep.diagnoses[0].evidence.some((e) => /--xor-mark/.test(e.text) && /err=</.test(e.text)), 'the klog block, joined');
});

test('healthy bundles of both layouts: exit 0, no diagnosis', async () => {
  for (const b of [INSPECT_OK, SOS_OK]) {
    const { code, rep } = await analyze([b]);
    assert.equal(code, 0, `${b}: ${rep.diagnoses.map((d) => d.id).join(', ')}`);
    assert.deepEqual(rep.diagnoses, []);
    assert.equal(rep.facts['kernel.release'].value, '6.8.0-55-generic');
  }
});

test('healthy node logs directory: exit 0', async () => {
  const r = await runCli(['analyze', path.join(ROOT, 'samples/logs/healthy')]);
  assert.equal(r.code, 0, r.stdout);
});

test('the same bundle as .tar.zst, as an unpacked directory, and through in-process decoders', async (t) => {
  const d = tempDir(t);
  execFileSync('tar', ['-xzf', INSPECT, '-C', d]);
  const zst = path.join(d, 'inspection-report-20250526_182512.tar.zst');
  execFileSync('tar', ['--zstd', '-cf', zst, '-C', d, 'inspection-report']);
  for (const input of [zst, d, path.join(d, 'inspection-report')]) {
    const { code, rep } = await analyze([input]);
    assert.equal(code, 1, input);
    assert.equal(rep.inputs[0].kind, 'microk8s-inspect', input);
    assert.equal(rep.diagnoses[0].id, 'kernel-ipv6-mark-regression', input);
    assert.equal(rep.facts['kernel.release'].value, '6.8.0-57-generic', input);
  }
  // Without xz, gzip, zstd and journalctl on PATH, the in-process decoders take over.
  const bin = path.join(d, 'bin');
  mkdirSync(bin);
  for (const tool of ['sh']) symlinkSync(execFileSync('sh', ['-c', `command -v ${tool}`], { encoding: 'utf8' }).trim(), path.join(bin, tool));
  for (const input of [SOS, INSPECT, zst]) {
    const { code, rep } = await analyze([input], { PATH: bin });
    assert.equal(code, 1, input);
    assert.equal(rep.diagnoses[0].id, 'kernel-ipv6-mark-regression', input);
  }
});

test('in-process xz and zstd decoders give the same bytes as the tools', async (t) => {
  const d = tempDir(t);
  const zst = path.join(d, 'x.zst');
  execFileSync('sh', ['-c', `xz -dc "${SOS}" | zstd -q -c > "${zst}"`]);
  const want = execFileSync('xz', ['-dc', SOS], { maxBuffer: 1 << 28 });
  for (const [file, kind] of [[SOS, 'xz'], [zst, 'zstd']] as const) {
    const r = await decompress(createReadStream(file), kind, 'internal');
    const parts: Buffer[] = [];
    for await (const c of r) parts.push(c as Buffer);
    assert.ok(Buffer.concat(parts).equals(want), kind);
  }
});

test('binary journals inside a bundle are read through journalctl; without journalctl the report says why', async (t) => {
  const d = tempDir(t);
  execFileSync('tar', ['-xzf', SOS_OK, '-C', d]);
  const top = readdirSync(d)[0];
  const jdir = path.join(d, top, 'var/log/journal/0123456789abcdef0123456789abcdef');
  mkdirSync(jdir, { recursive: true });
  const T = Date.UTC(2025, 5, 1, 10, 30) * 1000;
  writeJournal(path.join(jdir, 'system.journal'), [0, 1, 2].map((i) => ({
    unit: 'snap.microk8s.daemon-kubelite.service', ident: 'microk8s.daemon-kubelite', usec: T + i * 60_000_000,
    message: `E0601 10:3${i}:00.000000    1911 pod_workers.go:1301] "Error syncing pod, skipping" err="failed to \\"StartContainer\\" for \\"calico-node\\" with CrashLoopBackOff: \\"back-off 40s restarting failed container=calico-node pod=calico-node-r4m8t_kube-system(9a1b)\\""`,
  })));
  const tarball = path.join(d, `${top}.tar.gz`);
  execFileSync('tar', ['-czf', tarball, '-C', d, top]);
  const { code, rep } = await analyze([tarball]);
  assert.equal(code, 1);
  const loop = rep.diagnoses.find((x) => x.id === 'calico-node-crashloop');
  assert.ok(loop, JSON.stringify(rep.diagnoses.map((x) => x.id)));
  assert.ok(loop.evidence.some((e) => e.source.endsWith('system.journal')));

  const bin = path.join(d, 'bin');
  mkdirSync(bin);
  const res = await analyze([tarball], { PATH: bin });
  assert.ok(res.rep.problems.some((p) => /system\.journal: unreadable: journalctl is not installed/.test(`${p.source}: ${p.reason}`)), JSON.stringify(res.rep.problems));
  assert.equal(res.code, 2, 'nothing else found and part of the input unreadable');
});

test('strict-confinement and pre-1.21 inspect layouts are recognised too', async (t) => {
  const d = tempDir(t);
  const journal = execFileSync('tar', ['-xzOf', INSPECT, 'inspection-report/snap.microk8s.daemon-kubelite/journal.log']);
  const layouts: Record<string, string[]> = {
    strict: ['microk8s.daemon-kubelite/journal.log', 'microk8s.daemon-kubelite/snapctl.log'],
    'pre-1.21': ['snap.microk8s.daemon-kubelet/journal.log', 'snap.microk8s.daemon-proxy/journal.log', 'network/netstat'],
  };
  for (const [name, files] of Object.entries(layouts)) {
    const root = path.join(d, name, 'inspection-report');
    for (const f of files) {
      mkdirSync(path.dirname(path.join(root, f)), { recursive: true });
      execFileSync('sh', ['-c', `cat > "${path.join(root, f)}"`], { input: f.endsWith('journal.log') ? journal : 'x\n' });
    }
    const tarball = path.join(d, `inspection-report-20250526_182512-${name}.tar.gz`);
    execFileSync('tar', ['-czf', tarball, '-C', path.join(d, name), 'inspection-report']);
    const { code, rep } = await analyze([tarball]);
    assert.equal(code, 1, name);
    assert.equal(rep.inputs[0].kind, 'microk8s-inspect', name);
    assert.equal(rep.diagnoses[0].id, 'kernel-ipv6-mark-regression', name);
    assert.ok(rep.diagnoses[0].evidence.some((e) => e.source === files[0]), `${name}: evidence from ${files[0]}`);
  }
});

test('a cluster-info-dump of two nodes on different kernels: this node\'s kernel comes from its own dmesg', async (t) => {
  const d = tempDir(t);
  execFileSync('tar', ['-xzf', INSPECT, '-C', d]);
  const dump = path.join(d, 'inspection-report', 'k8s', 'cluster-info-dump');
  const text = readFileSync(dump, 'utf8');
  const end = text.indexOf('\n}\n') + 3; // the NodeList is the dump's first document
  const nodes = JSON.parse(text.slice(0, end)) as { items: { metadata: { name: string }; status: { nodeInfo: { kernelVersion: string } } }[] };
  const other = structuredClone(nodes.items[0]);
  other.metadata.name = 'node0';
  other.status.nodeInfo.kernelVersion = '6.8.0-55-generic';
  nodes.items.unshift(other); // listed first, as kubectl sorts by name
  writeFileSync(dump, JSON.stringify(nodes, null, 4) + text.slice(end - 1));
  const tarball = path.join(d, 'inspection-report-20250526_182512.tar.gz');
  execFileSync('tar', ['-czf', tarball, '-C', d, 'inspection-report']);
  const { code, rep } = await analyze([tarball]);
  assert.equal(code, 1);
  assert.deepEqual(rep.facts['kernel.release'].value, '6.8.0-57-generic');
  assert.equal(rep.facts['kernel.release'].source, 'apparmor/dmesg');
  const head = rep.diagnoses[0];
  assert.equal(head.id, 'kernel-ipv6-mark-regression');
  assert.equal(head.confidence, 1, JSON.stringify(head.factors));
  assert.ok(!head.factors.some((f) => /not on the list/.test(f.because)));
});

test('sosreport: the kernel release comes from whichever copy of the ring buffer sos kept (dmesg -T, general/dmesg, var/log/dmesg)', async (t) => {
  const d = tempDir(t);
  // the journal without its own boot lines: the ring buffer copy is the only kernel source
  const journal = execFileSync('tar', ['-xJOf', SOS, 'sosreport-node1-2025-05-26-abcdefg/sos_commands/logs/journalctl_--no-pager'])
    .toString().split('\n').filter((l) => !l.includes('Linux version')).join('\n');
  const boot = '[Mon May 26 17:52:10 2025] Linux version 6.8.0-57-generic (buildd@lcy02-amd64-039) (x86_64-linux-gnu-gcc-13 (Ubuntu 13.3.0-6ubuntu2~24.04) 13.3.0, GNU ld (GNU Binutils for Ubuntu) 2.42) #59-Ubuntu SMP PREEMPT_DYNAMIC Sat Mar 15 17:40:59 UTC 2025\n';
  for (const where of ['sos_commands/kernel/dmesg_-T', 'sos_commands/general/dmesg', 'var/log/dmesg']) {
    const name = `sosreport-node1-2025-05-26-${where.replace(/\W/g, '').slice(-7).toLowerCase().padStart(7, 'x')}`;
    const root = path.join(d, name);
    for (const [f, text] of [['sos_commands/logs/journalctl_--no-pager', journal], [where, boot], ['version.txt', 'sosreport: 4.7.2\n']] as const) {
      mkdirSync(path.dirname(path.join(root, f)), { recursive: true });
      writeFileSync(path.join(root, f), text);
    }
    const { rep } = await analyze([root]);
    assert.equal(rep.inputs[0].kind, 'sosreport', where);
    assert.deepEqual(rep.facts['kernel.release'], { value: '6.8.0-57-generic', source: where }, where);
  }
});

test('a bundle renamed on upload (case-12345.tar.xz, copied a year later) gives the report its own name gives: the year from its top directory or entries, not from the copy\'s mtime', async (t) => {
  const d = tempDir(t);
  const summary = async (file: string): Promise<string> => {
    const r = await runCli(['analyze', file, '--json']);
    assert.equal(r.code, 1, r.stderr);
    const rep = JSON.parse(r.stdout) as { diagnoses: { id: string; occurrences: number; firstSeen: string; lastSeen: string }[] };
    return JSON.stringify(rep.diagnoses.map((x) => [x.id, x.occurrences, x.firstSeen, x.lastSeen]));
  };
  const later = new Date('2026-11-20T12:00:00Z');
  // sosreport: dated top directory; inspect tarball: undated top directory, dated entries.
  for (const [orig, renamed] of [[SOS, 'case-12345-node1.tar.xz'], [INSPECT, 'node1-upload.tar.gz']] as const) {
    const copy = path.join(d, renamed);
    copyFileSync(orig, copy);
    utimesSync(copy, later, later);
    const want = await summary(orig);
    assert.match(want, /2025-05-26/);
    assert.equal(await summary(copy), want, renamed);
  }
});

test('two nodes\' bundles analyzed together: said so at the top (text, Markdown, JSON nodes), and one node\'s boot does not call the other\'s failure gone', async () => {
  const r = await runCli(['analyze', SOS, SOS_OK, '--json']);
  assert.equal(r.code, 1, r.stderr);
  const rep = JSON.parse(r.stdout) as { nodes?: string[]; diagnoses: { id: string; resolved?: unknown }[] };
  assert.deepEqual(rep.nodes, ['node1', 'node2']);
  const mark = rep.diagnoses.find((d) => d.id === 'kernel-ipv6-mark-regression');
  assert.ok(mark && !mark.resolved, `current, not gone by node2's boot: ${JSON.stringify(mark?.resolved)}`);
  const md = await runCli(['analyze', SOS, SOS_OK, '--format', 'markdown']);
  assert.match(md.stdout, /^> \*\*These inputs come from 2 nodes/m);
  // one node's two bundles (its inspect tarball and its sosreport) are one node
  const one = JSON.parse((await runCli(['analyze', SOS, INSPECT, '--json'])).stdout) as { nodes?: string[] };
  assert.equal(one.nodes, undefined);
});

test('several nodes\' bundles: each node is also reported on its own, as if analyzed alone (a node with two bundles read together; a log that names no node apart)', async () => {
  type Rep = { nodes?: string[]; diagnoses: { id: string; occurrences: number }[]; perNode?: { node: string | null; inputs: string[]; report: Rep }[] };
  const FELIX = path.join('samples', 'logs', 'calico-node-felix.log');
  const r = await runCli(['analyze', SOS, SOS_OK, INSPECT, FELIX, '--json']);
  assert.equal(r.code, 1, r.stderr);
  const rep = JSON.parse(r.stdout) as Rep;
  assert.deepEqual(rep.perNode?.map((n) => [n.node, n.inputs]), [['node1', [SOS, INSPECT]], ['node2', [SOS_OK]], [null, [FELIX]]]);
  const counts = (x: Rep): string => x.diagnoses.map((d) => `${d.id}=${d.occurrences}`).join(' ');
  const alone = async (...p: string[]): Promise<string> => counts(JSON.parse((await runCli(['analyze', ...p, '--json'])).stdout) as Rep);
  assert.equal(counts(rep.perNode![0].report), await alone(SOS, INSPECT));
  assert.equal(counts(rep.perNode![1].report), await alone(SOS_OK));
  assert.equal(counts(rep.perNode![1].report), '', 'node2 has no known failure');
  assert.equal(counts(rep.perNode![2].report), await alone(FELIX));
  assert.notEqual(counts(rep), counts(rep.perNode![0].report), 'the merged report still adds up every input');

  const text = (await runCli(['analyze', SOS, SOS_OK])).stdout;
  assert.match(text.split('\n').slice(0, 3).join(' '), /These inputs come from 2 nodes \(node1, node2\): each is reported on its own below/);
  const node2 = text.slice(text.indexOf(`Node node2 — ${SOS_OK}`));
  assert.ok(text.indexOf(`Node node1 — ${SOS}`) > 0 && node2.length < text.length, text.slice(0, 400));
  assert.match(node2, /No known failure found/);
  assert.doesNotMatch(node2, /kernel-ipv6-mark-regression/);
  const md = (await runCli(['analyze', SOS, SOS_OK, '--format', 'markdown'])).stdout;
  assert.match(md, /^# Node node2 — /m);
  assert.equal(md.match(/^# /gm)?.length, 3, 'one title, then one per node');

  // A node whose inputs include stdin cannot be read again together: merged, with the warning.
  const piped = JSON.parse((await runCli(['analyze', '-', SOS, SOS_OK, '--json'], { input: readFileSync(INSPECT) })).stdout) as Rep;
  assert.deepEqual([piped.nodes, piped.perNode], [['node1', 'node2'], undefined]);
  // The same file named twice is read once.
  assert.equal(await alone(SOS, `./${SOS}`), await alone(SOS));
});

test('a plain tarball of logs (no known layout) takes the year from its own mtime, not from its first entry\'s (an older rotated log)', async (t) => {
  const d = tempDir(t);
  const logs = path.join(d, 'logs');
  mkdirSync(logs);
  const day = new Date(Date.now() - 86_400_000); // yesterday: this year's, or last year's on Jan 1
  const mon = day.toLocaleString('en-US', { month: 'short', timeZone: 'UTC' });
  const dd = String(day.getUTCDate()).padStart(2, ' ');
  const mmdd = `${String(day.getUTCMonth() + 1).padStart(2, '0')}${String(day.getUTCDate()).padStart(2, '0')}`;
  const line = `${mon} ${dd} 18:09:40 node1 microk8s.daemon-kubelite[2187]: E${mmdd} 18:09:40.512345    2187 pod_workers.go:1301] "Error syncing pod, skipping" err="failed to \\"StartContainer\\" for \\"calico-node\\" with CrashLoopBackOff: \\"back-off 5m0s restarting failed container=calico-node pod=calico-node-x7k2p_kube-system(3f1d)\\"" pod="kube-system/calico-node-x7k2p"\n`;
  writeFileSync(path.join(logs, 'syslog.1'), 'Jan  1 00:00:00 node1 systemd[1]: Started x.\n');
  const week = new Date(Date.now() - 7 * 86_400_000);
  utimesSync(path.join(logs, 'syslog.1'), week, week);
  writeFileSync(path.join(logs, 'syslog'), line.repeat(3));
  const tgz = path.join(d, 'logs.tgz');
  execFileSync('tar', ['-czf', tgz, '-C', logs, 'syslog.1', 'syslog']);
  const r = await runCli(['analyze', tgz, '--json']);
  const rep = JSON.parse(r.stdout) as { diagnoses: { id: string; firstSeen?: string }[] };
  const crash = rep.diagnoses.find((x) => x.id === 'calico-node-crashloop');
  assert.equal(crash?.firstSeen?.slice(0, 4), String(day.getUTCFullYear()), JSON.stringify(rep.diagnoses.map((x) => [x.id, x.firstSeen])));
});
