// The in-process .xz decoder (the system liblzma through koffi) against the xz program, on real files
// made by xz: the same bytes, the same failures, and nothing left open when a reader stops early.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { liblzma, LiblzmaReader } from '../src/sources/liblzma.js';
import { decompress } from '../src/sources/decompress.js';
import { planInput } from '../src/sources/inputs.js';
import { loadCatalog } from '../src/catalog/load.js';
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

const openFds = (): number => readdirSync('/proc/self/fd').length;

/** Asserts the process is back to `before` open fds (a decode still running when its reader was
 *  destroyed closes its file on return: waited for, with a deadline). */
async function fdsBackTo(before: number, what: string): Promise<void> {
  const deadline = Date.now() + 5000;
  while (openFds() > before && Date.now() < deadline) await new Promise((res) => setTimeout(res, 10));
  assert.equal(openFds(), before, what);
}

const xzDecoded = (file: string): Buffer => execFileSync('xz', ['-dc', file], { maxBuffer: 1 << 28 });

/** `size` bytes of random log text in `dir/name`, and its .xz made by the program with one thread
 *  (one block, as Python's lzma writes a sosreport). Returns the text's path; the .xz is beside it. */
function xzLog(dir: string, name: string, seed: number, size: number, preset: string): string {
  const f = path.join(dir, name);
  const r = rng(seed);
  let text = '';
  while (text.length < size) text += randomLog(r, 3000, 'journal');
  writeFileSync(f, text);
  execFileSync('xz', [preset, '-T1', '-k', f]);
  return f;
}

test('liblzma in process gives the bytes xz -dc gives: the sample sosreport, a multi-slab log, concatenated streams', async (t) => {
  const l = lib();
  const d = tempDir(t);
  const big = xzLog(d, 'big.log', 7, 6 << 20, '-3');
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
    ['empty.xz', Buffer.alloc(0), /File format not recognized/],
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
  const before = openFds();
  for (let i = 0; i < 20; i++) {
    const r = new LiblzmaReader(`${f}.xz`, l);
    for await (const c of r) { assert.ok((c as Buffer).length > 0); break; } // destroys the reader
    if (!r.closed) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([new Promise((res) => r.once('close', res)), new Promise((_, no) => { timer = setTimeout(() => no(new Error(`reader ${i} not closed 10 s after it was let go of`)), 10_000); })]);
      clearTimeout(timer);
    }
  }
  await fdsBackTo(before, 'every .xz file closed');
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
  // The comparison is between two paths only if the switch really turns liblzma off.
  const probe = spawnSync(process.execPath, ['--import', 'tsx', '-e', `import('${path.join(ROOT, 'src/sources/liblzma.ts')}').then((m) => process.stdout.write(String(m.liblzma() === undefined)))`], { cwd: ROOT, env: { ...process.env, CNI_DOCTOR_NO_LIBLZMA: '1' }, encoding: 'utf8' });
  assert.equal(probe.stdout, 'true', probe.stderr);
  const viaLib = await runCli(['analyze', SOS, '--json']);
  const viaProgram = await runCli(['analyze', SOS, '--json'], { env: { CNI_DOCTOR_NO_LIBLZMA: '1' } });
  assert.equal(viaLib.code, 1, viaLib.stderr);
  assert.equal(viaProgram.code, 1, viaProgram.stderr);
  assert.ok(JSON.parse(viaLib.stdout).diagnoses.length > 0);
  assert.equal(viaLib.stdout, viaProgram.stdout);
});

test('corrupt in the middle: everything decoded before the damage is handed on first, as xz -dc writes it', async (t) => {
  const l = lib();
  const d = tempDir(t);
  const xzFile = `${xzLog(d, 'big.log', 11, 12 << 20, '-6')}.xz`;
  const bytes = readFileSync(xzFile);
  bytes.fill(0x55, Math.floor(bytes.length * 2 / 3), Math.floor(bytes.length * 2 / 3) + 64);
  writeFileSync(xzFile, bytes);
  const prog = spawnSync('xz', ['-dc', xzFile], { maxBuffer: 1 << 26 });
  assert.notEqual(prog.status, 0);
  assert.ok(prog.stdout.length > 4 << 20, `xz wrote ${prog.stdout.length} bytes before the damage`);
  const parts: Buffer[] = [];
  await assert.rejects((async () => { for await (const c of new LiblzmaReader(xzFile, l)) parts.push(c as Buffer); })(), /Compressed data is corrupt/);
  assert.ok(Buffer.concat(parts).equals(prog.stdout), `${Buffer.concat(parts).length} bytes handed on, xz wrote ${prog.stdout.length}`);
});

test('a read error after the first chunk is an error, not a crash, and the chunk still arrives', async (t) => {
  const l = lib();
  const d = tempDir(t);
  const f = path.join(d, 'noise.bin');
  // incompressible, so the file is read in several slabs and the next read comes after a chunk
  writeFileSync(f, randomBytes(3 << 20));
  execFileSync('xz', ['-0', '-T1', f]);
  const r = new LiblzmaReader(`${f}.xz`, l);
  const dir = path.join(d, 'a-directory');
  mkdirSync(dir);
  let got = 0;
  await assert.rejects((async () => {
    for await (const c of r) {
      if (got === 0) {
        // The next read fails (EISDIR) while a decoded slab is waiting to be copied out.
        const h = r as unknown as { fd: number };
        closeSync(h.fd);
        h.fd = openSync(dir, 'r');
      }
      got += (c as Buffer).length;
    }
  })(), /EISDIR/);
  assert.ok(got > 0);
});

test('a file that needs more than the memory limit is decoded by the fallback, not refused', async (t) => {
  const l = lib();
  const d = tempDir(t);
  const f = xzLog(d, 'bigdict.log', 5, 256 << 10, '-0');
  // A 300 MiB dictionary in the header: liblzma here declines it (LZMA.MEMLIMIT), whatever the size.
  execFileSync('xz', ['-f', '-T1', '-k', '--lzma2=preset=1,dict=300MiB,mf=hc3', f]);
  const want = readFileSync(f);
  await assert.rejects(drain(new LiblzmaReader(`${f}.xz`, l)), /Memory usage limit reached.*install xz-utils/);
  const viaDecompress = await decompress({ file: `${f}.xz` }, 'xz');
  assert.ok(viaDecompress instanceof LiblzmaReader);
  assert.ok((await drain(viaDecompress)).equals(want), 'the fallback hands on the whole file');
  const res = await runCli(['analyze', `${f}.xz`, '--json']);
  assert.equal(res.stderr, '');
  assert.equal(JSON.parse(res.stdout).inputs[0].bytes, want.length);
});

test('the peek that tells a tar from a log hands its own reader on: every byte once, from the first', async (t) => {
  lib();
  const d = tempDir(t);
  const catalog = loadCatalog([]);
  const big = `${xzLog(d, 'big.log', 3, 3 << 20, '-1')}.xz`;
  const tiny = path.join(d, 'tiny.log');
  writeFileSync(tiny, 'one short line, all of it read by the peek\n');
  execFileSync('xz', ['-k', tiny]);
  for (const file of [big, `${tiny}.xz`]) {
    const plan = await planInput(file, catalog);
    for await (const src of plan.sources) {
      assert.ok('readable' in src);
      // The first read is the peek's reader with its bytes put back; a second read opens the file again.
      for (let i = 0; i < 2; i++) {
        const r = await src.readable();
        // the peek's reader has read the file already; a fresh one has not started
        const read = (r as unknown as { bytesIn: number }).bytesIn;
        if (file === big) assert.ok(i === 0 ? read > 0 : read === 0, `read ${i + 1}: ${read} bytes in before it was taken`);
        assert.ok((await drain(r)).equals(xzDecoded(file)), `${path.basename(file)}, read ${i + 1}`);
      }
    }
  }
});

/** Resolves once `r` has met its error (it holds it until its buffered chunks are read). */
async function failedAhead(r: Readable): Promise<void> {
  const deadline = Date.now() + 15_000;
  while ((r as unknown as { failure?: Error }).failure === undefined) {
    assert.ok(Date.now() < deadline, `the reader never met the damage: destroyed ${r.destroyed}, buffered ${r.readableLength}`);
    await new Promise((res) => setTimeout(res, 5));
  }
}

/** Everything `r` hands on before its error, or a failure if it neither ends nor errs in time. */
async function untilError(r: Readable): Promise<{ bytes: Buffer; error?: Error }> {
  const parts: Buffer[] = [];
  let timer: NodeJS.Timeout | undefined;
  const stalled = new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error('the reader stalled: no end and no error')), 15_000); });
  try {
    await Promise.race([(async () => { for await (const c of r) parts.push(c as Buffer); })(), stalled]);
    return { bytes: Buffer.concat(parts) };
  } catch (e) {
    if (/stalled/.test((e as Error).message)) throw e;
    return { bytes: Buffer.concat(parts), error: e as Error };
  } finally {
    clearTimeout(timer);
  }
}

test('damage met while decoding ahead: the bytes before it, then the error, even when the failing call decoded nothing', async (t) => {
  const l = lib();
  const d = tempDir(t);
  const f = `${xzLog(d, 'small.log', 21, 1 << 20, '-1')}.xz`;
  const whole = readFileSync(f);
  writeFileSync(f, whole.subarray(0, whole.length >> 1));
  const want = spawnSync('xz', ['-dc', f], { maxBuffer: 1 << 26 }).stdout;
  for (let i = 0; i < 5; i++) {
    const r = new LiblzmaReader(f, l);
    r.read(0); // start decoding; nothing is taken yet
    await failedAhead(r);
    const got = await untilError(r);
    assert.match(got.error?.message ?? '', /Unexpected end of input/);
    assert.ok(got.bytes.equals(want), `${got.bytes.length} bytes, xz -dc wrote ${want.length}`);
  }
});

test('the memory-limit fallback: a cut file gives all xz -dc gives, and a big dictionary after a first stream is decoded whole', async (t) => {
  lib();
  const d = tempDir(t);
  // small enough that the program meets the cut while its output still waits in the readers' buffers
  const big = xzLog(d, 'bigdict.log', 8, 3 << 20, '-0');
  execFileSync('xz', ['-f', '-T1', '-k', '--lzma2=preset=1,dict=300MiB,mf=hc3', big]);
  const cut = path.join(d, 'cut.log.xz');
  const whole = readFileSync(`${big}.xz`);
  writeFileSync(cut, whole.subarray(0, whole.length >> 1));
  const want = spawnSync('xz', ['-dc', cut], { maxBuffer: 1 << 26 }).stdout;
  assert.ok(want.length > 1 << 20, 'several chunks decoded before the cut');
  const r = await decompress({ file: cut }, 'xz');
  r.read(0);
  await failedAhead(r);
  const got = await untilError(r);
  assert.match(got.error?.message ?? '', /Unexpected end of input/);
  assert.ok(got.bytes.equals(want), `${got.bytes.length} bytes, xz -dc wrote ${want.length}`);

  // A normal stream, then one past the limit: one file, as `cat a.xz b.xz` makes it.
  const small = xzLog(d, 'first.log', 9, 100_000, '-1');
  const both = path.join(d, 'both.log.xz');
  writeFileSync(both, Buffer.concat([readFileSync(`${small}.xz`), whole]));
  const all = await untilError(await decompress({ file: both }, 'xz'));
  assert.equal(all.error, undefined);
  assert.ok(all.bytes.equals(Buffer.concat([readFileSync(small), readFileSync(big)])), `${all.bytes.length} bytes`);
});

test('an .xz input rejected after the peek (binary inside, or nothing decodable) leaves no file open', async (t) => {
  lib();
  const d = tempDir(t);
  const catalog = loadCatalog([]);
  const bin = path.join(d, 'noise.bin');
  writeFileSync(bin, randomBytes(256 << 10));
  execFileSync('xz', ['-0', '-T1', bin]);
  const before = openFds();
  for (let i = 0; i < 5; i++) await assert.rejects(planInput(`${bin}.xz`, catalog), /xz-compressed binary data/);
  await fdsBackTo(before, 'every peeked file closed');
});
