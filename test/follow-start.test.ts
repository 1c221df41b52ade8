// A watch of many large files starts at once: the lines before a file's end are counted (for the
// evidence's line numbers) in the background, and nothing of the file is passed on before the count.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, writeFileSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { FileFollower } from '../src/sources/follow.js';
import { tempDir } from './helpers/util.js';

test('a file opened at its end: start() does not wait for the count of its lines; its first data comes after begin() with the file\'s own line number', async (t) => {
  const file = path.join(tempDir(t), 'big.log');
  writeFileSync(file, 'x\n'.repeat(1000));
  // Reads longer than a fingerprint (the count's, then the follower's) wait at a gate (this file runs in its own process).
  const probe = await open(file);
  const proto = Object.getPrototypeOf(probe) as FileHandle;
  await probe.close();
  const realRead = proto.read;
  let openGate!: () => void;
  const gate = new Promise<void>((r) => { openGate = r; });
  let held = 0;
  proto.read = async function (this: FileHandle, ...args: unknown[]) {
    if ((args[2] as number) > 64) { held++; await gate; }
    return (realRead as (...a: unknown[]) => ReturnType<FileHandle['read']>).apply(this, args);
  } as FileHandle['read'];
  t.after(() => { proto.read = realRead; openGate(); });

  const events: string[] = [];
  const f = new FileFollower(file, { begin: (_, n) => events.push(`begin ${n}`), data: (b) => events.push(`data ${b.toString()}`), end: () => {}, note: () => {} }, { fromStart: false, pollMs: 10 });
  t.after(() => f.close());
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([f.start(), new Promise((_, no) => { timer = setTimeout(() => no(new Error('start() waited for the count')), 5000); })]);
  clearTimeout(timer);
  assert.ok(held > 0, 'the count is under way, held at the gate');
  appendFileSync(file, 'new line\n');
  assert.equal(events.length, 0, `nothing passed on before the count: ${JSON.stringify(events)}`);
  openGate();
  const t0 = Date.now();
  while (!events.some((e) => e.startsWith('data'))) {
    assert.ok(Date.now() - t0 < 10_000, `no data 10 s after the count: ${JSON.stringify(events)}`);
    await f.kick();
  }
  assert.deepEqual(events, ['begin 1001', 'data new line\n']);
});
