import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseLine, detectFormat } from '../src/parse/formats.js';
import { parseIso, parseDuration } from '../src/parse/time.js';
import { renderJournalEntry } from '../src/parse/journal-json.js';
import { loadCatalog } from '../src/catalog/load.js';
import { compileMatcher } from '../src/engine/matcher.js';
import { StreamScanner } from '../src/engine/scanner.js';
import type { EngineEvent, HitEvent } from '../src/engine/events.js';

const ctx = { refTime: Date.UTC(2025, 4, 27, 12) };
const iso = (t: number | undefined): string | undefined => (t === undefined ? undefined : new Date(t).toISOString());

test('journal short: host, identifier, classic stamp with inferred year', () => {
  const p = parseLine('May 26 18:20:48 node1 microk8s.daemon-kubelite[1234]: I0526 18:20:48.123456    1234 kubelet.go:2418] "SyncLoop"', undefined, ctx);
  assert.equal(p.format, 'journal');
  assert.equal(p.host, 'node1');
  assert.equal(p.unit, 'microk8s.daemon-kubelite');
  assert.equal(iso(p.time), '2025-05-26T18:20:48.000Z');
  assert.equal(p.level, 'info', 'level of the wrapped klog line');
  assert.match(p.msg, /^I0526/);
});

test('a December line in a January bundle belongs to the previous year', () => {
  const p = parseLine('Dec 31 23:59:59 node1 kernel: x', undefined, { refTime: Date.UTC(2025, 0, 2) });
  assert.equal(iso(p.time), '2024-12-31T23:59:59.000Z');
});

test('journal short-precise and short-iso (old +0000 and new +00:00 zones)', () => {
  assert.equal(iso(parseLine('May 26 18:20:48.123456 node1 unit[1]: m', undefined, ctx).time), '2025-05-26T18:20:48.123Z');
  const a = parseLine('2025-05-26T18:20:48+0200 node1 containerd[99]: m', undefined, ctx);
  assert.equal(a.format, 'journal-iso');
  assert.equal(iso(a.time), '2025-05-26T16:20:48.000Z');
  assert.equal(iso(parseLine('2026-01-05T13:54:43.262668+01:00 host tag[5]: m', undefined, ctx).time), '2026-01-05T12:54:43.262Z');
});

test('klog text: level letter and MMDD', () => {
  const p = parseLine('E0526 18:20:48.123456    1234 proxier.go:1564] "Failed to execute iptables-restore" err=<', undefined, ctx);
  assert.equal(p.format, 'klog');
  assert.equal(p.level, 'error');
  assert.equal(iso(p.time), '2025-05-26T18:20:48.123Z');
});

test('CRI: zone, stream, partial flag', () => {
  const p = parseLine('2025-05-26T18:20:48.123456789+02:00 stderr P part one', undefined, ctx);
  assert.equal(p.format, 'cri');
  assert.equal(p.partial, true);
  assert.equal(p.msg, 'part one');
  assert.equal(iso(p.time), '2025-05-26T16:20:48.123Z');
  assert.equal(parseLine('2025-05-26T18:20:48Z stdout F done', undefined, ctx).partial, false);
});

test('logrus, felix, describe and get-events rows', () => {
  const l = parseLine('time="2025-05-26T18:20:48.400762292+08:00" level=error msg="failed to pull"', undefined, ctx);
  assert.equal(l.format, 'logrus');
  assert.equal(l.level, 'error');
  assert.equal(iso(l.time), '2025-05-26T10:20:48.400Z');
  const f = parseLine('2025-05-26 18:20:48.123 [WARNING][72] felix/table.go 1454: Failed', undefined, ctx);
  assert.equal(f.format, 'felix');
  assert.equal(f.level, 'warning');
  const d = parseLine('  Warning  BackOff  3m (x25 over 8m)  kubelet  Back-off restarting failed container calico-node in pod calico-node-x_kube-system(uid)', undefined, ctx);
  assert.equal(d.format, 'describe-events');
  assert.equal(d.level, 'warning');
  const g = parseLine('kube-system  118s  Warning  BackOff  pod/calico-node-abc12  Back-off restarting failed container', undefined, ctx);
  assert.equal(g.format, 'get-events');
});

test('unknown lines are plain text, and keep a leading date (dpkg.log)', () => {
  const p = parseLine('2025-05-26 17:41:03 status installed linux-image-6.8.0-57-generic:amd64 6.8.0-57.59', undefined, ctx);
  assert.equal(p.format, 'plain');
  assert.equal(iso(p.time), '2025-05-26T17:41:03.000Z');
  assert.equal(parseLine('just words', undefined, ctx).format, 'plain');
});

test('format detection picks the majority, and plain when nothing reaches a third', () => {
  assert.equal(detectFormat(['2025-05-26 18:20:48.123 [INFO][1] felix/x.go 1: a', '2025-05-26 18:20:48.124 [INFO][1] felix/x.go 1: b', 'garbage'], ctx), 'felix');
  assert.equal(detectFormat(['a', 'b', 'c', 'May 26 18:20:48 h u: x'], ctx), 'plain');
});

test('journal JSON entries render as prefixed lines; byte arrays decode; null is a blob', () => {
  const lines = renderJournalEntry({ __REALTIME_TIMESTAMP: '1748283648123456', _HOSTNAME: 'node1', SYSLOG_IDENTIFIER: 'microk8s.daemon-kubelite', _PID: '2187', MESSAGE: [104, 105, 10, 9, 120] });
  assert.deepEqual(lines, ['2025-05-26T18:20:48.123456Z node1 microk8s.daemon-kubelite[2187]: hi', '2025-05-26T18:20:48.123456Z node1 microk8s.daemon-kubelite[2187]: \tx']);
  assert.match(renderJournalEntry({ __REALTIME_TIMESTAMP: '1', MESSAGE: null })[0], /\[blob data\]$/);
});

test('durations: single units and the compound spans kubectl prints', () => {
  assert.equal(parseDuration('10m'), 600_000);
  assert.equal(parseDuration('5m54s'), 354_000);
  assert.equal(parseDuration('2y45d'), (2 * 365 + 45) * 86_400_000);
});

test('ISO stamps that do not exist are no time, not a rolled-over one', () => {
  assert.equal(parseIso('nonsense'), undefined);
  assert.equal(parseIso('2025-13-45T99:99:99Z'), undefined);
  assert.equal(parseIso('2025-02-29T10:00:00Z'), undefined);
  assert.equal(parseIso('2025-05-26T24:00:00Z'), undefined);
  assert.equal(parseIso('2024-02-29T10:00:00Z'), Date.UTC(2024, 1, 29, 10));
  assert.equal(parseIso('2025-05-26T18:20:48.5+02:00'), Date.UTC(2025, 4, 26, 16, 20, 48, 500));
});

test('the year of a stamp without one: nearest the reference, at most two days after it, and a date that exists', () => {
  const at = (line: string, ref: number): string | undefined => {
    const t = parseLine(line, undefined, { refTime: ref }).time;
    return t === undefined ? undefined : new Date(t).toISOString();
  };
  const lateDec = Date.UTC(2024, 11, 31, 23);
  assert.equal(at('Jan  1 00:30:00 node1 kernel: x', lateDec), '2025-01-01T00:30:00.000Z', 'a January line against a December mtime (a zone ahead of UTC) is next year');
  assert.equal(at('Dec 31 23:50:00 node1 kernel: x', Date.UTC(2025, 0, 1, 0, 30)), '2024-12-31T23:50:00.000Z', 'a December line in a January bundle is last year');
  assert.equal(at('May 27 10:00:00 node1 kernel: x', Date.UTC(2025, 4, 26)), '2025-05-27T10:00:00.000Z', 'within two days after the reference: this year');
  assert.equal(at('May 29 10:00:00 node1 kernel: x', Date.UTC(2025, 4, 26)), '2024-05-29T10:00:00.000Z', 'more than two days after: last year');
  assert.equal(at('Feb 29 10:00:00 node1 kernel: x', Date.UTC(2025, 4, 26)), '2024-02-29T10:00:00.000Z', 'Feb 29 read in 2025 is 2024\'s');
  assert.equal(at('E0229 10:00:00.000000    2187 proxier.go:1] x', Date.UTC(2025, 4, 26)), '2024-02-29T10:00:00.000Z', 'klog too');
});

// Record assembly through the real scanner, fed in every possible split, so joins hold across chunk edges.
const matcher = compileMatcher(loadCatalog());
function scan(text: string, pieces = 1, capacity = 1 << 16): EngineEvent[] {
  const events: EngineEvent[] = [];
  const sc = new StreamScanner(matcher, { source: 't', path: 't.log', role: 'log', time: ctx }, (e) => events.push(e), capacity);
  const b = Buffer.from(text);
  const step = Math.ceil(b.length / pieces);
  for (let i = 0; i < b.length; i += step) sc.push(b.subarray(i, i + step));
  sc.end();
  return events;
}
const hits = (ev: EngineEvent[]): HitEvent[] => ev.filter((e): e is HitEvent => e.type === 'hit' && e.patternId === 'kernel-ipv6-mark-regression');

const KLOG_BLOCK = [
  'May 26 18:07:14 node1 microk8s.daemon-kubelite[2187]: I0526 18:07:14.000001    2187 proxier.go:800] "Syncing iptables rules"',
  'May 26 18:07:15 node1 microk8s.daemon-kubelite[2187]: E0526 18:07:15.123456    2187 proxier.go:1564] "Failed to execute iptables-restore" err=<',
  'May 26 18:07:15 node1 microk8s.daemon-kubelite[2187]: \texit status 2: Warning: Extension MARK revision 0 not supported, missing kernel module?',
  'May 26 18:07:15 node1 microk8s.daemon-kubelite[2187]: \tip6tables-restore v1.8.9 (nf_tables): unknown option "--xor-mark"',
  'May 26 18:07:15 node1 microk8s.daemon-kubelite[2187]: \tError occurred at line: 16',
  'May 26 18:07:15 node1 microk8s.daemon-kubelite[2187]:  > ipFamily="IPv6"',
  'May 26 18:07:16 node1 microk8s.daemon-kubelite[2187]: I0526 18:07:16.000001    2187 proxier.go:800] "Syncing iptables rules"',
].join('\n') + '\n';

test('klog err=< block across journal prefixes is one record, whatever the chunking', () => {
  for (const pieces of [1, 2, 3, 7, 50, KLOG_BLOCK.length]) {
    const h = hits(scan(KLOG_BLOCK, pieces));
    assert.equal(h.length, 1, `one record (pieces=${pieces})`);
    assert.deepEqual(h[0].signals.sort(), ['mark-extension-missing', 'xor-mark-rejected']);
    assert.equal(h[0].evidence.line, 2, 'evidence points at the block header');
    assert.equal(h[0].evidence.text.split('\n').length, 5, 'header, three value lines and the close');
    assert.equal(h[0].captures.family, 'ip6tables', 'the IPv6 context that lets the MARK warning count');
  }
});

const DESCRIBE = [
  'Name:             calico-node-x7k2p',
  'Events:',
  '  Type     Reason     Age                 From     Message',
  '  ----     ------     ----                ----     -------',
  '  Warning  Unhealthy  2m (x40 over 20m)   kubelet  Readiness probe failed: 2025-05-26 18:07:01.123 [INFO][200] confd/health.go 180: Number of node(s) with BGP peering established = 0',
  'calico/node is not ready: BIRD is not ready: BGP not established with 10.0.0.2',
  '  Warning  BackOff    1m (x12 over 9m)    kubelet  Back-off restarting failed container calico-node in pod calico-node-x7k2p_kube-system(3f1d)',
  '',
  'calico/node is not ready: BIRD is not ready: BGP not established with 10.0.0.3',
].join('\n') + '\n';

test('kubectl describe: an event message that goes on at column 0 is its row\'s, with the row\'s (xN over D), whatever the chunking', () => {
  for (const pieces of [1, 2, 5, 40, DESCRIBE.length]) {
    const ev = scan(DESCRIBE, pieces).filter((e): e is HitEvent => e.type === 'hit' && e.patternId === 'calico-node-not-ready');
    assert.equal(ev.length, 2, `pieces=${pieces}`);
    assert.equal(ev[0].evidence.line, 5, 'the row');
    assert.match(ev[0].evidence.text, /x40 over 20m[\s\S]*\ncalico\/node is not ready: BIRD is not ready: BGP not established with 10\.0\.0\.2$/);
    assert.deepEqual(ev[0].repeat, { count: 40, overMs: 20 * 60_000 });
    // after a blank line (another object) a raw line is on its own
    assert.equal(ev[1].evidence.line, 9);
    assert.equal(ev[1].repeat, undefined);
  }
});

test('an ended scanner hands its buffer to the next one and takes no more bytes itself', () => {
  const events: EngineEvent[] = [];
  const info = { source: 't', path: 't.log', role: 'log' as const, time: ctx };
  const first = new StreamScanner(matcher, info, (e) => events.push(e), 1 << 16);
  first.push(Buffer.from(KLOG_BLOCK.slice(0, 200))); // a record cut in the middle: its bytes stay buffered
  first.end();
  assert.throws(() => first.push(Buffer.from(KLOG_BLOCK)), /pushed after the scan ended/);
  // The next scanner of that capacity gets the same memory, holding the first one's bytes: it must
  // read only its own.
  for (let i = 0; i < 3; i++) assert.equal(hits(scan(KLOG_BLOCK, 3)).length, 1);
  assert.equal(hits(scan('no failure here\n'.repeat(40), 2)).length, 0);
  // Nothing received yet: a live stream that is flushed or settles must not scan the last owner's bytes.
  const quiet = new StreamScanner(matcher, info, (e) => events.push(e), 1 << 16);
  events.length = 0;
  quiet.flush();
  quiet.settle(false);
  quiet.settle(true);
  assert.deepEqual(events, []);
});

test('after a line is cut for length, a live flush does not scan the bytes it dropped a second time', () => {
  // The cut empties the buffer; a flush then asked lastIndexOf(10, -1), which searches from the end
  // of the whole buffer, and scanned the old block again (two more hits, at line 6).
  const cap = 1 << 16;
  const events: EngineEvent[] = [];
  const sc = new StreamScanner(matcher, { source: 't', path: 't.log', role: 'log', time: ctx }, (e) => events.push(e), cap);
  sc.push(Buffer.from(KLOG_BLOCK));
  sc.flush();
  sc.push(Buffer.from('y'.repeat(cap - Buffer.byteLength(KLOG_BLOCK))));
  sc.push(Buffer.from('zz'));
  sc.flush();
  sc.settle();
  sc.end();
  assert.equal(hits(events).length, 1, JSON.stringify(hits(events).map((h) => h.evidence.line)));
});

test('journal without -a expands the tab to spaces: still one block', () => {
  const text = KLOG_BLOCK.replace(/: \t/g, ':         ');
  const h = hits(scan(text));
  assert.equal(h.length, 1);
  assert.match(h[0].evidence.text, /--xor-mark/);
});

test('CRI P chunks join with their F line, and the literal may sit in either', () => {
  const msg = '2025-05-26 18:07:12.345 [WARNING][83] felix/table.go 1454: Failed to execute ip(6)tables-restore command error=exit status 2 errorOutput="ip6tables-restore v1.8.4 (legacy): unknown option \\"--set-mark\\"\\n" input="*mangle\\nCOMMIT\\n" ipVersion=0x6 output="" table="mangle"';
  for (const cut of [60, 150, 200, 240]) {
    const text = `2025-05-26T18:07:12.1Z stdout F before\n2025-05-26T18:07:12.2Z stdout P ${msg.slice(0, cut)}\n2025-05-26T18:07:12.2Z stdout P ${msg.slice(cut, cut + 20)}\n2025-05-26T18:07:12.2Z stdout F ${msg.slice(cut + 20)}\n2025-05-26T18:07:12.3Z stdout F after\n`;
    for (const pieces of [1, 5, 40]) {
      const h = hits(scan(text, pieces));
      assert.equal(h.length, 1, `cut=${cut} pieces=${pieces}`);
      assert.equal(h[0].evidence.line, 2);
      assert.equal(h[0].captures.ipVersion, '0x6');
      assert.equal(h[0].captures.iptablesVersion, '1.8.4');
    }
  }
});

test('felix continuation lines (raw newlines in error=) join the stamped line above', () => {
  const text = [
    '2025-05-26 18:07:12.000 [INFO][83] felix/int_dataplane.go 1: before',
    '2025-05-26 18:07:12.345 [WARNING][83] felix/table.go 1454: Failed to execute ip(6)tables-restore command error=exit status 2: Warning: Extension MARK revision 0 not supported, missing kernel module?',
    'ip6tables-restore v1.8.9 (nf_tables): unknown option "--set-mark"',
    'Error occurred at line: 3',
    '2025-05-26 18:07:12.400 [INFO][83] felix/int_dataplane.go 1: after',
  ].join('\n');
  const h = hits(scan(text));
  assert.equal(h.length, 1);
  assert.equal(h[0].evidence.line, 2);
  assert.equal(h[0].evidence.time, '2025-05-26T18:07:12.345Z', 'time from the stamped head');
});

test('line numbers count every line, across chunks and records', () => {
  const filler = 'May 26 18:00:00 node1 systemd[1]: Started something.\n'.repeat(5000);
  const text = filler + KLOG_BLOCK + filler + KLOG_BLOCK;
  const h = hits(scan(text, 13, 1 << 16));
  assert.deepEqual(h.map((x) => x.evidence.line), [5002, 10009]);
});

test('a line longer than the buffer is cut, scanned at its start, and the rest skipped', () => {
  const events = scan('x'.repeat(300_000) + '\n' + KLOG_BLOCK, 30, 1 << 16);
  const long = events.find((e) => e.type === 'problem' && /longer than/.test(e.reason));
  assert.equal(long?.type === 'problem' ? long.line : undefined, 1, 'the problem names the long line');
  const h = hits(events);
  assert.equal(h.length, 1);
  assert.equal(h[0].evidence.line, 3, 'the cut line still counts as one line');
});

test('a record followed by a line longer than the buffer is taken as it stands (no hang)', () => {
  // The record waits to see whether the next line continues it; that line does not fit. The scan used
  // to spin forever here, with a full buffer and nothing it could drop.
  const failure = '2025-05-26 18:07:16.000 [WARNING][83] felix/table.go 1454: Failed to execute ip(6)tables-restore command error=exit status 2 errorOutput="ip6tables-restore v1.8.9 (nf_tables): unknown option \\"--set-mark\\"\\n" input="" ipVersion=0x6 output="" table="mangle"';
  for (const pieces of [1, 7, 40]) {
    const events = scan(failure + '\n' + 'x'.repeat(300_000) + '\n' + failure + '\n', pieces, 1 << 16);
    assert.deepEqual(hits(events).map((h) => h.evidence.line), [1, 3], `${pieces} pieces`);
    const long = events.filter((e) => e.type === 'problem').map((e) => (e.type === 'problem' ? e.line : 0));
    assert.deepEqual(long, [2], `${pieces} pieces`);
  }
});

test('a required context: the IPv4 MARK warning is neither an occurrence nor evidence of the IPv6 regression', () => {
  const text = [
    'May 26 18:07:15 node1 kernel: iptables: Extension MARK revision 0 not supported, missing kernel module?',
    '2025-05-26 18:07:16.000 [WARNING][83] felix/table.go 1454: Failed to execute ip(6)tables-restore command error=exit status 2 errorOutput="Warning: Extension MARK revision 0 not supported, missing kernel module?\\nip6tables-restore v1.8.9 (nf_tables): unknown option \\"--set-mark\\"\\n" input="" ipVersion=0x6 output="" table="mangle"',
  ].join('\n');
  const h = hits(scan(text));
  assert.equal(h.length, 1);
  assert.equal(h[0].evidence.line, 2);
});

test('a kubectl describe event row stands for its (xN over D) events, counted in a window by their spread', async () => {
  const { describeRepeat } = await import('../src/parse/formats.js');
  assert.deepEqual(describeRepeat('  Warning  BackOff    2m43s (x12 over 5m54s)  kubelet, node1  Back-off restarting failed container'), { count: 12, overMs: 354_000 });
  assert.deepEqual(describeRepeat('Warning  Unhealthy  2m (x6 over 2d3h)   kubelet  Liveness probe failed'), { count: 6, overMs: (2 * 24 + 3) * 3_600_000 });
  assert.equal(describeRepeat('  Normal   Killing    11m                kubelet  Container calico-node failed liveness probe'), undefined);
  assert.deepEqual(describeRepeat('  Warning  BackOff    3d (x40 over 2y45d)  kubelet  Back-off restarting failed container'), { count: 40, overMs: (2 * 365 + 45) * 86_400_000 });
  // A forged count stays a finite, safe number (it made occurrences null in the JSON, "Infinity×" in text).
  assert.equal(describeRepeat(`  Warning  BackOff    3m (x${'9'.repeat(400)} over 8m)  kubelet  Back-off restarting failed container`)?.count, 1_000_000);
  const { diagnose } = await import('../src/engine/diagnose.js');
  const { initialState, reduce } = await import('../src/engine/state.js');
  const cat = loadCatalog();
  const rows = (over: string): string => [
    'Events:',
    '  Type     Reason     Age                From     Message',
    '  ----     ------     ----               ----     -------',
    `  Warning  Unhealthy  2m (x12 over ${over})   kubelet  Readiness probe failed: calico/node is not ready: felix is not ready: readiness probe reporting 503`,
    `  Warning  BackOff    3m (x25 over ${over})   kubelet  Back-off restarting failed container calico-node in pod calico-node-x7k2p_kube-system(3f1d2c4b)`,
  ].join('\n') + '\n';
  const diagnosed = (text: string) => diagnose(reduce(initialState(), scan(text)), cat);
  // 12 readiness failures within 9 minutes: the 3-in-30-minutes rule holds; one row used to count once.
  const recent = diagnosed(rows('9m'));
  const notReady = recent.find((d) => d.id === 'calico-node-not-ready');
  assert.ok(notReady, recent.map((d) => d.id).join(', '));
  assert.equal(notReady.occurrences, 12);
  assert.equal(recent.find((d) => d.id === 'calico-node-crashloop')?.occurrences, 25);
  // The same 12 spread over 6 hours: about 1 in any 30 minutes, so not a persistent failure.
  const spread = diagnosed(rows('6h'));
  assert.equal(spread.find((d) => d.id === 'calico-node-not-ready'), undefined, spread.map((d) => d.id).join(', '));
});

test('kubectl describe pod: the restart count is the calico-node container\'s, not an init container\'s or another pod\'s', () => {
  const block = (name: string, count: number): string => [
    `  ${name}:`, '    Container ID:   containerd://9b1c', '    Image:          docker.io/calico/node:v3.25.1',
    '    State:          Waiting', '      Reason:       CrashLoopBackOff', '    Last State:     Terminated',
    '      Exit Code:    1', '    Ready:          False', `    Restart Count:  ${count}`, '    Environment:', '      DATASTORE_TYPE:  kubernetes',
  ].join('\n');
  const restarts = (text: string): string[] => scan(text).filter((e) => e.type === 'fact' && e.name === 'calico-node.restarts').map((e) => (e as { value: string }).value);
  const pod = ['Name:         calico-node-4zx9q', 'Init Containers:', block('upgrade-ipam', 0), block('install-cni', 2), 'Containers:', block('calico-node', 37), 'Conditions:', ''].join('\n');
  assert.deepEqual(restarts(pod), ['37']);
  assert.deepEqual(restarts(['Name:         coredns-7b6d', 'Containers:', block('coredns', 44), ''].join('\n')), []);
});

test('evidence leaves out a line\'s indentation (a pretty-printed JSON line), and its match still points at the matched text', () => {
  const line = '2025-05-26 18:07:12.345 [WARNING][83] felix/table.go 1454: Failed to execute ip(6)tables-restore command error=exit status 2 errorOutput="ip6tables-restore v1.8.9 (nf_tables): unknown option \\"--set-mark\\"\\n" ipVersion=0x6';
  for (const indent of ['', '              ', '\t\t']) {
    const [h] = hits(scan(`${indent}${line}\n`));
    assert.ok(h, JSON.stringify(indent));
    assert.equal(h.evidence.text, line, JSON.stringify(indent));
    const [a, b] = h.evidence.match!;
    assert.match(h.evidence.text.slice(a, b), /unknown option/);
  }
});
