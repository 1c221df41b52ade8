// Bounded memory on the worst inputs for it. A log where every line is a failure: every line becomes
// an event that the reducer folds in. The live heap stays small by design; what grew was V8's heap
// between collections (a 20 MiB file peaked at 150–160 MB, a 100 MiB one at 185 MB) until its young
// generation was held at its initial size (src/runtime/heap.ts). And `watch --replay` of a bundle,
// which held every entry as lines. The peak is read from the kernel (VmHWM) while the CLI runs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { generateBuffer } from '../bench/generate.js';
import { CLI, ROOT, tempDir } from './helpers/util.js';

const MiB = 1 << 20;
const LIMIT_KB = 150 * 1024;

function failureLine(i: number): string {
  const t = new Date(Date.UTC(2025, 4, 26, 18, 0, 0) + i * 10);
  const syslog = `May 26 ${t.toISOString().slice(11, 19)}`;
  return `${syslog} node-3 calico-node[1234]: ${t.toISOString().replace('T', ' ').slice(0, 23)} [ERROR][83] felix/table.go 1454: ` +
    'Failed to execute ip(6)tables-restore command error=exit status 2 errorOutput="ip6tables-restore v1.8.9 (nf_tables): unknown option \\"--set-mark\\"\\n" input="" ipVersion=0x6 output="" table="mangle"\n';
}

/** Peak RSS in KiB of a process, from /proc while it runs (the high-water mark only rises). */
function vmHwm(pid: number): number | undefined {
  try {
    const m = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined; // already gone
  }
}

/** Run the CLI, watching its peak RSS. */
async function watched(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string; peak: number; readings: number }> {
  const child = spawn(process.execPath, [CLI, ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
  child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
  let peak = 0;
  let readings = 0;
  const poll = setInterval(() => {
    const kb = vmHwm(child.pid!);
    if (kb !== undefined) { peak = Math.max(peak, kb); readings++; }
  }, 20);
  const kill = setTimeout(() => child.kill('SIGKILL'), 60_000);
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  clearInterval(poll);
  clearTimeout(kill);
  assert.notEqual(code, null, `cni-doctor ${args.join(' ')} timed out after 60 s\n${stderr}`);
  return { code, stdout, stderr, peak, readings };
}

test('a 32 MiB log where every line is a failure stays under 150 MB RSS', async (t) => {
  const chunks: string[] = [];
  let size = 0;
  let lines = 0;
  while (size < 32 * MiB) {
    const l = failureLine(lines++);
    chunks.push(l);
    size += l.length;
  }
  const file = path.join(tempDir(t), 'node-journal.log');
  writeFileSync(file, chunks.join(''));

  const { code, stdout, stderr, peak, readings } = await watched(['analyze', file, '--json']);
  assert.equal(code, 1, stderr);
  const rep = JSON.parse(stdout) as { diagnoses: { id: string; occurrences: number }[]; stats: { lines: number } };
  assert.equal(rep.stats.lines, lines);
  assert.equal(rep.diagnoses.find((d) => d.id === 'kernel-ipv6-mark-regression')?.occurrences, lines, 'every line counted');
  assert.ok(readings >= 5, `the run was watched (${readings} readings)`);
  t.diagnostic(`peak RSS ${(peak / 1024).toFixed(0)} MB over ${readings} readings, ${lines} failure lines`);
  assert.ok(peak < LIMIT_KB, `peak RSS ${(peak / 1024).toFixed(0)} MB, limit ${LIMIT_KB / 1024} MB`);
});

test('replaying a bundle with a 64 MiB journal stays under 150 MB RSS', async (t) => {
  // Entries of an archive come one after another; replay merges them by time. It used to hold them
  // in memory as lines (a 256 MiB inspect tarball peaked at 490 MB); now it spools them to disk.
  const gen = generateBuffer({ size: 64 * MiB, seed: 5, episodes: 2 });
  const dir = tempDir(t);
  const unit = path.join(dir, 'inspection-report', 'snap.microk8s.daemon-kubelite');
  mkdirSync(unit, { recursive: true });
  writeFileSync(path.join(unit, 'journal.log'), gen.data);
  const bundle = path.join(dir, 'inspection-report-20250526_182512.tar.gz');
  const tar = spawnSync('tar', ['-C', dir, '-I', 'gzip -1', '-cf', bundle, 'inspection-report']);
  assert.equal(tar.status, 0, tar.stderr.toString());

  const { code, stdout, stderr, peak, readings } = await watched(['watch', '--replay', bundle, '--speed', '0', '--json']);
  assert.equal(code, 1, stderr);
  const events = stdout.trim().split('\n').map((l) => JSON.parse(l) as { type: string; diagnosis?: { id: string; occurrences: number } });
  const last = new Map(events.filter((e) => e.type === 'diagnosis').map((e) => [e.diagnosis!.id, e.diagnosis!.occurrences]));
  for (const [id, n] of Object.entries(gen.expect.diagnoses)) assert.equal(last.get(id), n, `${id}: ${JSON.stringify([...last])}`);
  assert.ok(readings >= 5, `the run was watched (${readings} readings)`);
  t.diagnostic(`peak RSS ${(peak / 1024).toFixed(0)} MB over ${readings} readings`);
  assert.ok(peak < LIMIT_KB, `peak RSS ${(peak / 1024).toFixed(0)} MB, limit ${LIMIT_KB / 1024} MB`);
});

test('a sosreport .tar.xz with a 128 MiB journal stays under 150 MB RSS (xz decoded in process)', async (t) => {
  // liblzma's decoder state and the 1 MiB chunks it hands over are memory of this process (with the
  // xz program they were another's): the chunks that wait for a collection must stay bounded too.
  const gen = generateBuffer({ size: 128 * MiB, seed: 6, episodes: 2 });
  const dir = tempDir(t);
  const top = 'sosreport-node3-2025-05-26-qwzrxtk';
  const logs = path.join(dir, top, 'sos_commands', 'logs');
  mkdirSync(logs, { recursive: true });
  writeFileSync(path.join(logs, 'journalctl_--no-pager'), gen.data);
  const bundle = path.join(dir, `${top}.tar.xz`);
  const tar = spawnSync('tar', ['-C', dir, '-I', 'xz -1 -T0', '-cf', bundle, top]);
  assert.equal(tar.status, 0, tar.stderr.toString());

  const { code, stdout, stderr, peak, readings } = await watched(['analyze', bundle, '--json']);
  assert.equal(code, 1, stderr);
  const rep = JSON.parse(stdout) as { diagnoses: { id: string; occurrences: number }[] };
  for (const [id, n] of Object.entries(gen.expect.diagnoses)) assert.equal(rep.diagnoses.find((d) => d.id === id)?.occurrences, n, id);
  assert.ok(readings >= 5, `the run was watched (${readings} readings)`);
  t.diagnostic(`peak RSS ${(peak / 1024).toFixed(0)} MB over ${readings} readings`);
  assert.ok(peak < LIMIT_KB, `peak RSS ${(peak / 1024).toFixed(0)} MB, limit ${LIMIT_KB / 1024} MB`);
});
