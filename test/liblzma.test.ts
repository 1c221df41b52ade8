// The in-process .xz decoder (the system liblzma through koffi) against the xz program, on real files
// made by xz: the same bytes, the same failures, and nothing left open when a reader stops early.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { liblzma, LiblzmaReader } from '../src/sources/liblzma.js';
import { decompress } from '../src/sources/decompress.js';
import { ROOT, runCli, tempDir } from './helpers/util.js';
import { randomLog, rng } from './helpers/random-log.js';

const SOS = path.join(ROOT, 'samples', 'bundles', 'sosreport-node1-2025-05-26-abcdefg.tar.xz');

function lib(): NonNullable<ReturnType<typeof liblzma>> {
  const l = liblzma();
  // Not a skip: on this project's CI image (Debian, x64) liblzma.so.5 and koffi's build are there.
  assert.ok(l, 'koffi or liblzma.so.5 did not load: install liblzma5 (Debian) and run npm ci');
  return l;
}

async function drain(r: Readable, slow = false): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of r) {
    parts.push(c as Buffer);
    // A slow consumer: the decoder must wait for it, not run over the chunks it still holds.
    if (slow) await new Promise((res) => setImmediate(res));
  }
  return Buffer.concat(parts);
}

const xzDecoded = (file: string): Buffer => execFileSync('xz', ['-dc', file], { maxBuffer: 1 << 28 });

test('liblzma in process gives the bytes xz -dc gives: the sample sosreport, a multi-slab log, concatenated streams', async (t) => {
  const l = lib();
  const d = tempDir(t);
  // 6 MiB of random log text, single-threaded xz (one block, like a sosreport written by Python)
  const big = path.join(d, 'big.log');
  const r = rng(7);
  let text = '';
  while (text.length < 6 << 20) text += randomLog(r, 3000, 'journal');
  writeFileSync(big, text);
  execFileSync('xz', ['-3', '-T1', '-k', big]);
  // Two .xz streams back to back, as `cat a.xz b.xz` makes: one output, like xz -dc.
  const both = path.join(d, 'both.xz');
  execFileSync('sh', ['-c', `printf 'first stream\\n' | xz > "${both}" && printf 'second stream\\n' | xz >> "${both}"`]);
  for (const file of [SOS, `${big}.xz`, both]) {
    const want = xzDecoded(file);
    assert.ok(want.length > 0);
    const got = await drain(new LiblzmaReader(file, l));
    assert.ok(got.equals(want), `${path.basename(file)}: ${got.length} bytes against xz's ${want.length}`);
  }
  const slow = await drain(new LiblzmaReader(`${big}.xz`, l), true);
  assert.ok(slow.equals(readFileSync(big)), 'a slow consumer gets the same bytes');
  assert.equal((await drain(new LiblzmaReader(both, l))).toString(), 'first stream\nsecond stream\n');
});

test('liblzma failures read like the xz program\'s, with the file named', async (t) => {
  const l = lib();
  const d = tempDir(t);
  const whole = readFileSync(SOS);
  const cases: [string, Buffer, RegExp][] = [
    ['truncated.xz', whole.subarray(0, Math.floor(whole.length / 2)), /Unexpected end of input/],
    ['flipped.xz', Buffer.from(whole).fill(0x55, 200, 260), /Compressed data is corrupt/],
    ['garbage.xz', Buffer.concat([Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]), Buffer.alloc(4096, 0x41)]), /Compressed data is corrupt/],
    ['not-xz.xz', Buffer.from('plain text, not xz at all\n'), /File format not recognized/],
  ];
  for (const [name, bytes, reason] of cases) {
    const f = path.join(d, name);
    writeFileSync(f, bytes);
    // The program agrees on the reason (same library, same words).
    const prog = (() => { try { execFileSync('xz', ['-dc', f], { stdio: ['ignore', 'ignore', 'pipe'] }); return ''; } catch (e) { return String((e as { stderr: Buffer }).stderr); } })();
    assert.match(prog, reason, `xz on ${name}`);
    await assert.rejects(drain(new LiblzmaReader(f, l)), (e: Error) => reason.test(e.message) && e.message.includes(f), name);
  }
  await assert.rejects(drain(new LiblzmaReader(path.join(d, 'missing.xz'), l)), /ENOENT/);
});

test('a reader that stops early frees the decoder and closes the file', async (t) => {
  const l = lib();
  const d = tempDir(t);
  const f = path.join(d, 'big.log');
  writeFileSync(f, Buffer.alloc(8 << 20, 'x\n'));
  execFileSync('xz', ['-1', '-T1', f]);
  const fds = (): number => readdirSync('/proc/self/fd').length;
  const before = fds();
  for (let i = 0; i < 20; i++) {
    const r = new LiblzmaReader(`${f}.xz`, l);
    for await (const c of r) { assert.ok((c as Buffer).length > 0); break; } // destroys the reader
    if (!r.closed) await new Promise((res) => r.once('close', res));
  }
  // A decode still running when the reader was destroyed releases on its return: wait for that.
  const deadline = Date.now() + 5000;
  while (fds() > before && Date.now() < deadline) await new Promise((res) => setTimeout(res, 10));
  assert.equal(fds(), before, 'every .xz file closed');
});

test('decompress() takes liblzma for an .xz file, and the xz program without it', async () => {
  lib();
  assert.ok((await decompress({ file: SOS }, 'xz')) instanceof LiblzmaReader);
  // A stream (an .xz entry inside a tar) has no file to hand over: not liblzma.
  const { createReadStream } = await import('node:fs');
  const s = await decompress(createReadStream(SOS), 'xz');
  assert.ok(!(s instanceof LiblzmaReader));
  assert.ok((await drain(s)).equals(xzDecoded(SOS)));
});

test('analyze gives the same report through liblzma and through the xz program', async () => {
  lib();
  const viaLib = await runCli(['analyze', SOS, '--json']);
  const viaProgram = await runCli(['analyze', SOS, '--json'], { env: { CNI_DOCTOR_NO_LIBLZMA: '1' } });
  assert.equal(viaLib.code, 1, viaLib.stderr);
  assert.equal(viaProgram.code, 1, viaProgram.stderr);
  assert.ok(JSON.parse(viaLib.stdout).diagnoses.length > 0);
  assert.equal(viaLib.stdout, viaProgram.stdout);
});
