// Input edge cases that used to give a wrong answer rather than an error: stdin named twice, empty
// compressed files and empty directories, size limits, a bundle piped to stdin, a truncated .zst,
// and which exit code wins when a diagnosis and an unreadable input meet. Real xz/gzip/zstd/tar.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire, syncBuiltinESMExports } from 'node:module';
import path from 'node:path';
import { PassThrough, type Readable } from 'node:stream';
import { decompress } from '../src/sources/decompress.js';
import { ROOT, runCli, tempDir } from './helpers/util.js';
import { rng } from './helpers/random-log.js';

const BUNDLES = path.join(ROOT, 'samples', 'bundles');
const INSPECT = path.join(BUNDLES, 'inspection-report-20250526_182512.tar.gz');
const INSPECT_HEALTHY = path.join(BUNDLES, 'inspection-report-20250601_101500.tar.gz');
const SOS = path.join(BUNDLES, 'sosreport-node1-2025-05-26-abcdefg.tar.xz');
const FELIX = path.join(ROOT, 'samples', 'logs', 'calico-node-felix.log');

interface Rep {
  inputs: { path: string; kind: string; files: number; lines: number; bytes: number }[];
  facts: Record<string, unknown>;
  diagnoses: { id: string; occurrences: number }[];
  timeline: unknown[];
  problems: { source: string; reason: string }[];
}

const json = (stdout: string): Rep => JSON.parse(stdout) as Rep;

/** Healthy felix lines made unique, so that zstd writes many blocks (a repeated log is one block). */
function variedHealthyLog(lines: number): string {
  const src = readFileSync(path.join(ROOT, 'samples', 'logs', 'healthy', 'calico-node-felix.log'), 'utf8').split('\n').filter(Boolean);
  const r = rng(7);
  const out: string[] = [];
  for (let i = 0; i < lines; i++) out.push(`${src[i % src.length]} seq=${Math.floor(r() * 2 ** 32).toString(36)}${Math.floor(r() * 2 ** 32).toString(16)}`);
  return out.join('\n') + '\n';
}

/** The first `fraction` of a file made by `zstd`: a copy cut short, as an interrupted transfer leaves it. */
function truncatedZst(dir: string, text: string, fraction: number): { file: string; decodable: Buffer } {
  const log = path.join(dir, 'calico-node.log');
  writeFileSync(log, text);
  execFileSync('zstd', ['-q', '-f', log, '-o', `${log}.zst`]);
  const whole = readFileSync(`${log}.zst`);
  const file = path.join(dir, 'cut.log.zst');
  writeFileSync(file, whole.subarray(0, Math.floor(whole.length * fraction)));
  // What the zstd program itself gets out of the cut copy (it exits 1, having written it).
  const decodable = spawnSync('zstd', ['-dc', file], { maxBuffer: 1 << 28 }).stdout;
  assert.ok(decodable.length > 0 && decodable.length < text.length, 'the cut is past the first block and before the end');
  return { file, decodable };
}

/** Reads everything a stream gives, then the error it ends with (if any). */
async function readAll(r: Readable): Promise<{ bytes: number; error?: Error }> {
  let bytes = 0;
  try {
    for await (const c of r) bytes += (c as Buffer).length;
    return { bytes };
  } catch (e) {
    return { bytes, error: e as Error };
  }
}

test('#1 - given twice is a usage error (exit 2), not a silent hang on stdin read a second time', async () => {
  const r = await runCli(['analyze', '-', '-', '--json'], { input: readFileSync(FELIX), timeoutMs: 20_000 });
  assert.equal(r.code, 2, r.stderr);
  assert.equal(r.stdout, '');
  assert.match(r.stderr, /^cni-doctor: - \(stdin\) can be given only once: pass it once, or save the stream to a file/);
});

test('#2 an empty (0-byte) compressed file or an empty directory is unreadable (exit 2); an empty .log or a compressed stream of nothing is an empty log (exit 0)', async (t) => {
  const d = tempDir(t);
  for (const [name, tool] of [['z.xz', 'xz'], ['z.tar.gz', 'gzip'], ['z.gz', 'gzip'], ['z.zst', 'zstd']] as const) {
    const f = path.join(d, name);
    writeFileSync(f, '');
    // What the real tool says about the same file: it is damaged, not empty.
    assert.notEqual(spawnSync(tool, ['-t', f]).status, 0, `${tool} -t ${name}`);
    const r = await runCli(['analyze', f]);
    assert.equal(r.code, 2, `${name}: ${r.stdout}`);
    assert.equal(r.stderr, `cni-doctor: ${f}: corrupt or truncated: empty (0 bytes), while even an empty ${tool} stream has a header (${tool} -t says the same): copy the file again from the node\n`);
  }
  // A valid compressed stream of nothing (logrotate `ifempty`; `tool -t` passes) is an empty log.
  for (const [name, tool] of [['v.log.xz', 'xz'], ['v.log.gz', 'gzip'], ['v.log.zst', 'zstd'], ['v.log.bz2', 'bzip2']] as const) {
    const f = path.join(d, name);
    writeFileSync(f, execFileSync(tool, ['-c'], { input: '' }));
    assert.equal(spawnSync(tool, ['-t', f]).status, 0, `${tool} -t ${name}`);
    const r = await runCli(['analyze', f, '--json']);
    assert.equal(r.code, 0, `${name}: ${r.stderr}`);
    assert.equal(r.stderr, '');
    assert.deepEqual(json(r.stdout).inputs, [{ path: f, kind: 'file', files: 1, lines: 0, bytes: 0 }]);
  }
  const log = path.join(d, 'empty.log');
  writeFileSync(log, '');
  const r0 = await runCli(['analyze', log, '--json']);
  assert.equal(r0.code, 0, r0.stderr);
  assert.equal(r0.stderr, '');
  assert.deepEqual(json(r0.stdout).inputs, [{ path: log, kind: 'file', files: 1, lines: 0, bytes: 0 }]);

  const empty = path.join(d, 'emptydir');
  mkdirSync(empty);
  const r1 = await runCli(['analyze', empty, '--json']);
  assert.equal(r1.code, 2);
  assert.match(r1.stderr, new RegExp(`^cni-doctor: ${empty}: no log files found in it: give the directory or bundle that holds the node's logs`));
  assert.deepEqual(json(r1.stdout).problems.map((p) => p.source), [empty]);

  // Inside a directory the empty .gz is named, and the healthy log beside it is still read.
  const mixed = path.join(d, 'mixed');
  mkdirSync(mixed);
  writeFileSync(path.join(mixed, 'syslog.2.gz'), '');
  writeFileSync(path.join(mixed, 'syslog'), readFileSync(path.join(ROOT, 'samples', 'logs', 'healthy', 'syslog')));
  const r2 = await runCli(['analyze', mixed, '--json']);
  assert.equal(r2.code, 2, 'nothing found, and part of the input unreadable');
  assert.match(r2.stderr, /: syslog\.2\.gz: unreadable: corrupt or truncated: empty \(0 bytes\)/);
  assert.equal(json(r2.stdout).inputs[0].files, 1);

  const healthy = await runCli(['analyze', path.join(ROOT, 'samples', 'logs', 'healthy')]);
  assert.equal(healthy.code, 0, healthy.stderr);
  assert.equal(healthy.stderr, '');
});

test('#3 a size limit reached is a partial read: named under "Not read, or read in part", exit 2, sizes in KiB', async () => {
  const total = await runCli(['analyze', INSPECT, '--max-total-bytes', '10KiB']);
  assert.equal(total.code, 2, total.stdout);
  assert.match(total.stderr, new RegExp(`^cni-doctor: ${INSPECT}: stopped after 10 KiB decompressed \\(limit; a compression bomb\\?\\): the rest of the archive was not read \\(raise --max-total-bytes to read it all\\)$`, 'm'));
  // (wrapped at 100 columns with a hanging indent, as the report's prose is)
  assert.match(total.stdout, /Not read, or read in part\n {2}\S+: stopped\s+after\s+10\s+KiB\s+decompressed/);

  const entry = await runCli(['analyze', INSPECT_HEALTHY, '--max-entry-bytes', '1K', '--json']);
  assert.equal(entry.code, 2, entry.stderr);
  assert.match(entry.stderr, new RegExp(`^cni-doctor: ${INSPECT_HEALTHY}: \\S+: read the first 1 KiB only \\(entry size limit\\): raise --max-entry-bytes to read it all$`, 'm'));
  assert.doesNotMatch(total.stderr + entry.stderr, /\b0 MiB\b/);
});

test('#4 a bundle on stdin is opened as a bundle: the same report as from its path (.tar.gz, .tar.xz, .tar.zst, plain .tar)', async (t) => {
  const d = tempDir(t);
  const tar = path.join(d, 'inspection-report-20250526_182512.tar');
  writeFileSync(tar, execFileSync('gzip', ['-dc', INSPECT], { maxBuffer: 1 << 28 }));
  execFileSync('zstd', ['-q', '-k', tar, '-o', `${tar}.zst`]);
  for (const bundle of [INSPECT, SOS, `${tar}.zst`, tar]) {
    const byPath = await runCli(['analyze', bundle, '--json']);
    const byStdin = await runCli(['analyze', '-', '--json'], { input: readFileSync(bundle) });
    const name = path.basename(bundle);
    assert.equal(byPath.code, 1, `${name}: ${byPath.stderr}`);
    assert.equal(byStdin.code, 1, `${name} on stdin: ${byStdin.stderr}`);
    assert.equal(byStdin.stderr, '', name);
    const a = json(byPath.stdout);
    const b = json(byStdin.stdout);
    assert.ok(a.diagnoses.length > 0, name);
    assert.deepEqual(b.diagnoses.map((x) => [x.id, x.occurrences]), a.diagnoses.map((x) => [x.id, x.occurrences]), name);
    // Evidence sources, times and years too: the entries are read as entries, not as tar text.
    assert.deepEqual(b.diagnoses, a.diagnoses, name);
    assert.deepEqual(b.facts, a.facts, name);
    assert.deepEqual(b.timeline, a.timeline, name);
    assert.deepEqual(b.inputs, [{ ...a.inputs[0], path: '-' }], name);
  }
});

test('#5 a truncated .zst hands on what decodes before the cut, then says it was cut short (exit 2)', async (t) => {
  const d = tempDir(t);
  const text = variedHealthyLog(3000);
  const { file, decodable } = truncatedZst(d, text, 0.5);
  const r = await runCli(['analyze', file, '--json']);
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, new RegExp(`^cni-doctor: ${file}: cut short: zstd: `));
  const decodedLines = decodable.toString('latin1').split('\n').length - 1;
  // Every whole line the zstd program decodes, plus the partial one it ends in.
  assert.equal(json(r.stdout).inputs[0].lines, decodedLines + 1);

  // A reader slower than the decoder: it starts only once the decoder has failed. Before, the
  // decoded chunks it had not taken yet were dropped with the error (for the program and for fzstd).
  const cut = readFileSync(file);
  const input = new PassThrough();
  input.end(cut);
  const viaFzstd = await decompress(input, 'zstd', 'internal');
  await once(input, 'end');
  const got = await readAll(viaFzstd);
  assert.equal(got.bytes, decodable.length, 'fzstd: every decoded byte reaches the reader');
  assert.match(String(got.error?.message), /unexpected EOF/);

  const cp = createRequire(import.meta.url)('node:child_process') as typeof import('node:child_process');
  const realSpawn = cp.spawn;
  let child: ChildProcess | undefined;
  cp.spawn = ((...args: Parameters<typeof realSpawn>) => (child = realSpawn(...args))) as typeof realSpawn;
  syncBuiltinESMExports();
  try {
    const viaProgram = await decompress({ file }, 'zstd');
    assert.ok(child, 'decoded by the zstd program');
    await once(child, 'close');
    const got2 = await readAll(viaProgram);
    assert.equal(got2.bytes, decodable.length, 'zstd program: every decoded byte reaches the reader');
    assert.match(String(got2.error?.message), /^zstd: .*premature end/);
  } finally {
    cp.spawn = realSpawn;
    syncBuiltinESMExports();
  }
});

test('#6 a diagnosis outranks an unreadable input (exit 1), as README says; the unreadable one is still named', async (t) => {
  const d = tempDir(t);
  const missing = path.join(d, 'nonexistent.log');
  const r = await runCli(['analyze', missing, FELIX, '--json']);
  assert.equal(r.code, 1, r.stderr);
  assert.equal(r.stderr, `cni-doctor: ${missing}: no such file or directory\n`);
  assert.equal(json(r.stdout).diagnoses[0].id, 'kernel-ipv6-mark-regression');
  const alone = await runCli(['analyze', missing]);
  assert.equal(alone.code, 2);
  // The documented rule, so that scripts can rely on it (../shared/DESIGN.md lists the codes, not which wins).
  const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  assert.match(readme, /A diagnosis outranks unreadable input: the exit is `1`/);
});

test('a UTF-16 log (saved on Windows) is named as such with the command to convert it; UTF-8 with a BOM is read', async (t) => {
  const d = tempDir(t);
  const text = readFileSync(FELIX, 'utf8');
  const u16 = path.join(d, 'felix-utf16.log');
  writeFileSync(u16, Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]));
  const r = await runCli(['analyze', u16]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, new RegExp(`${u16.replace(/[.]/g, '\\.')}: UTF-16 text .*iconv -f UTF-16 -t UTF-8`));
  // near miss: a UTF-8 byte-order mark is still UTF-8 text
  const bom8 = path.join(d, 'felix-bom.log');
  writeFileSync(bom8, Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text)]));
  const ok = await runCli(['analyze', bom8, '--json']);
  assert.equal(ok.code, 1, ok.stderr);
  assert.equal(json(ok.stdout).diagnoses[0].id, 'kernel-ipv6-mark-regression');
});
