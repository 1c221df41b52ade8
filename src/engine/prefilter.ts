// Literal prefilter for the bulk path: a rare-bigram skip loop (shared/reference/scan-performance.md, 5g).
// Every literal registers the K consecutive bigrams of its rarest window; probing every K-th byte then
// cannot miss an occurrence, and most probes cost one table load.

export const K = 4;

export function bigramFrequencies(sample: Buffer): Uint32Array {
  const f = new Uint32Array(65536);
  for (let i = 0; i + 1 < sample.length; i++) f[(sample[i] << 8) | sample[i + 1]]++;
  return f;
}

/** A built-in guess of log-text bigram frequencies, used until real data has been seen. */
export function defaultFrequencies(): Uint32Array {
  const sample = Buffer.from(
    'May 26 18:20:48 node1 microk8s.daemon-kubelite[1234]: I0526 18:20:48.123456    1234 kubelet.go:2418] "SyncLoop (PLEG): event for pod" pod="kube-system/coredns-7896dbf49-abcde" event={"ID":"0a1b2c3d","Type":"ContainerStarted"}\n' +
    '2025-05-26 18:20:48.123 [INFO][72] felix/int_dataplane.go 1904: Received *proto.HostMetadataV4V6Update update from calculation graph msg=hostname:"node1" ipv4_addr:"10.0.0.5/24"\n' +
    'time="2025-05-26T18:20:48.400762292+08:00" level=info msg="StartContainer for \\"abc\\" returns successfully"\n',
  );
  return bigramFrequencies(sample);
}

export class LiteralIndex {
  readonly literals: Buffer[];
  private readonly flags = new Uint8Array(65536);
  /** per bigram: flattened (literal index, offset) pairs */
  private readonly entries: (Int32Array | undefined)[] = new Array(65536);

  constructor(literals: string[], freq: Uint32Array) {
    this.literals = literals.map((l) => Buffer.from(l, 'utf8'));
    const lists = new Map<number, number[]>();
    this.literals.forEach((lit, li) => {
      if (lit.length < K + 1) throw new Error(`literal "${lit}" is shorter than ${K + 1} bytes`);
      let best = 0;
      let bestCost = Infinity;
      for (let j = 0; j + K < lit.length; j++) {
        let cost = 0;
        for (let t = 0; t < K; t++) cost += freq[(lit[j + t] << 8) | lit[j + t + 1]];
        if (cost < bestCost) [best, bestCost] = [j, cost];
      }
      for (let t = 0; t < K; t++) {
        const off = best + t;
        const bg = (lit[off] << 8) | lit[off + 1];
        this.flags[bg] = 1;
        const l = lists.get(bg) ?? [];
        l.push(li, off);
        lists.set(bg, l);
      }
    });
    for (const [bg, l] of lists) this.entries[bg] = Int32Array.from(l);
  }

  /** Start of the first literal occurrence found in [from, to), or -1. Literals never span a newline,
   *  so `to` must be a line boundary. `probes` counts candidate comparisons (for tests). */
  find(b: Buffer, from: number, to: number): number {
    const flags = this.flags;
    const last = to - 1;
    for (let i = from; i < last; i += K) {
      if (flags[(b[i] << 8) | b[i + 1]] === 0) continue;
      const list = this.entries[(b[i] << 8) | b[i + 1]]!;
      for (let k = 0; k < list.length; k += 2) {
        const lit = this.literals[list[k]];
        const s = i - list[k + 1];
        if (s < from || s + lit.length > to) continue;
        let j = 0;
        while (j < lit.length && b[s + j] === lit[j]) j++;
        if (j === lit.length) return s;
      }
    }
    return -1;
  }
}
