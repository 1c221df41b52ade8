import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { patternExamples, runCli, tempDir } from './helpers/util.js';

const headline = patternExamples('kernel/kernel-ipv6-mark-regression.yaml');
// the first two felix examples: the legacy and the nf_tables wording, 5 ms apart
const FELIX = headline.positive.filter((e) => e.format === 'felix').slice(0, 2).map((e) => e.text).join('\n') + '\n';
const KLOG_JOURNAL = headline.positive.find((e) => e.format === 'journal')!.text + '\n';
const HEALTHY = [
  '2025-05-26 18:05:01.100 [INFO][83] felix/table.go 1280: Applying rule update -A cali-PREROUTING -j MARK --set-mark 0x0/0x30000 ipVersion=0x6 table="mangle"',
  '2025-05-26 18:05:02.000 [INFO][83] felix/health.go 336: Overall health status changed: live=true ready=true',
].join('\n') + '\n';

interface Report {
  tool: { name: string; version: string };
  inputs: { path: string; kind: string; files: number; lines: number; bytes: number }[];
  facts: Record<string, { value: string; source: string }>;
  diagnoses: { id: string; title: string; severity: string; confidence: number; summary: string; rootCause: string; remediation: string[]; references: string[]; occurrences: number; firstSeen?: string; lastSeen?: string; evidence: { source: string; line: number; time?: string; text: string }[] }[];
  timeline: { time?: string; kind: string; text: string; source: string }[];
}

test('analyze a felix log --json: the contract of the team design (../shared/DESIGN.md)', async (t) => {
  const d = tempDir(t);
  const f = path.join(d, 'calico-node.log');
  writeFileSync(f, FELIX);
  const r = await runCli(['analyze', f, '--json']);
  assert.equal(r.code, 1);
  const rep = JSON.parse(r.stdout) as Report;
  assert.equal(rep.tool.name, 'cni-doctor');
  assert.deepEqual(rep.inputs, [{ path: f, kind: 'file', files: 1, lines: 2, bytes: Buffer.byteLength(FELIX) }]);
  const top = rep.diagnoses[0];
  assert.equal(top.id, 'kernel-ipv6-mark-regression');
  assert.equal(top.severity, 'critical');
  assert.equal(top.occurrences, 2);
  assert.equal(top.firstSeen, '2025-05-26T18:07:12.345Z');
  assert.equal(top.lastSeen, '2025-05-26T18:07:12.350Z');
  for (const k of ['title', 'summary', 'rootCause'] as const) assert.ok(top[k].length > 20, k);
  assert.ok(top.remediation.length >= 3);
  assert.ok(top.references.every((u) => u.startsWith('https://')));
  assert.deepEqual(top.evidence.map((e) => [e.source, e.line]), [[f, 1], [f, 2]]);
  assert.match(top.evidence[0].text, /unknown option \\"--set-mark\\"/);
  assert.equal(rep.facts['iptables.mode'].value, 'nf_tables', 'the later of two equally trusted sources');
  assert.ok(rep.timeline.some((e) => e.kind === 'first-seen'));
});

test('the same failure wrapped as journal, CRI and klog blocks is found too', async (t) => {
  const d = tempDir(t);
  const files: Record<string, string> = {
    'kubelite.log': KLOG_JOURNAL,
    'kube-proxy.log': headline.positive.find((e) => e.format === 'klog')!.text,
    '0.log': headline.positive.find((e) => e.format === 'cri')!.text + '\n',
  };
  for (const [n, text] of Object.entries(files)) {
    writeFileSync(path.join(d, n), text);
    const r = await runCli(['analyze', path.join(d, n), '--json']);
    assert.equal(r.code, 1, n);
    assert.equal((JSON.parse(r.stdout) as Report).diagnoses[0].id, 'kernel-ipv6-mark-regression', n);
  }
});

test('healthy logs: exit 0 and no diagnosis', async (t) => {
  const d = tempDir(t);
  writeFileSync(path.join(d, 'felix.log'), HEALTHY);
  const r = await runCli(['analyze', path.join(d, 'felix.log'), '--json']);
  assert.equal(r.code, 0);
  assert.deepEqual((JSON.parse(r.stdout) as Report).diagnoses, []);
  const txt = await runCli(['analyze', path.join(d, 'felix.log')]);
  assert.match(txt.stdout, /No known failure found/);
});

test('compressed files (real gzip, xz, zstd) are read as streams', async (t) => {
  const d = tempDir(t);
  const plain = path.join(d, 'felix.log');
  writeFileSync(plain, FELIX);
  for (const [tool, ext] of [['gzip', 'gz'], ['xz', 'xz'], ['zstd', 'zst']] as const) {
    const out = `${plain}.${ext}`;
    execFileSync('sh', ['-c', `${tool} -c "${plain}" > "${out}"`]);
    const r = await runCli(['analyze', out, '--json']);
    assert.equal(r.code, 1, `${ext}: ${r.stderr}`);
    const rep = JSON.parse(r.stdout) as Report;
    assert.equal(rep.diagnoses[0].occurrences, 2, ext);
    assert.equal(rep.inputs[0].bytes, Buffer.byteLength(FELIX), `${ext}: bytes are decompressed bytes`);
  }
});

test('a directory is searched recursively; binary files are skipped and said so', async (t) => {
  const d = tempDir(t);
  mkdirSync(path.join(d, 'pods/kube-system_calico-node-x7k2p_uid/calico-node'), { recursive: true });
  writeFileSync(path.join(d, 'pods/kube-system_calico-node-x7k2p_uid/calico-node/3.log'), headline.positive.find((e) => e.format === 'cri')!.text + '\n');
  writeFileSync(path.join(d, 'syslog'), KLOG_JOURNAL);
  writeFileSync(path.join(d, 'core.bin'), Buffer.from([0, 1, 2, 3, 0, 0]));
  const r = await runCli(['analyze', d, '--json']);
  assert.equal(r.code, 1);
  const rep = JSON.parse(r.stdout) as Report;
  assert.equal(rep.inputs[0].kind, 'directory');
  assert.equal(rep.inputs[0].files, 2);
  assert.equal(rep.diagnoses[0].occurrences, 2);
  assert.match(r.stderr, /skipped 1 binary file \(core\.bin\)/);
});

test('stdin with -', async () => {
  const r = await runCli(['analyze', '-', '--json'], { input: FELIX });
  assert.equal(r.code, 1);
  const rep = JSON.parse(r.stdout) as Report;
  assert.equal(rep.inputs[0].kind, 'stdin');
  assert.equal(rep.diagnoses[0].evidence[0].source, 'stdin');
});

test('an unreadable file is named on stderr and in the report; the rest is analyzed', async (t) => {
  const d = tempDir(t);
  const good = path.join(d, 'felix.log');
  writeFileSync(good, FELIX);
  const missing = path.join(d, 'nope.log');
  const r = await runCli(['analyze', missing, good, '--json']);
  assert.equal(r.code, 1, 'a diagnosis was still found');
  assert.match(r.stderr, new RegExp(`${missing}: no such file or directory`));
  const rep = JSON.parse(r.stdout) as Report & { problems: { source: string; reason: string }[] };
  assert.equal(rep.diagnoses[0].id, 'kernel-ipv6-mark-regression');
  assert.deepEqual(rep.problems, [{ source: missing, reason: 'no such file or directory' }]);
  // The inputs are the ones asked for, with nothing read from the missing one.
  assert.deepEqual(rep.inputs.map((i) => [i.path, i.files, i.lines]), [[missing, 0, 0], [good, 1, 2]]);
});

test('with no diagnosis, the verdict says what was read: nothing, part, or all of it', async (t) => {
  const d = tempDir(t);
  const healthy = path.join(d, 'healthy.log');
  writeFileSync(healthy, HEALTHY);
  const missing = path.join(d, 'nope.log');
  const text = async (args: string[]): Promise<string> => (await runCli(['analyze', ...args])).stdout;
  assert.match(await text([missing]), /Nothing could be read, so nothing could be diagnosed/);
  assert.doesNotMatch(await text([missing]), /No known failure/);
  assert.match(await text([missing, healthy]), /No known failure found in what could be read/);
  assert.match(await text([healthy]), /No known failure found in these logs\./);
  // an empty log is read (exit 0), and the verdict says nothing was there to diagnose
  const empty = path.join(d, 'empty.log');
  writeFileSync(empty, '');
  assert.match(await text([empty]), /No known failure found: no log line was read, so there was nothing to diagnose\./);
  assert.match(await text([missing, '--format', 'markdown']), /\*\*Nothing could be read/);
});

test('exit 2: nothing readable, binary input, unreadable permissions, usage errors', async (t) => {
  const d = tempDir(t);
  const r1 = await runCli(['analyze', path.join(d, 'missing.log')]);
  assert.equal(r1.code, 2);
  assert.equal(r1.stderr.trim().split('\n').length, 1);
  const bin = path.join(d, 'x.bin');
  writeFileSync(bin, Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0, 0, 0, 1]));
  const r2 = await runCli(['analyze', bin]);
  assert.equal(r2.code, 2);
  assert.match(r2.stderr, /x\.bin: binary data: not a log file/);
  const garbage = path.join(d, 'broken.log.gz');
  writeFileSync(garbage, Buffer.concat([Buffer.from([0x1f, 0x8b, 8, 0]), Buffer.alloc(40, 7)]));
  const r3 = await runCli(['analyze', garbage]);
  assert.equal(r3.code, 2);
  assert.match(r3.stderr, /broken\.log\.gz: /);
  const locked = path.join(d, 'locked.log');
  writeFileSync(locked, FELIX);
  chmodSync(locked, 0);
  const r4 = await runCli(['analyze', locked], { unprivileged: true });
  assert.equal(r4.code, 2);
  assert.match(r4.stderr, /locked\.log: permission denied \(run as a user who can read it\)/);
  const r5 = await runCli(['analyze']);
  assert.equal(r5.code, 2);
  const r6 = await runCli(['analyze', '--format', 'yaml', 'x']);
  assert.equal(r6.code, 2);
  // A limit of 0 read as "no limit"; --json beside another --format silently won.
  for (const args of [['--max-entry-bytes', '0'], ['--max-total-bytes', '0K'], ['--json', '--format', 'markdown']]) {
    const r = await runCli(['analyze', ...args, locked]);
    assert.equal(r.code, 2, args.join(' '));
    assert.match(r.stderr, /^cni-doctor: (a size limit must be at least 1 byte|--json and --format markdown ask for two reports)/, r.stderr);
    assert.equal(r.stdout, '');
  }
  assert.doesNotMatch(r1.stderr + r2.stderr + r3.stderr + r5.stderr + r6.stderr, /\n\s+at /, 'no stack traces');
});

test('markdown report for a ticket', async (t) => {
  const d = tempDir(t);
  writeFileSync(path.join(d, 'felix.log'), FELIX);
  const r = await runCli(['analyze', path.join(d, 'felix.log'), '--format', 'markdown']);
  assert.equal(r.code, 1);
  assert.match(r.stdout, /^# cni-doctor report/);
  assert.match(r.stdout, /## CRITICAL: Kernel IPv6 MARK target broken/);
  assert.match(r.stdout, /\*\*Root cause\.\*\* A kernel bug/);
  assert.match(r.stdout, /\*\*Not the cause\.\*\* The popular explanation/);
  assert.match(r.stdout, /```+\n2025-05-26 18:07:12\.345 \[WARNING\]/);
  assert.match(r.stdout, /```+\n\s*uname -r\n/);
});

test('text report: colour only on request, NO_COLOR honoured', async (t) => {
  const d = tempDir(t);
  writeFileSync(path.join(d, 'felix.log'), FELIX);
  const plain = await runCli(['analyze', path.join(d, 'felix.log')]);
  assert.doesNotMatch(plain.stdout, /\x1b\[/);
  assert.match(plain.stdout, /CRITICAL kernel-ipv6-mark-regression/);
  assert.match(plain.stdout, /Not the cause/);
  const colour = await runCli(['analyze', path.join(d, 'felix.log')], { env: { NO_COLOR: '', FORCE_COLOR: '1' } });
  assert.match(colour.stdout, /\x1b\[/);
});

test('a directory that cannot be read says so (it read as "no log files found in it")', async (t) => {
  const d = tempDir(t);
  const locked = path.join(d, 'logs');
  mkdirSync(locked);
  writeFileSync(path.join(locked, 'felix.log'), FELIX);
  chmodSync(locked, 0);
  const r = await runCli(['analyze', locked, '--json'], { unprivileged: true });
  chmodSync(locked, 0o755);
  assert.equal(r.code, 2);
  assert.equal(r.stderr, `cni-doctor: ${locked}: permission denied (run as a user who can read it)\n`);
  assert.deepEqual(JSON.parse(r.stdout).inputs, [{ path: locked, kind: 'directory', files: 0, lines: 0, bytes: 0 }]);
});

test('a large compressed input gets the allocator tuned for streaming (glibc); a plain log, a small .gz or CNI_DOCTOR_NO_MALLOC_TUNE=1 do not', async (t) => {
  // Not a skip: this is glibc (Debian), as in CI; elsewhere `tuned` would say "no glibc".
  const d = tempDir(t);
  const small = path.join(d, 'small.log');
  writeFileSync(small, FELIX);
  const smallGz = path.join(d, 'small.log.gz');
  writeFileSync(smallGz, gzipSync(FELIX));
  // 17 MiB of lines that do not compress much (request ids), then the failure: ~9 MiB gzipped.
  const lines: string[] = [];
  for (let n = 0; n < (17 << 20); ) {
    const l = `May 26 18:00:00 node-3 microk8s.daemon-kubelite[99]: I0526 18:00:00.000000 99 kubelet.go:2468] "SyncLoop (probe)" request="${randomBytes(48).toString('hex')}"\n`;
    lines.push(l);
    n += l.length;
  }
  const text = lines.join('') + FELIX;
  const plain = path.join(d, 'big.log');
  writeFileSync(plain, text);
  const gz = path.join(d, 'big.log.gz');
  writeFileSync(gz, gzipSync(text, { level: 1 }));
  const env = { CNI_DOCTOR_DEBUG: 'alloc', CNI_DOCTOR_NO_MALLOC_TUNE: '' };
  const tuned = await runCli(['analyze', gz, '--json'], { env });
  assert.match(tuned.stderr, /glibc allocator tuned \(about 16 MiB or more to decompress or untar\)/);
  const untuned = await runCli(['analyze', gz, '--json'], { env: { ...env, CNI_DOCTOR_NO_MALLOC_TUNE: '1' } });
  assert.match(untuned.stderr, /allocator not tuned .*turned off/);
  assert.equal(tuned.code, 1);
  assert.equal(tuned.stdout, untuned.stdout);
  for (const f of [plain, small, smallGz]) {
    const r = await runCli(['analyze', f, '--json'], { env });
    assert.match(r.stderr, /allocator not tuned \(less than 16 MiB to decompress or untar\)/, f);
    assert.equal(r.code, 1);
  }
  // a pipe: its size unknown
  const piped = await runCli(['analyze', '-', '--json'], { env, input: FELIX });
  assert.match(piped.stderr, /allocator tuned \(- is a pipe\)/);
});

test('--help of analyze and watch lists the exit codes; the size limits show their defaults and form', async () => {
  for (const cmd of ['analyze', 'watch']) {
    const r = await runCli([cmd, '--help']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /Exit codes:\n  0 .*\n  1 .*warning or worse\n  2 .*not read/, cmd);
  }
  const a = (await runCli(['analyze', '--help'])).stdout.replace(/\s+/g, ' ');
  assert.match(a, /--max-entry-bytes <size> .*512M or 4G \(default: 2G\)/);
  assert.match(a, /--max-total-bytes <size> .*\(default: 32G\)/);
});
