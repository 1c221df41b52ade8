// The real logrotate, copytruncate with compress and delaycompress, rotating a log a writer keeps
// appending to, under a glob that matches the copies too (app.log*): no line is read twice, and every
// line still in some file afterwards was read. (Lines logrotate itself drops between its copy and its
// truncation are in no file; the watch may or may not have read them before they went.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { appendFileSync, closeSync, openSync, readdirSync, readFileSync, writeFileSync, writeSync } from 'node:fs';
import { promisify } from 'node:util';
import path from 'node:path';
import { tempDir } from './helpers/util.js';
import { startedWatch } from './helpers/watch.js';

const ID = 'kernel-ipv6-mark-regression';
let n = 0;
const record = (): string => {
  n++;
  return `2025-05-26 18:07:12.${String(n % 1000).padStart(3, '0')} [WARNING][83] felix/table.go 1454: Failed to execute ip(6)tables-restore command error=exit status 2 errorOutput="ip6tables-restore v1.8.4 (legacy): unknown option \\"--set-mark\\"\\n" input="seq ${n}" ipVersion=0x6 output="" table="mangle"\n`;
};

test('real logrotate copytruncate (compress, delaycompress) under app.log*: each line read at most once, and every line left in a file read', { timeout: 120_000 }, async (t) => {
  const d = tempDir(t);
  const log = path.join(d, 'app.log');
  writeFileSync(log, '');
  const conf = path.join(d, 'logrotate.conf');
  writeFileSync(conf, `${log} {\n  copytruncate\n  rotate 50\n  compress\n  delaycompress\n  missingok\n}\n`, { mode: 0o644 });
  const w = await startedWatch(t, ['--file', path.join(d, 'app.log*')]);
  const fd = openSync(log, 'a');
  t.after(() => closeSync(fd));
  // ~300 lines a second for 4 s, and a forced rotation every 0.7 s meanwhile
  const writer = setInterval(() => { for (let i = 0; i < 3; i++) writeSync(fd, record()); }, 10);
  t.after(() => clearInterval(writer));
  const rotate = (): Promise<unknown> => promisify(execFile)('logrotate', ['-f', '-s', path.join(d, 'state'), conf], { timeout: 20_000 });
  const t0 = Date.now();
  let rotations = 0;
  while (Date.now() - t0 < 4000) {
    await new Promise((r) => setTimeout(r, 700));
    await rotate();
    rotations++;
  }
  clearInterval(writer);
  const written = n;

  // What is left in the files, the compressed ones too.
  const present = new Set<string>();
  for (const f of readdirSync(d).filter((x) => x.startsWith('app.log'))) {
    const p = path.join(d, f);
    const text = f.endsWith('.gz') ? execFileSync('gzip', ['-dc', p], { encoding: 'utf8' }) : readFileSync(p, 'utf8');
    for (const m of text.matchAll(/seq (\d+)/g)) present.add(m[1]);
  }
  // One more line in the newest copy and in the log: once both are read, every follower has looked
  // since the last rotation (a copy read again from its start would have been by then).
  appendFileSync(`${log}.1`, record());
  appendFileSync(log, record());
  await w.waitFor('every line left in a file, and the two last ones', () => w.count(ID) >= present.size + 2, 30_000);
  await w.stop();
  assert.ok(rotations >= 4, `${rotations} rotations`);
  assert.ok(w.count(ID) <= written + 2, `read ${w.count(ID)} of ${written + 2} written: some read twice`);
});
