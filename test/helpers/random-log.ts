// Random node logs for property tests: klog blocks, felix failures, kubelet back-offs, raw
// continuation lines, blank and over-long lines, in journal form. Seeded: the same text every run.

/** xorshift32 */
export function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13; x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5; x >>>= 0;
    return x / 2 ** 32;
  };
}

const J = 'May 26 18:07:15 node1 microk8s.daemon-kubelite[2187]: ';
const PIECES = [
  () => `${J}I0526 18:07:15.000001    2187 proxier.go:800] "Syncing iptables rules"`,
  () => `May 26 18:07:16 node1 calico-node[99]: 2025-05-26 18:07:16.000 [WARNING][83] felix/table.go 1454: Failed to execute ip(6)tables-restore command error=exit status 2 errorOutput="ip6tables-restore v1.8.9 (nf_tables): unknown option \\"--set-mark\\"\\n" input="" ipVersion=0x6 output="" table="mangle"`,
  () => [
    `${J}E0526 18:07:15.123456    2187 proxier.go:1564] "Failed to execute iptables-restore" err=<`,
    `${J}\texit status 2: Warning: Extension MARK revision 0 not supported, missing kernel module?`,
    `${J}\tip6tables-restore v1.8.9 (nf_tables): unknown option "--xor-mark"`,
    `${J}\tError occurred at line: 20`,
    `${J} > ipFamily="IPv6"`,
  ].join('\n'),
  () => 'May 26 18:07:17 node1 microk8s.daemon-kubelite[2187]: E0526 18:07:17.000000 2187 pod_workers.go:1298] "Error syncing pod, skipping" err="failed to \\"StartContainer\\" for \\"calico-node\\" with CrashLoopBackOff: \\"back-off 5m0s restarting failed container=calico-node pod=calico-node-abcde_kube-system\\""',
  () => '\tat raw continuation text without a stamp',
  () => '',
];

export function randomLog(r: () => number, maxLong: number, format: 'journal' | 'cri' = 'journal'): string {
  if (format === 'cri') return randomCriLog(r, maxLong);
  const lines: string[] = [];
  const n = 20 + Math.floor(r() * 400);
  for (let i = 0; i < n; i++) {
    const x = r();
    if (x < 0.04) lines.push('z'.repeat(Math.floor(r() * maxLong)));
    else if (i === n - 1 && x < 0.3) lines.push('z'.repeat(maxLong)); // a long last line, maybe unterminated
    else lines.push(PIECES[Math.floor(r() * PIECES.length)]());
  }
  return lines.join('\n') + (r() < 0.5 ? '\n' : '');
}

const FELIX_FAILURE = '2025-05-26 18:07:16.000 [WARNING][83] felix/table.go 1454: Failed to execute ip(6)tables-restore command error=exit status 2 errorOutput="ip6tables-restore v1.8.9 (nf_tables): unknown option \\"--set-mark\\"\\n" input="" ipVersion=0x6 output="" table="mangle"';
const FELIX_QUIET = '2025-05-26 18:07:16.000 [INFO][83] felix/int_dataplane.go 1904: Received *proto.HostMetadataV4V6Update update from calculation graph msg=hostname:"node1"';

/** A container log in CRI form: some lines written whole (`F`), some in partial chunks (`P` … `F`)
 *  cut at random bytes, through the literals too. */
function randomCriLog(r: () => number, maxLong: number): string {
  const out: string[] = [];
  const n = 20 + Math.floor(r() * 300);
  for (let i = 0; i < n; i++) {
    const stamp = `2025-05-26T18:07:${String(i % 60).padStart(2, '0')}.${String(i).padStart(9, '0')}Z stdout`;
    const x = r();
    const text = x < 0.3 ? FELIX_FAILURE : x < 0.04 + 0.3 ? 'z'.repeat(Math.floor(r() * maxLong)) : FELIX_QUIET;
    if (r() < 0.4) {
      let at = 0;
      while (at < text.length) {
        const len = 1 + Math.floor(r() * 120);
        const last = at + len >= text.length;
        out.push(`${stamp} ${last ? 'F' : 'P'} ${text.slice(at, at + len)}`);
        at += len;
      }
    } else {
      out.push(`${stamp} F ${text}`);
    }
  }
  return out.join('\n') + (r() < 0.5 ? '\n' : '');
}
