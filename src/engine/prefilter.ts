// Literal prefilter for the bulk path: a rare-bigram skip loop (shared/reference/scan-performance.md, 5g),
// with a second bigram checked before any literal is compared.
//
// Every literal registers `step` consecutive positions of its rarest window; probing every step-th byte
// then cannot miss an occurrence. A probe at i reads the bigram at i and the one at i+2 and ANDs their
// bucket masks (one bucket per literal, modulo 31). On a log, one bigram alone passed ~13 % of probes
// to the literal comparisons (`er`, `co`, `ta` are in many windows); the pair passes a small fraction
// of that. Positions too close to a literal's end to have a second bigram use the wildcard bucket,
// which the second table passes everywhere.
import { endianness } from 'node:os';

/** longest probe step; the step is also bounded by the shortest literal (a 5-byte literal gives 4) */
const MAX_STEP = 6;
const WILD = 1 << 31;
const BUCKETS = 31;
/** aligned 16-bit loads read bigrams as b[i] | b[i+1] << 8 only on a little-endian machine */
const LE = endianness() === 'LE';

/** How often each bigram, and each 4-byte sequence (hashed), occurs in a sample of the text. */
export interface Frequencies {
  bigrams: Uint32Array;
  quads: Uint32Array;
}

const QUAD_BITS = 16;
const quadSlot = (q: number): number => Math.imul(q, 0x9e3779b1) >>> (32 - QUAD_BITS);
const quadAt = (b: Uint8Array, i: number): number => b[i] | (b[i + 1] << 8) | (b[i + 2] << 16) | (b[i + 3] << 24);

export function textFrequencies(sample: Uint8Array): Frequencies {
  const bigrams = new Uint32Array(65536);
  const quads = new Uint32Array(1 << QUAD_BITS);
  let q = 0;
  for (let i = 0; i < sample.length; i++) {
    q = (q >>> 8) | (sample[i] << 24);
    if (i >= 1) bigrams[(sample[i - 1] << 8) | sample[i]]++;
    if (i >= 3) quads[quadSlot(q)]++;
  }
  return { bigrams, quads };
}

/** A built-in guess of log-text frequencies, used until real data has been seen. */
export function defaultFrequencies(): Frequencies {
  const sample = Buffer.from(
    'May 26 18:20:48 node1 microk8s.daemon-kubelite[1234]: I0526 18:20:48.123456    1234 kubelet.go:2418] "SyncLoop (PLEG): event for pod" pod="kube-system/coredns-7896dbf49-abcde" event={"ID":"0a1b2c3d","Type":"ContainerStarted"}\n' +
    '2025-05-26 18:20:48.123 [INFO][72] felix/int_dataplane.go 1904: Received *proto.HostMetadataV4V6Update update from calculation graph msg=hostname:"node1" ipv4_addr:"10.0.0.5/24"\n' +
    'time="2025-05-26T18:20:48.400762292+08:00" level=info msg="StartContainer for \\"abc\\" returns successfully"\n',
  );
  return textFrequencies(sample);
}

/** The tables' key of the bigram at b[i]: low byte first, as a little-endian 16-bit load reads it. */
const key = (b: Uint8Array, i: number): number => b[i] | (b[i + 1] << 8);

export class LiteralIndex {
  readonly literals: Buffer[];
  /** probe distance: even, so that the fast path's probes stay on 16-bit boundaries (the byte-wise
   *  path and mark() probe from wherever their range starts) */
  readonly step: number;
  /** bucket bits by the bigram at a probe */
  private readonly first = new Int32Array(65536);
  /** bucket bits by the bigram two bytes after a probe */
  private readonly second = new Int32Array(65536);
  /** per first bigram bg: the (literal index, offset) pairs in pairs[starts[bg] .. starts[bg + 1]).
   *  Flat typed arrays: an array of 65,536 slots took 2 ms to create, and a run builds one index per
   *  set of active signals (8 for a small bundle). */
  private readonly starts = new Int32Array(65537);
  private readonly pairs: Int32Array;

  constructor(literals: string[], freq: Frequencies) {
    this.literals = literals.map((l) => Buffer.from(l, 'utf8'));
    const shortest = this.literals.length ? Math.min(...this.literals.map((l) => l.length)) : MAX_STEP + 1;
    if (shortest < 5) throw new Error(`literal "${literals[this.literals.findIndex((l) => l.length < 5)]}" is shorter than 5 bytes`);
    const K = (this.step = Math.min(MAX_STEP, shortest - 1) & ~1);
    const { bigrams, quads } = freq;
    this.second.fill(WILD);
    const lists = new Map<number, number[]>();
    this.literals.forEach((lit, li) => {
      const bucket = 1 << (li % BUCKETS);
      // how often a probe passes both tables for position o of this literal: counted, not the product
      // of the two bigrams' rates (`lico` of calico is far more common than `li` and `co` suggest)
      const pass = (o: number): number => (o + 3 < lit.length ? quads[quadSlot(quadAt(lit, o))] : bigrams[(lit[o] << 8) | lit[o + 1]]) + 1;
      let best = 0;
      let bestCost = Infinity;
      for (let j = 0; j + K < lit.length; j++) {
        let cost = 0;
        for (let t = 0; t < K; t++) cost += pass(j + t);
        if (cost < bestCost) [best, bestCost] = [j, cost];
      }
      for (let t = 0; t < K; t++) {
        const o = best + t;
        const bg = key(lit, o);
        if (o + 3 < lit.length) {
          this.first[bg] |= bucket;
          this.second[key(lit, o + 2)] |= bucket;
        } else {
          this.first[bg] |= WILD;
        }
        const l = lists.get(bg) ?? [];
        l.push(li, o);
        lists.set(bg, l);
      }
    });
    let n = 0;
    for (const l of lists.values()) n += l.length;
    this.pairs = new Int32Array(n);
    const sorted = [...lists.keys()].sort((a, c) => a - c);
    let at = 0;
    let next = 0;
    for (const bg of sorted) {
      this.starts.fill(at, next, bg + 1);
      const l = lists.get(bg)!;
      this.pairs.set(l, at);
      at += l.length;
      next = bg + 1;
    }
    this.starts.fill(at, next);
  }

  /** Start of a literal occurrence in [from, to), or -1 when there is none. Which one, when a range
   *  holds several, is not defined beyond this: no occurrence on an earlier line is passed over.
   *  Literals never span a newline, so `to` must be a line boundary. */
  find(b: Buffer, from: number, to: number): number {
    const { first, second, step } = this;
    const last = to - 1; // a probe needs its bigram inside the range
    let i = from;
    if (LE && (b.byteOffset & 1) === 0) {
      // Probes on even positions only: the window of any occurrence at or after `from` holds one.
      i += i & 1;
      const u = new Uint16Array(b.buffer, b.byteOffset, b.length >> 1);
      const s2 = step >> 1;
      // the second load must stay inside the buffer; what lies past `to` only filters
      const end = Math.min(last, b.length - 3);
      for (let j = i >> 1; 2 * j < end; j += s2) {
        if ((first[u[j]] & second[u[j + 1]]) === 0) continue;
        const h = this.verify(b, 2 * j, from, to);
        if (h !== -1) return h;
      }
      if (end > i) i += Math.ceil((end - i) / step) * step; // the next probe in the same phase
    }
    for (; i < last; i += step) {
      const m = first[key(b, i)] & (i + 3 < b.length ? second[key(b, i + 2)] : -1);
      if (m === 0) continue;
      const h = this.verify(b, i, from, to);
      if (h !== -1) return h;
    }
    return -1;
  }

  /** Sets `seen[li] = stamp` for every literal li that occurs in b[from, to): one pass of probes,
   *  where checking each literal in turn would search the text once per literal. */
  mark(b: Buffer, from: number, to: number, seen: Uint32Array, stamp: number): void {
    const { first, second, step, starts, pairs, literals } = this;
    for (let i = from; i < to - 1; i += step) {
      if ((first[key(b, i)] & (i + 3 < b.length ? second[key(b, i + 2)] : -1)) === 0) continue;
      const bg = key(b, i);
      for (let k = starts[bg], e = starts[bg + 1]; k < e; k += 2) if (occursAt(b, literals[pairs[k]], i - pairs[k + 1], from, to)) seen[pairs[k]] = stamp;
    }
  }

  /** The literals registered at the bigram at i, compared in full. */
  private verify(b: Buffer, i: number, from: number, to: number): number {
    const { starts, pairs } = this;
    const bg = key(b, i);
    for (let k = starts[bg], e = starts[bg + 1]; k < e; k += 2) {
      const s = i - pairs[k + 1];
      if (occursAt(b, this.literals[pairs[k]], s, from, to)) return s;
    }
    return -1;
  }
}

/** `lit` starts at s and lies wholly inside [from, to). */
function occursAt(b: Buffer, lit: Buffer, s: number, from: number, to: number): boolean {
  if (s < from || s + lit.length > to) return false;
  let j = 0;
  while (j < lit.length && b[s + j] === lit[j]) j++;
  return j === lit.length;
}
