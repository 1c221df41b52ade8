// A followed file that is not written to costs no reads: a DaemonSet follows calico-node's logs for
// weeks, mostly idle, polling each file four times a second. The skip must never cost a write.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, utimesSync, writeFileSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { FileFollower } from '../src/sources/follow.js';
import { tempDir } from './helpers/util.js';

test('an idle followed file is not read while its size and modification time stay the same; a write after the idle spell is read, a same-size rewrite is seen as a truncation', async (t) => {
  const file = path.join(tempDir(t), 'felix.log');
  writeFileSync(file, 'line 0\n');
  // Every read of any file handle in this process is counted (this file runs in its own process).
  const probe = await open(file);
  const proto = Object.getPrototypeOf(probe) as FileHandle;
  await probe.close();
  const realRead = proto.read;
  let reads = 0;
  proto.read = function (this: FileHandle, ...args: unknown[]) {
    reads++;
    return (realRead as (...a: unknown[]) => ReturnType<FileHandle['read']>).apply(this, args);
  } as FileHandle['read'];
  t.after(() => { proto.read = realRead; });

  let got = '';
  const notes: string[] = [];
  const f = new FileFollower(file, { data: (b) => { got += b.toString(); }, end: () => {}, note: (m) => notes.push(m) }, { fromStart: true, pollMs: 10 });
  t.after(() => f.close());
  await f.start();
  const polls = async (n: number): Promise<void> => { for (let i = 0; i < n; i++) await f.kick(); };
  const until = async (what: string, pred: () => boolean): Promise<void> => {
    const t0 = Date.now();
    while (!pred()) {
      if (Date.now() - t0 > 10_000) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(got)} ${JSON.stringify(notes)}`);
      await f.kick();
    }
  };
  await until('the first line', () => got === 'line 0\n');
  // One look after the read records the file's time; from then on an idle look reads nothing.
  await polls(3);
  reads = 0;
  await polls(20);
  assert.equal(reads, 0, 'no read in 20 looks at an idle file');

  appendFileSync(file, 'line 1\n');
  await until('the appended line', () => got.endsWith('line 1\n'));

  // The same size, other bytes, a later time (copytruncate refilled to the same length): not skipped.
  await polls(3);
  writeFileSync(file, 'LINE 2\nLINE 3\n');
  const later = new Date(Date.now() + 5000);
  utimesSync(file, later, later);
  await until('the rewrite read as a new start', () => got.endsWith('LINE 2\nLINE 3\n'));
  assert.ok(notes.some((m) => /truncated/.test(m)), JSON.stringify(notes));
});
