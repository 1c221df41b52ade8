// The literal prefilter against a plain search: it may return any occurrence on the first line that
// holds one, but never -1 while an occurrence lies in the range, and never a false one.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LiteralIndex, textFrequencies, defaultFrequencies } from '../src/engine/prefilter.js';
import { rng } from './helpers/random-log.js';

function occurrences(b: Buffer, lits: Buffer[], from: number, to: number): number[] {
  const out: number[] = [];
  for (const l of lits) for (let p = b.indexOf(l, from); p !== -1 && p + l.length <= to; p = b.indexOf(l, p + 1)) out.push(p);
  return out.sort((x, y) => x - y);
}

function check(seed: number, lits: string[], size: number): { found: number; none: number } {
  const r = rng(seed);
  const alphabet = ['a', 'c', 'k', '-', 'o', 'f', ' ', 's', 'e', 't', 'm', 'r', 'x', 'i', 'u', '\n', 'é', '日'];
  const parts: string[] = [];
  let n = 0;
  while (n < size) {
    const s = r() < 0.04 ? lits[Math.floor(r() * lits.length)] : alphabet[Math.floor(r() * alphabet.length)];
    parts.push(s);
    n += s.length;
  }
  // A literal as the last bytes of the buffer: the probes there cannot read a second bigram.
  if (seed % 2 === 0) parts.push(lits[seed % lits.length]);
  // Odd and even byte offsets: the fast path reads 16-bit words, the other bytes.
  const whole = Buffer.from('x' + parts.join(''));
  const bufs = [whole.subarray(1), Buffer.from(whole.subarray(1))];
  const index = new LiteralIndex(lits, r() < 0.5 ? defaultFrequencies() : textFrequencies(whole));
  const bl = lits.map((l) => Buffer.from(l));
  let found = 0;
  let none = 0;
  for (const b of bufs) {
    for (let k = 0; k < 200; k++) {
      let from = Math.floor(r() * b.length);
      let to = from + Math.floor(r() * (b.length - from + 1));
      if (k % 5 === 0) [from, to] = [0, b.length];
      if (k % 5 === 1) to = b.length;
      const occ = occurrences(b, bl, from, to);
      // mark(): exactly the literals that occur in the range
      const seen = new Uint32Array(lits.length);
      index.mark(b, from, to, seen, k + 1);
      const want = bl.map((l) => { const p = b.indexOf(l, from); return p !== -1 && p + l.length <= to; });
      assert.deepEqual([...seen].map((v) => v === k + 1), want, `mark, seed ${seed}, [${from}, ${to})`);
      const h = index.find(b, from, to);
      const where = `seed ${seed}, [${from}, ${to}) of ${b.length}, offset ${b.byteOffset & 1}`;
      if (occ.length === 0) { assert.equal(h, -1, where); none++; continue; }
      assert.ok(occ.includes(h), `${where}: ${h} is not an occurrence (first is ${occ[0]})`);
      const lineStart = Math.max(from, b.lastIndexOf(10, h) + 1);
      const earlier = occ.find((o) => o < lineStart && bl.some((l) => b.subarray(o, o + l.length).equals(l) && o + l.length <= lineStart));
      assert.equal(earlier, undefined, `${where}: ${h} passes over an occurrence at ${earlier} on an earlier line`);
      found++;
    }
  }
  return { found, none };
}

test('prefilter finds what a plain search finds, for every probe step', () => {
  const sets = [
    ['ack-off', '--set-mark', '--xor-mark', 'Back-off restarting failed container'], // shortest 7: step 6
    ['setmr', 'ack-of', 'xiu-s'], // 5 bytes: step 4
    ['c-off ', 'mark--s'], // 6 bytes: step 4
    ['a set mark x', 'unknown option "--set-mark"'], // step 6, every position with a second bigram
    ['日é-mark', 'set-é', 'ack-off'], // non-ASCII: 5 bytes or more, fewer characters
  ];
  let found = 0;
  let none = 0;
  for (let seed = 1; seed <= 40; seed++) {
    const lits = sets[seed % sets.length];
    const c = check(seed, lits, 200 + (seed % 7) * 900);
    found += c.found;
    none += c.none;
  }
  // both outcomes were exercised
  assert.ok(found > 1000 && none > 300, `found ${found}, none ${none}`);
});

test('prefilter step follows the shortest literal, and a short literal is refused', () => {
  assert.equal(new LiteralIndex(['abcde'], defaultFrequencies()).step, 4);
  assert.equal(new LiteralIndex(['abcdefg', 'abcdefghijkl'], defaultFrequencies()).step, 6);
  assert.equal(new LiteralIndex([], defaultFrequencies()).find(Buffer.from('anything\n'), 0, 9), -1);
  assert.throws(() => new LiteralIndex(['abcd'], defaultFrequencies()), /"abcd" is shorter than 5 bytes/);
});
