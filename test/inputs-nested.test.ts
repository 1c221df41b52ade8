// Inputs that used to be read wrongly or not at all, without a word: a bundle inside a directory or
// inside a tar (scanned as raw tar text), .bz2 files, links and sparse entries in archives, links in
// directories, an unpacked bundle's year, a partly corrupt entry under watch --replay, pipes and
// FIFOs, .lz4 files and names with line breaks. Real tar, gzip, xz, bzip2, lz4 and mkfifo.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, cpSync, linkSync, mkdirSync, readFileSync, symlinkSync, truncateSync, utimesSync, writeFileSync, appendFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { CLI, ROOT, runCli, tempDir } from './helpers/util.js';

const BUNDLES = path.join(ROOT, 'samples', 'bundles');
const INSPECT = path.join(BUNDLES, 'inspection-report-20250526_182512.tar.gz');
const SOS = path.join(BUNDLES, 'sosreport-node1-2025-05-26-abcdefg.tar.xz');
const SOS_DIR = 'sosreport-node1-2025-05-26-abcdefg';
const FELIX = path.join(ROOT, 'samples', 'logs', 'calico-node-felix.log');

interface Rep {
  inputs: { path: string; kind: string; files: number; lines: number; bytes: number }[];
  facts: Record<string, { value: string; source: string }>;
  diagnoses: { id: string; occurrences: number; firstSeen?: string; evidence: { source: string; line: number }[] }[];
  problems: { source: string; reason: string }[];
}
const json = (stdout: string): Rep => JSON.parse(stdout) as Rep;
const counts = (r: Rep): string => r.diagnoses.map((d) => `${d.id}:${d.occurrences}`).sort().join(' ');
const factValues = (r: Rep): Record<string, string> => Object.fromEntries(Object.entries(r.facts).map(([k, v]) => [k, v.value]));

/** The journal of the sample sosreport, unpacked: journal-short lines without a year. */
function sampleJournal(d: string): string {
  mkdirSync(d, { recursive: true });
  execFileSync('tar', ['-xJf', SOS, '-C', d, `${SOS_DIR}/sos_commands/microk8s`]);
  return readFileSync(path.join(d, SOS_DIR, 'sos_commands', 'microk8s', 'journalctl_--no-pager_--unit_snap.microk8s'), 'utf8');
}

test('a bundle in a directory, or in a tar, is read as the bundle it is: the same diagnoses, facts and years as given directly', async (t) => {
  const d = tempDir(t);
  const direct = await runCli(['analyze', INSPECT, SOS, '--json']);
  assert.equal(direct.code, 1, direct.stderr);
  const want = json(direct.stdout);
  const nest = path.join(d, 'nest');
  mkdirSync(nest);
  copyFileSync(INSPECT, path.join(nest, path.basename(INSPECT)));
  copyFileSync(SOS, path.join(nest, path.basename(SOS)));
  // A copy's mtime is the day of the copy: the year must still come from the bundle's name.
  for (const f of [INSPECT, SOS]) utimesSync(path.join(nest, path.basename(f)), new Date('2027-02-01'), new Date('2027-02-01'));
  execFileSync('tar', ['-cf', path.join(d, 'nested.tar'), '-C', d, 'nest']);
  execFileSync('tar', ['-czf', path.join(d, 'nested.tgz'), '-C', d, 'nest']);
  for (const input of [nest, path.join(d, 'nested.tar'), path.join(d, 'nested.tgz')]) {
    const r = await runCli(['analyze', input, '--json']);
    assert.equal(r.code, 1, `${input}: ${r.stderr}`);
    const got = json(r.stdout);
    assert.deepEqual(got.problems, [], input);
    assert.equal(counts(got), counts(want), input);
    assert.deepEqual(got.diagnoses.map((x) => x.firstSeen), want.diagnoses.map((x) => x.firstSeen), `${input}: the years of the bundles' names`);
    assert.deepEqual(factValues(got), factValues(want), input);
    assert.equal(got.inputs[0].files, want.inputs[0].files + want.inputs[1].files, input);
    assert.equal(got.inputs[0].lines, want.inputs[0].lines + want.inputs[1].lines, `${input}: lines of the entries, not of the tar stream`);
    // Evidence names the bundle and its entry, and its line numbers are the entry's.
    const strip = (x: Rep): string[] => x.diagnoses.flatMap((g) => g.evidence.map((e) => `${e.source.replace(/^(nest\/)?(inspection-report|sosreport)-[^:]*: /, '')}#${e.line}`));
    assert.ok(got.diagnoses.every((g) => g.evidence.every((e) => /^(nest\/)?(inspection-report-20250526_182512\.tar\.gz|sosreport-node1-2025-05-26-abcdefg\.tar\.xz): /.test(e.source))), input);
    // In the same order (a directory is read sorted; a tar in its own order picks other first copies).
    if (input === nest) assert.deepEqual(strip(got), strip(want), input);
  }
  // Three levels deep is not read, and said so (never scanned as text).
  const deep = path.join(d, 'deep');
  mkdirSync(deep);
  copyFileSync(path.join(d, 'nested.tgz'), path.join(deep, 'nested.tgz'));
  execFileSync('tar', ['-czf', path.join(d, 'deep.tgz'), '-C', d, 'deep']);
  const r = await runCli(['analyze', path.join(d, 'deep.tgz'), '--json']);
  assert.equal(r.code, 2, r.stdout);
  const rep = json(r.stdout);
  assert.deepEqual(rep.diagnoses, []);
  assert.ok(rep.problems.some((p) => p.reason === `deep/nested.tgz: nest/${path.basename(SOS)}: not read: a bundle inside a bundle inside a bundle: extract it and analyze it directly`), JSON.stringify(rep.problems));
});

test('.bz2 and .tar.bz2 are read through the bzip2 program', async (t) => {
  const d = tempDir(t);
  const want = json((await runCli(['analyze', FELIX, '--json'])).stdout);
  const log = path.join(d, 'calico-node.log');
  copyFileSync(FELIX, log);
  execFileSync('bzip2', ['-k', log]);
  mkdirSync(path.join(d, 'logs'));
  copyFileSync(FELIX, path.join(d, 'logs', 'calico-node.log'));
  execFileSync('tar', ['-cjf', path.join(d, 'logs.tar.bz2'), '-C', d, 'logs']);
  for (const input of [`${log}.bz2`, path.join(d, 'logs.tar.bz2')]) {
    const r = await runCli(['analyze', input, '--json']);
    assert.equal(r.code, 1, `${input}: ${r.stderr}`);
    const rep = json(r.stdout);
    assert.equal(counts(rep), counts(want), input);
    assert.equal(rep.inputs[0].lines, want.inputs[0].lines, input);
  }
});

test('links and sparse entries in an archive are read, or named as not read; never a silent all-clear', async (t) => {
  const d = tempDir(t);
  const journal = sampleJournal(path.join(d, 'x'));
  const want = json((await runCli(['analyze', path.join(d, 'x', SOS_DIR, 'sos_commands', 'microk8s', 'journalctl_--no-pager_--unit_snap.microk8s'), '--json'])).stdout);
  assert.ok(want.diagnoses.length > 0);
  const tree = path.join(d, 'tree');
  const s = path.join(tree, SOS_DIR);
  mkdirSync(path.join(s, 'sos_commands', 'logs'), { recursive: true });
  mkdirSync(path.join(s, 'var', 'log'), { recursive: true });
  writeFileSync(path.join(s, 'version.txt'), 'sosreport: 4.5.6\n');
  writeFileSync(path.join(s, 'journal-copy'), journal);
  const log = path.join(s, 'sos_commands', 'logs', 'journalctl_--no-pager');
  const tarOf = async (name: string, members: string[]): Promise<{ code: number | null; rep: Rep }> => {
    const f = path.join(d, name);
    execFileSync('tar', ['-czf', f, '-C', tree, ...members.map((m) => `${SOS_DIR}/${m}`)]);
    const r = await runCli(['analyze', f, '--json']);
    return { code: r.code, rep: json(r.stdout) };
  };

  // A hard link holds no data: tar stored it under the earlier name, which is no log's.
  linkSync(path.join(s, 'journal-copy'), log);
  const hard = await tarOf('hard.tgz', ['journal-copy', 'sos_commands', 'version.txt']);
  assert.equal(hard.code, 2);
  assert.ok(hard.rep.problems.some((p) => p.reason === 'sos_commands/logs/journalctl_--no-pager: not read: a hard link to journal-copy, which came earlier in the archive and was not read as a log (its name is not one): extract the archive and analyze the directory'), JSON.stringify(hard.rep.problems));

  // A symbolic link with a log name, whose target comes later: read from the target, under the link's name.
  execFileSync('rm', [log]);
  symlinkSync('../../journal-copy', log);
  symlinkSync('../../no-such-file', path.join(s, 'var', 'log', 'syslog'));
  const sym = await tarOf('sym.tgz', ['sos_commands', 'var', 'journal-copy', 'version.txt']);
  assert.equal(sym.code, 1);
  assert.equal(counts(sym.rep), counts(want));
  assert.ok(sym.rep.diagnoses[0].evidence.every((e) => e.source === 'sos_commands/logs/journalctl_--no-pager'), JSON.stringify(sym.rep.diagnoses[0].evidence));
  assert.ok(sym.rep.problems.some((p) => p.reason === 'var/log/syslog: not read: a symbolic link to no-such-file, which is not in the archive'), JSON.stringify(sym.rep.problems));
  // The same link after its target: named, as the hard link is.
  const symAfter = await tarOf('sym-after.tgz', ['journal-copy', 'sos_commands', 'version.txt']);
  assert.equal(symAfter.code, 2);
  assert.ok(symAfter.rep.problems.some((p) => /^sos_commands\/logs\/journalctl_--no-pager: not read: a symbolic link to journal-copy, which came earlier/.test(p.reason)), JSON.stringify(symAfter.rep.problems));

  // Sparse files: GNU ('S' entries) and PAX 0.1 and 1.0 formats; the data regions are the log.
  const sp = path.join(d, 'sparse');
  mkdirSync(path.join(sp, 'var', 'log'), { recursive: true });
  const syslog = path.join(sp, 'var', 'log', 'syslog');
  writeFileSync(syslog, '');
  truncateSync(syslog, 50 * 1024 * 1024);
  appendFileSync(syslog, readFileSync(FELIX));
  const felix = json((await runCli(['analyze', FELIX, '--json'])).stdout);
  for (const fmt of [['--format=gnu'], ['--format=posix', '--sparse-version=0.1'], ['--format=posix', '--sparse-version=1.0']]) {
    const f = path.join(d, 'sparse.tgz');
    execFileSync('tar', ['--sparse', ...fmt, '-czf', f, '-C', sp, 'var']);
    const r = await runCli(['analyze', f, '--json']);
    assert.equal(r.code, 1, `${fmt.join(' ')}: ${r.stdout}`);
    const rep = json(r.stdout);
    assert.equal(counts(rep), counts(felix), fmt.join(' '));
    assert.equal(rep.inputs[0].lines, felix.inputs[0].lines, fmt.join(' '));
    assert.equal(rep.diagnoses[0].evidence[0].source, 'var/log/syslog', fmt.join(' '));
  }
});

test('in a directory, links to files inside it are read; links that leave it are named and not followed', async (t) => {
  const d = tempDir(t);
  const felix = json((await runCli(['analyze', FELIX, '--json'])).stdout);
  const logs = path.join(d, 'var', 'log');
  mkdirSync(path.join(logs, 'pods', 'kube-system_calico-node-x', 'calico-node'), { recursive: true });
  mkdirSync(path.join(logs, 'containers'));
  copyFileSync(FELIX, path.join(logs, 'pods', 'kube-system_calico-node-x', 'calico-node', '0.log'));
  symlinkSync('../pods/kube-system_calico-node-x/calico-node/0.log', path.join(logs, 'containers', 'calico-node-x_kube-system_calico-node-abc.log'));
  // The whole /var/log: the link's target is read once, under its own name.
  const all = await runCli(['analyze', logs, '--json']);
  assert.equal(all.code, 1, all.stderr);
  assert.equal(counts(json(all.stdout)), counts(felix));
  assert.equal(json(all.stdout).inputs[0].files, 1);
  // Only the containers directory: its links leave it, so nothing is read, and it says why.
  const only = await runCli(['analyze', path.join(logs, 'containers'), '--json']);
  assert.equal(only.code, 2);
  assert.ok(json(only.stdout).problems.some((p) => /^did not follow 1 symbolic link pointing outside the directory/.test(p.reason)), only.stdout);
  // An unpacked sosreport whose var/log/syslog links to a file inside it that is no log by its name.
  const sos = path.join(d, SOS_DIR);
  mkdirSync(path.join(sos, 'sos_commands', 'logs'), { recursive: true });
  mkdirSync(path.join(sos, 'var', 'log'), { recursive: true });
  writeFileSync(path.join(sos, 'version.txt'), 'sosreport: 4.5.6\n');
  copyFileSync(FELIX, path.join(sos, 'felix-copy'));
  symlinkSync('../../felix-copy', path.join(sos, 'var', 'log', 'syslog'));
  const r = await runCli(['analyze', sos, '--json']);
  assert.equal(r.code, 1, r.stdout);
  assert.equal(counts(json(r.stdout)), counts(felix), 'the link var/log/syslog is read, its target is no log by the sosreport layout');
});

test('an unpacked sosreport takes its year from its name, not from the copy\'s mtimes', async (t) => {
  const d = tempDir(t);
  sampleJournal(d);
  const tree = path.join(d, SOS_DIR);
  writeFileSync(path.join(tree, 'version.txt'), 'sosreport: 4.5.6\n');
  // A copy made in 2027: mtimes are the copy's.
  const copy = path.join(d, 'copy', SOS_DIR);
  cpSync(tree, copy, { recursive: true });
  const later = new Date('2027-01-15T00:00:00Z');
  utimesSync(path.join(copy, 'sos_commands', 'microk8s', 'journalctl_--no-pager_--unit_snap.microk8s'), later, later);
  for (const input of [copy, path.dirname(copy)]) {
    const r = await runCli(['analyze', input, '--json']);
    assert.equal(r.code, 1, r.stderr);
    const rep = json(r.stdout);
    assert.equal(rep.inputs[0].kind, 'sosreport');
    assert.ok(rep.diagnoses.length > 0);
    for (const x of rep.diagnoses) assert.match(x.firstSeen ?? '', /^2025-05-26T/, `${input}: ${x.id}`);
  }
});

test('watch --replay reads the readable part of a partly corrupt entry, as analyze does', async (t) => {
  const d = tempDir(t);
  const s = path.join(d, SOS_DIR);
  mkdirSync(path.join(s, 'var', 'log'), { recursive: true });
  writeFileSync(path.join(s, 'version.txt'), 'sosreport: 4.5.6\n');
  copyFileSync(FELIX, path.join(s, 'var', 'log', 'syslog'));
  for (const n of [2, 3]) {
    copyFileSync(FELIX, path.join(s, 'var', 'log', `syslog.${n}`));
    execFileSync('gzip', ['-f', path.join(s, 'var', 'log', `syslog.${n}`)]);
  }
  const bad = path.join(s, 'var', 'log', 'syslog.2.gz');
  const b = readFileSync(bad);
  for (let i = 5000; i < 5100; i++) b[i] ^= 0xff;
  writeFileSync(bad, b);
  truncateSync(path.join(s, 'var', 'log', 'syslog.3.gz'), 3000);
  const tarball = path.join(d, `${SOS_DIR}.tar.gz`);
  execFileSync('tar', ['-czf', tarball, '-C', d, SOS_DIR]);
  const a = await runCli(['analyze', tarball, '--json']);
  const rep = json(a.stdout);
  assert.ok(rep.inputs[0].lines > 340, 'analyze reads past the whole syslog into the damaged copies');
  const w = await runCli(['watch', '--json', '--no-tui', '--replay', tarball, '--speed', '0']);
  const events = w.stdout.trim().split('\n').map((l) => JSON.parse(l) as { type: string; lines?: number; diagnosis?: { id: string; occurrences: number }; message?: string });
  const stats = events.filter((e) => e.type === 'stats').pop()!;
  assert.equal(stats.lines, rep.inputs[0].lines, 'the same lines as analyze');
  const last = new Map<string, number>();
  for (const e of events) if (e.type === 'diagnosis') last.set(e.diagnosis!.id, e.diagnosis!.occurrences);
  assert.equal([...last].map(([id, n]) => `${id}:${n}`).sort().join(' '), counts(rep));
  assert.equal(events.filter((e) => e.type === 'problem' && /syslog\.[23]\.gz: cut short/.test(e.message!)).length, 2, w.stdout);
  assert.doesNotMatch(w.stderr, /\n\s+at /, 'no stack trace');
});

test('a pipe (process substitution, a FIFO) is read like stdin', async (t) => {
  const d = tempDir(t);
  const want = json((await runCli(['analyze', FELIX, '--json'])).stdout);
  execFileSync('sh', ['-c', `gzip -c '${FELIX}' > '${d}/felix.log.gz'`]);
  const bash = spawnSync('bash', ['-c', `'${process.execPath}' '${CLI}' analyze <(zcat '${d}/felix.log.gz') --json`], { encoding: 'utf8', timeout: 60_000 });
  assert.equal(bash.status, 1, bash.stderr);
  assert.equal(counts(json(bash.stdout)), counts(want));
  assert.equal(json(bash.stdout).inputs[0].lines, want.inputs[0].lines);
  // A named FIFO, fed compressed by a writer that starts first and blocks until it is opened.
  const fifo = path.join(d, 'fifo');
  execFileSync('mkfifo', [fifo]);
  const writer = spawn('sh', ['-c', `cat '${d}/felix.log.gz' > '${fifo}'`], { stdio: 'ignore' });
  t.after(() => writer.kill('SIGKILL')); // a writer still waiting for a reader must not outlive the test
  const r = await runCli(['analyze', fifo, '--json']);
  assert.equal(r.code, 1, r.stderr);
  assert.equal(counts(json(r.stdout)), counts(want));
});

test('.lz4 is named as lz4, and names with line breaks are named as not read', async (t) => {
  const d = tempDir(t);
  const lz = path.join(d, 'felix.log.lz4');
  execFileSync('lz4', ['-q', FELIX, lz]);
  const r = await runCli(['analyze', lz]);
  assert.equal(r.code, 2);
  assert.equal(r.stderr, `cni-doctor: ${lz}: lz4 compressed: not supported (decompress it with lz4 -d first)\n`);

  const dir = path.join(d, 'logs');
  mkdirSync(dir);
  copyFileSync(FELIX, path.join(dir, 'felix\n.log'));
  copyFileSync(FELIX, path.join(dir, 'felix\r.log'));
  execFileSync('tar', ['-czf', path.join(d, 'logs.tgz'), '-C', d, 'logs']);
  for (const [input, prefix] of [[dir, ''], [path.join(d, 'logs.tgz'), 'logs/']]) {
    const res = await runCli(['analyze', input, '--json']);
    assert.equal(res.code, 2, `${input}: ${res.stdout}`);
    const rep = json(res.stdout);
    for (const n of ['felix\n.log', 'felix\r.log']) {
      assert.ok(rep.problems.some((p) => p.reason === `${JSON.stringify(prefix + n)}: not read: its name holds a line break`), `${input}: ${JSON.stringify(rep.problems)}`);
    }
  }
});

test('review fixes: a corrupt compressed entry does not stop the archive; a tar under a plain .gz name is said, not scanned as text', async (t) => {
  const d = tempDir(t);
  // (1) gunzip fails mid-entry: the next entry is still read, the failure named (the run exited 13, silent)
  const logs = path.join(d, 'logs');
  mkdirSync(logs);
  writeFileSync(path.join(logs, 'a.log.gz'), Buffer.concat([execFileSync('sh', ['-c', 'seq 1 20000 | gzip']).subarray(0, 3000), randomBytes(5_000_000)]));
  copyFileSync(FELIX, path.join(logs, 'b.log'));
  const tar = path.join(d, 'c.tar');
  execFileSync('tar', ['-cf', tar, '-C', d, 'logs/a.log.gz', 'logs/b.log']);
  const r = await runCli(['analyze', tar, '--json']);
  assert.equal(r.code, 1, r.stderr);
  const rep = json(r.stdout);
  assert.ok(rep.diagnoses.some((x) => x.id === 'kernel-ipv6-mark-regression'), 'b.log after the corrupt entry was read');
  assert.ok(rep.problems.some((p) => /logs\/a\.log\.gz: cut short/.test(`${p.source}: ${p.reason}`)), JSON.stringify(rep.problems));
  // (2) a gzipped inspect tarball renamed node1-upload.gz, in a directory
  const up = path.join(d, 'uploads');
  mkdirSync(up);
  copyFileSync(INSPECT, path.join(up, 'node1-upload.gz'));
  const u = await runCli(['analyze', up, '--json']);
  assert.equal(u.code, 2, u.stdout);
  assert.ok(json(u.stdout).problems.some((p) => /node1-upload\.gz: unreadable: a tar archive under a name that is not a bundle's: rename it \(e\.g\. node1-upload\.tar\.gz\)/.test(`${p.source}: ${p.reason}`)), u.stdout);
});

test('review fixes: a subdirectory that cannot be listed is named, and the read counts as partial', async (t) => {
  const d = tempDir(t);
  const logs = path.join(d, 'logs');
  mkdirSync(path.join(logs, 'locked'), { recursive: true });
  writeFileSync(path.join(logs, 'quiet.log'), '2025-05-26 18:05:02.000 [INFO][83] felix/health.go 336: Overall health status changed: live=true ready=true\n');
  copyFileSync(FELIX, path.join(logs, 'locked', 'felix.log'));
  chmodSync(path.join(logs, 'locked'), 0);
  const r = await runCli(['analyze', logs, '--json'], { unprivileged: true });
  chmodSync(path.join(logs, 'locked'), 0o755);
  assert.equal(r.code, 2, r.stdout);
  assert.ok(json(r.stdout).problems.some((p) => p.reason === 'locked (EACCES): not read: a directory that cannot be listed (run as a user who can read it)'), r.stdout);
});
