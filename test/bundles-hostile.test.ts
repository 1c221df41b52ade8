// Hostile and broken archives, made by real tar: nothing outside the bundle is read or written, a cut
// archive gives a partial report that says so, garbage is one line and exit 2, bombs are bounded.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, execSync } from 'node:child_process';
import { mkdirSync, readFileSync, statSync, symlinkSync, truncateSync, writeFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { patternExamples, ROOT, runCli, tempDir } from './helpers/util.js';

const KLOG_JOURNAL = patternExamples('kernel/kernel-ipv6-mark-regression.yaml').positive.find((e) => e.format === 'journal')!.text + '\n';
const BACKOFF = patternExamples('calico/calico-node-crashloop.yaml').positive.find((e) => e.format === 'journal')!.text + '\n';

function inspectTree(root: string, journal = KLOG_JOURNAL): string {
  const r = path.join(root, 'inspection-report');
  mkdirSync(path.join(r, 'snap.microk8s.daemon-kubelite'), { recursive: true });
  mkdirSync(path.join(r, 'args'), { recursive: true });
  writeFileSync(path.join(r, 'snap.microk8s.daemon-kubelite', 'journal.log'), journal);
  writeFileSync(path.join(r, 'args', 'cni-env'), 'IPv6_SUPPORT=true\n');
  return r;
}

interface Rep { inputs: { kind: string; files: number }[]; diagnoses: { id: string; occurrences: number; evidence: { source: string }[] }[]; problems: { source: string; reason: string }[]; facts: Record<string, { value: string; source: string }> }

test('entries with .. or absolute paths are ignored, and the report says so', async (t) => {
  const d = tempDir(t);
  inspectTree(d);
  writeFileSync(path.join(d, 'extra.log'), BACKOFF);
  const tarball = path.join(d, 'inspection-report-20250526_182512.tar.gz');
  execFileSync('tar', ['-P', '-czf', tarball, '-C', d,
    '--transform', 's,^extra.log,../../escape.log,', 'inspection-report', 'extra.log']);
  const listing = execFileSync('tar', ['-tzf', tarball], { encoding: 'utf8' });
  assert.match(listing, /^\.\.\/\.\.\/escape\.log$/m, 'the archive really holds a traversal entry');
  const r = await runCli(['analyze', tarball, '--json']);
  assert.equal(r.code, 1);
  const rep = JSON.parse(r.stdout) as Rep;
  assert.equal(rep.inputs[0].kind, 'microk8s-inspect');
  assert.deepEqual(rep.diagnoses.map((x) => x.id), ['kernel-ipv6-mark-regression'], 'the escaping entry was not read');
  assert.ok(rep.problems.some((p) => /ignored 1 entry with a path outside the bundle \(\.\.\/\.\.\/escape\.log\)/.test(p.reason)), JSON.stringify(rep.problems));
  assert.equal(rep.facts['ipv6.enabled']?.value, 'true');
  assert.equal(rep.facts['ipv6.enabled']?.source, 'args/cni-env');

  const abs = path.join(d, 'abs.tar');
  execFileSync('tar', ['-P', '-cf', abs, '-C', d, '--transform', 's,^extra.log,/etc/cni-doctor-evil.log,', 'extra.log']);
  const r2 = await runCli(['analyze', abs, '--json']);
  const rep2 = JSON.parse(r2.stdout) as Rep;
  assert.equal(rep2.diagnoses.length, 0);
  assert.ok(rep2.problems.some((p) => /path outside the bundle \(\/etc\/cni-doctor-evil\.log\)/.test(p.reason)));
  assert.ok(!existsSync('/etc/cni-doctor-evil.log'));
});

test('links pointing outside are never followed, in archives or unpacked directories', async (t) => {
  const d = tempDir(t);
  const outside = path.join(d, 'outside-secret.log');
  writeFileSync(outside, BACKOFF);
  const r = inspectTree(path.join(d, 'b'), 'May 26 18:00:00 node1 systemd[1]: Started snap.microk8s.daemon-kubelite.service.\n');
  symlinkSync(outside, path.join(r, 'snap.microk8s.daemon-kubelite', 'kubelet.log'));
  mkdirSync(path.join(r, 'snap.microk8s.daemon-containerd'));
  symlinkSync(outside, path.join(r, 'snap.microk8s.daemon-containerd', 'journal.log'));
  const tarball = path.join(d, 'inspection-report-20250526_182512.tar.gz');
  execFileSync('tar', ['-czf', tarball, '-C', path.join(d, 'b'), 'inspection-report']);
  for (const input of [tarball, path.join(d, 'b')]) {
    const res = await runCli(['analyze', input, '--json']);
    assert.equal(res.code, 0, `${input}: ${res.stderr}`);
    const rep = JSON.parse(res.stdout) as Rep;
    assert.deepEqual(rep.diagnoses, [], `${input}: the linked file outside was not read`);
    assert.equal(rep.inputs[0].kind, 'microk8s-inspect');
  }
  const rep = JSON.parse((await runCli(['analyze', tarball, '--json'])).stdout) as Rep;
  assert.ok(rep.problems.some((p) => /did not follow 2 link entries pointing outside the bundle/.test(p.reason)));
});

test('a truncated archive gives a partial report naming where it was cut', async (t) => {
  const d = tempDir(t);
  const r = inspectTree(d);
  // Enough incompressible bulk after the journal that cutting the archive keeps the journal whole.
  mkdirSync(path.join(r, 'k8s'));
  writeFileSync(path.join(r, 'k8s', 'get-all'), execSync('head -c 3000000 /dev/urandom | base64', { maxBuffer: 1 << 26 }));
  const tarball = path.join(d, 'inspection-report-20250526_182512.tar.gz');
  execFileSync('tar', ['-czf', tarball, '-C', d, 'inspection-report/snap.microk8s.daemon-kubelite', 'inspection-report/args', 'inspection-report/k8s']);
  truncateSync(tarball, Math.floor(statSync(tarball).size / 2));
  const res = await runCli(['analyze', tarball, '--json']);
  assert.equal(res.code, 1, 'a diagnosis was still found');
  const rep = JSON.parse(res.stdout) as Rep;
  assert.equal(rep.diagnoses[0].id, 'kernel-ipv6-mark-regression');
  assert.ok(rep.problems.some((p) => /cut short|unexpected end|corrupt/i.test(p.reason)), JSON.stringify(rep.problems));
  assert.match(res.stderr, /inspection-report-20250526_182512\.tar\.gz/);
  assert.doesNotMatch(res.stderr, /\n\s+at /, 'no stack trace');

  // Replayed, the entries before the cut still play, and the cut is said.
  const replayed = await runCli(['watch', '--replay', tarball, '--speed', '0', '--json']);
  const events = replayed.stdout.trim().split('\n').map((l) => JSON.parse(l) as { type: string; diagnosis?: { id: string }; message?: string });
  assert.ok(events.some((e) => e.type === 'diagnosis' && e.diagnosis!.id === 'kernel-ipv6-mark-regression'), replayed.stdout);
  assert.ok(events.some((e) => e.type === 'problem' && /cut short|unexpected end|corrupt/i.test(e.message!)), replayed.stdout);
  assert.doesNotMatch(replayed.stderr, /\n\s+at /, 'no stack trace');

  // A symptom with no cause in what was read says the cause may be in the part not read.
  const sample = path.join(ROOT, 'samples', 'bundles', 'inspection-report-20250526_182512.tar.gz');
  const cut = path.join(d, 'cut.tar.gz');
  writeFileSync(cut, readFileSync(sample).subarray(0, 20_000));
  const partial = JSON.parse((await runCli(['analyze', cut, '--json'])).stdout) as { diagnoses: { id: string; summary: string }[] };
  const crash = partial.diagnoses.find((x) => x.id === 'calico-node-crashloop');
  assert.match(crash?.summary ?? '', /No cause of this found in these logs\. Part of the input was not read \(see “Not read”\): the cause may be there\./, JSON.stringify(partial.diagnoses.map((x) => x.id)));

  // Cut before anything useful: nothing found, and exit 2.
  const tiny = path.join(d, 'tiny.tar.gz');
  writeFileSync(tiny, readFileSync(tarball).subarray(0, 200));
  const res2 = await runCli(['analyze', tiny, '--json']);
  assert.equal(res2.code, 2, res2.stderr);
});

test('garbage is one line on stderr and exit 2', async (t) => {
  const d = tempDir(t);
  const g1 = path.join(d, 'sosreport-node1-2025-05-26-abcdefg.tar.xz');
  writeFileSync(g1, Buffer.concat([Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]), Buffer.alloc(4096, 0x41)]));
  const g2 = path.join(d, 'inspection-report-20250526_182512.tar.gz');
  writeFileSync(g2, execSync('head -c 10000 /dev/urandom'));
  const g3 = path.join(d, 'not-a-tar.tar');
  writeFileSync(g3, Buffer.concat([Buffer.alloc(257, 0x20), Buffer.from('ustar'), Buffer.alloc(250, 0x7f)]));
  for (const g of [g1, g2, g3]) {
    const r = await runCli(['analyze', g]);
    assert.equal(r.code, 2, `${g}: ${r.stderr}`);
    const lines = r.stderr.trim().split('\n');
    assert.equal(lines.length, 1, r.stderr);
    assert.ok(lines[0].includes(path.basename(g)), lines[0]);
  }
});

test('a compression bomb and a gigantic line are bounded and stated', async (t) => {
  const d = tempDir(t);
  const r = inspectTree(d);
  execFileSync('sh', ['-c', `head -c 200000000 /dev/zero > "${path.join(r, 'snap.microk8s.daemon-kubelite', 'bomb.log')}"`]);
  mkdirSync(path.join(r, 'snap.microk8s.daemon-containerd'));
  execFileSync('sh', ['-c', `head -c 200000000 /dev/zero | tr '\\0' 'a' > "${path.join(r, 'snap.microk8s.daemon-containerd', 'journal.log')}"`]);
  const tarball = path.join(d, 'inspection-report-20250526_182512.tar.gz');
  execFileSync('tar', ['-czf', tarball, '-C', d, 'inspection-report']);
  assert.ok(statSync(tarball).size < 2_000_000, 'a real bomb: tiny compressed, 400 MB inside');
  const res = await runCli(['analyze', tarball, '--json', '--max-entry-bytes', '16M']);
  assert.equal(res.code, 1, res.stderr);
  const rep = JSON.parse(res.stdout) as Rep;
  assert.equal(rep.diagnoses[0].id, 'kernel-ipv6-mark-regression');
  assert.ok(rep.problems.some((p) => /journal\.log: read the first 16 MiB only \(entry size limit\)/.test(p.reason)), JSON.stringify(rep.problems));
  // named like every other problem of a bundle entry: bundle: entry
  assert.ok(rep.problems.some((p) => p.source === `${tarball}: snap.microk8s.daemon-containerd/journal.log` && /line 1 is longer than \d+ MiB: scanned its start only/.test(p.reason)), JSON.stringify(rep.problems));

  const res2 = await runCli(['analyze', tarball, '--json', '--max-total-bytes', '32M']);
  const rep2 = JSON.parse(res2.stdout) as Rep;
  assert.ok(rep2.problems.some((p) => /stopped after .* decompressed \(limit; a compression bomb\?\)/.test(p.reason)), JSON.stringify(rep2.problems));
});
