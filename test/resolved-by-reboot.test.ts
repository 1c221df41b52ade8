// A node that was broken and then fixed by a reboot into another kernel: the failure is judged by
// the kernel that ran when it happened, and once the logs go on past the boot without it, it is
// reported as no longer current (exit 0). Engine-level (pure reducer events) and end to end (a
// syslog file, a real sosreport tar).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { loadCatalog } from '../src/catalog/load.js';
import { diagnose, RESOLVED_AFTER, type Diagnosis } from '../src/engine/diagnose.js';
import type { EngineEvent, HitEvent } from '../src/engine/events.js';
import { initialState, reduce } from '../src/engine/state.js';
import { compileMatcher } from '../src/engine/matcher.js';
import { StreamScanner } from '../src/engine/scanner.js';
import { timedAdd, valueAt, type TimedValue } from '../src/engine/timed.js';
import { buildReport, exitCode } from '../src/report/model.js';
import { renderText } from '../src/report/text.js';
import { renderMarkdown } from '../src/report/markdown.js';
import { listRows } from '../src/ui/DiagnosisList.js';
import { detailRows } from '../src/ui/Detail.js';
import { LinePrinter } from '../src/report/live-lines.js';
import type { LiveModel, LiveStore } from '../src/present/live-model.js';
import { runCli, tempDir } from './helpers/util.js';

const cat = loadCatalog();
const ID = 'kernel-ipv6-mark-regression';
const MIN = 60_000;
const T0 = Date.UTC(2025, 4, 26, 18, 6, 15);
const BOOT1 = Date.UTC(2025, 4, 26, 17, 52, 10);
const BOOT2 = Date.UTC(2025, 4, 26, 18, 52, 10);

function hit(t: number, line: number, id = ID, signal = 'xor-mark-rejected'): HitEvent {
  return { type: 'hit', patternId: id, signals: [signal], captures: {}, time: t, evidence: { source: 'syslog', line, time: new Date(t).toISOString(), text: `${signal} at ${line}` } };
}
/** a boot line as the scanner reports it: a timed kernel.release and a fresh-start timeline event */
function boot(t: number, kernel: string, line: number): EngineEvent[] {
  return [
    { type: 'fact', name: 'kernel.release', value: kernel, source: 'syslog', line, time: t, priority: 60, timed: true },
    { type: 'timeline', kind: 'boot', text: `booted kernel ${kernel}`, time: t, source: 'syslog', line, freshStart: true },
  ];
}
const uname = (kernel: string): EngineEvent => ({ type: 'fact', name: 'kernel.release', value: kernel, source: 'sos_commands/kernel/uname_-a', priority: 95 });
const failures = (from: number, n: number, line0: number): HitEvent[] => Array.from({ length: n }, (_, i) => hit(from + i * 2 * MIN, line0 + i));
/** a log read up to a line stamped `t` (that holds no hit) */
const reach = (t: number): EngineEvent => ({ type: 'stats', lines: 0, bytes: 0, records: 0, regexRuns: 0, lastTime: t });

function mark(events: EngineEvent[]): { d: Diagnosis; exit: number } {
  const state = reduce(initialState(), events);
  const d = diagnose(state, cat).find((x) => x.id === ID)!;
  assert.ok(d, 'the headline diagnosis is raised');
  return { d, exit: exitCode(buildReport(state, cat, 'test'), []) };
}
const factorFacts = (d: Diagnosis): string[] => d.factors.flatMap((f) => f.facts.filter((x) => x.name === 'kernel.release').map((x) => `${f.add}:${x.value}`));

test('fixed by a rollback: judged on the kernel that failed, not current, exit 0', () => {
  const { d, exit } = mark([
    ...boot(BOOT1, '6.8.0-57-generic', 1), ...failures(T0, 22, 2),
    ...boot(BOOT2, '6.8.0-55-generic', 200), uname('6.8.0-55-generic'), reach(BOOT2 + 47 * MIN),
  ]);
  assert.deepEqual(factorFacts(d), ['0.2:6.8.0-57-generic'], 'the affected-kernel factor, on 6.8.0-57; no "not on the list" factor');
  assert.equal(d.factors.find((f) => f.facts.some((x) => x.name === 'kernel.release'))!.facts[0].time, new Date(BOOT1).toISOString());
  assert.deepEqual(d.resolved, { since: new Date(BOOT2).toISOString(), by: 'booted kernel 6.8.0-55-generic', source: 'syslog', logsUntil: new Date(BOOT2 + 47 * MIN).toISOString() });
  assert.equal(exit, 0);
  // the 24.04 rollback step is chosen by the kernel that failed (6.8.0-57), as before the fix
  assert.ok(d.remediation.some((r) => r.includes('linux-image-6.8.0-55-generic')));
});

test('rebooted into the same bad kernel and failing again: current, exit 1', () => {
  const { d, exit } = mark([
    ...boot(BOOT1, '6.8.0-57-generic', 1), ...failures(T0, 22, 2),
    ...boot(BOOT2, '6.8.0-57-generic', 200), ...failures(BOOT2 + 2 * MIN, 20, 201), reach(BOOT2 + 47 * MIN),
  ]);
  assert.equal(d.resolved, undefined);
  assert.deepEqual(factorFacts(d), ['0.2:6.8.0-57-generic']);
  assert.equal(d.factors.find((f) => f.add === 0.2)!.facts[0].time, new Date(BOOT1).toISOString(), 'the run of 6.8.0-57 began at the first boot');
  assert.equal(exit, 1);
});

test('the logs end at the boot (or within the grace after it): no evidence either way, still current', () => {
  for (const end of [BOOT2, BOOT2 + RESOLVED_AFTER - 1000]) {
    const { d, exit } = mark([...boot(BOOT1, '6.8.0-57-generic', 1), ...failures(T0, 22, 2), ...boot(BOOT2, '6.8.0-55-generic', 200), reach(end)]);
    assert.equal(d.resolved, undefined, `logs ending ${(end - BOOT2) / 1000}s after the boot`);
    assert.equal(exit, 1);
    assert.deepEqual(factorFacts(d), ['0.2:6.8.0-57-generic'], 'still judged on the kernel that failed');
  }
});

test('no boot lines at all: the best fact decides, as before (uname 6.8.0-55 lowers confidence), current', () => {
  const { d, exit } = mark([...failures(T0, 22, 2), uname('6.8.0-55-generic'), reach(T0 + 3 * 60 * MIN)]);
  assert.equal(d.resolved, undefined);
  assert.deepEqual(factorFacts(d), ['-0.15:6.8.0-55-generic']);
  assert.equal(exit, 1);
});

test('a diagnosis no longer current sorts after a current one, whatever its severity; a current symptom does not name it as its cause', () => {
  const state = reduce(initialState(), [
    ...boot(BOOT1, '6.8.0-57-generic', 1), ...failures(T0, 22, 2),
    ...boot(BOOT2, '6.8.0-55-generic', 200),
    ...[0, 1, 2, 3].map((i) => hit(BOOT2 + (5 + i) * MIN, 300 + i, 'calico-node-crashloop', 'back-off')),
    reach(BOOT2 + 47 * MIN),
  ]);
  const ds = diagnose(state, cat);
  const i = ds.findIndex((d) => d.id === ID);
  assert.ok(ds[i].resolved);
  assert.ok(ds.slice(0, i).some((d) => d.id === 'calico-node-crashloop'), ds.map((d) => d.id).join());
  assert.ok(ds.slice(i + 1).every((d) => d.resolved), 'everything after it is no longer current too');
  const crash = ds.find((d) => d.id === 'calico-node-crashloop')!;
  assert.notEqual(crash.likelyCause, ID);
  assert.equal(exitCode(buildReport(state, cat, 'test'), []), 1, 'the current crash loop still makes the exit 1');
});

test('timed values: one entry per run of agreeing values, in time order, the value in effect at a time', () => {
  const v = (value: string, time: number, source = 's'): TimedValue => ({ value, time, source, priority: 60 });
  let h = timedAdd(undefined, v('6.8.0-57-generic', 10));
  h = timedAdd(h, v('6.8.0-57', 20, 'felix'));
  assert.equal(h.length, 1, 'felix\'s flavourless release agrees with the boot line');
  h = timedAdd(h, v('6.8.0-55-generic', 50));
  h = timedAdd(h, v('6.8.0-55-generic', 40, 'journal'));
  assert.deepEqual(h.map((x) => [x.value, x.time, x.source]), [['6.8.0-57-generic', 10, 's'], ['6.8.0-55-generic', 40, 'journal']], 'an earlier sighting of the same run takes its place');
  assert.equal(valueAt(h, 39)?.value, '6.8.0-57-generic');
  assert.equal(valueAt(h, 40)?.value, '6.8.0-55-generic');
  assert.equal(valueAt(h, 5), undefined);
  const before = JSON.stringify(h);
  timedAdd(h, v('6.8.0-58-generic', 100));
  assert.equal(JSON.stringify(h), before, 'never changed in place');
});

test('reports: "Not seen since the boot at …" up front, the steps as what to do if it comes back; the live list shows it compactly', () => {
  const state = reduce(initialState(), [
    ...boot(BOOT1, '6.8.0-57-generic', 1), ...failures(T0, 22, 2), ...boot(BOOT2, '6.8.0-55-generic', 200), reach(BOOT2 + 47 * MIN),
  ]);
  const r = buildReport(state, cat, 'test');
  const text = renderText(r, { color: false });
  assert.match(text, /Not seen since the boot at 2025-05-26 18:52:10 UTC \(booted kernel 6\.8\.0-55-generic\): the logs go\s+on for 47m after it/);
  assert.ok(text.indexOf('Not seen since') < text.indexOf('Root cause'), 'before the explanation');
  assert.match(text, /What to do if it comes back/);
  assert.doesNotMatch(text, /^ {2}What to do$/m);
  const md = renderMarkdown(r);
  assert.match(md, /\*\*Not seen since the boot at 2025-05-26 18:52:10 UTC \(booted kernel 6\.8\.0-55-generic\)/);
  assert.match(md, /\*\*What to do if it comes back\*\*/);
  for (const width of [80, 50]) {
    const row = listRows({ diagnoses: r.diagnoses, selected: 0, rows: 5, width, now: BOOT2 + 48 * MIN, color: false })[0].map((s) => s.text).join('');
    assert.ok(row.length <= width, `fits ${width} columns: ${row}`);
    assert.match(row, /gone at boot/);
  }
});

test('the watch views: the detail says "not seen since boot" before the summary and files the steps under Later; live lines say it too', () => {
  const state = reduce(initialState(), [
    ...boot(BOOT1, '6.8.0-57-generic', 1), ...failures(T0, 22, 2), ...boot(BOOT2, '6.8.0-55-generic', 200), reach(BOOT2 + 47 * MIN),
  ]);
  const d = diagnose(state, cat).find((x) => x.id === ID)!;
  for (const width of [80, 50]) {
    for (const expanded of [false, true]) {
      const rows = detailRows(d, { width, expanded, evidence: false, height: 20 }).map((r) => r.map((x) => x.text).join(''));
      assert.ok(rows.every((r) => r.length <= width), `${width}: ${rows.join('\n')}`);
      const at = rows.findIndex((r) => r.includes('not seen since boot 18:52:10'));
      const summary = rows.findIndex((r) => r.includes('ip6tables on this node'));
      assert.ok(at > 0 && at < summary, `under the title, before the summary: ${rows.slice(0, 5).join(' | ')}`);
      assert.ok(rows.some((r) => r.startsWith('Later ')), 'the steps are for later');
      assert.ok(!rows.some((r) => r.startsWith('Do ')), 'not presented as the thing to do now');
    }
  }
  const model: LiveModel = { sources: ['file x'], lines: 0, linesPerSec: 0, keepingUp: true, backlog: 0, paused: false, mode: 'live', facts: {}, diagnoses: [d], upFor: 0, now: 0, notes: [], version: 1 };
  const store: LiveStore = { getSnapshot: () => model, subscribe: () => () => {}, setPaused: () => {} } as unknown as LiveStore;
  for (const json of [false, true]) {
    const out: string[] = [];
    const p = new LinePrinter(store, (x) => out.push(x), json);
    p.flush();
    p.close();
    const line = out.find((l) => l.includes(ID))!;
    if (json) assert.equal((JSON.parse(line) as { diagnosis: Diagnosis }).diagnosis.resolved?.by, 'booted kernel 6.8.0-55-generic');
    else assert.match(line, /CRITICAL kernel-ipv6-mark-regression .*, not seen since boot 18:52:10 \(booted kernel 6\.8\.0-55-generic\)/);
  }
});

// ---- end to end: a syslog file, and a real sosreport tar ----

interface Report {
  facts: Record<string, { value: string; source: string }>;
  diagnoses: { id: string; severity: string; confidence: number; resolved?: { since: string; by: string; source: string; logsUntil: string }; factors: { add: number; facts: { name: string; value: string }[] }[] }[];
}

const pad = (n: number): string => String(n).padStart(2, '0');
const BOOT_LINE = (hms: string, kernel: string): string =>
  `May 26 ${hms} node1 kernel: Linux version ${kernel} (buildd@lcy02-amd64-039) (x86_64-linux-gnu-gcc-13 (Ubuntu 13.3.0-6ubuntu2~24.04) 13.3.0, GNU ld (GNU Binutils for Ubuntu) 2.42) #59-Ubuntu SMP PREEMPT_DYNAMIC Sat Mar 15 17:40:59 UTC 2025`;
/** kube-proxy inside kubelite: a klog err=< block, one journal entry per line */
function kubeProxyFail(h: number, m: number): string[] {
  const t = `${pad(h)}:${pad(m)}:15`;
  const p = `May 26 ${t} node1 microk8s.daemon-kubelite[2187]:`;
  return [
    `${p} E0526 ${t}.123456    2187 proxier.go:1564] "Failed to execute iptables-restore" err=<`,
    `${p} \texit status 2: Warning: Extension MARK revision 0 not supported, missing kernel module?`,
    `${p} \tip6tables-restore v1.8.9 (nf_tables): unknown option "--xor-mark"`,
    `${p} \tError occurred at line: 16`,
    `${p}  > ipFamily="IPv6"`,
  ];
}
const healthy = (h: number, m: number): string => `May 26 ${pad(h)}:${pad(m)}:05 node1 microk8s.daemon-kubelite[2187]: I0526 ${pad(h)}:${pad(m)}:05.000001    2187 proxier.go:820] "SyncProxyRules complete" elapsed="12ms"`;
const minutes = (h0: number, m0: number, h1: number, m1: number, step: number): [number, number][] => {
  const out: [number, number][] = [];
  for (let t = h0 * 60 + m0; t <= h1 * 60 + m1; t += step) out.push([Math.floor(t / 60), t % 60]);
  return out;
};

/** 57 booted at 17:52, kube-proxy failing 18:06–18:48; then `after` from the 18:52 boot on */
function syslog(after: 'fixed' | 'same-bad' | 'ends-at-boot' | 'no-boot'): string[] {
  const lines: string[] = [];
  if (after !== 'no-boot') lines.push(BOOT_LINE('17:52:10', '6.8.0-57-generic'));
  for (const [h, m] of minutes(18, 6, 18, 48, 2)) lines.push(...kubeProxyFail(h, m));
  if (after === 'no-boot') { for (const [h, m] of minutes(18, 54, 19, 40, 1)) lines.push(healthy(h, m)); return lines; }
  lines.push(BOOT_LINE('18:52:10', after === 'same-bad' ? '6.8.0-57-generic' : '6.8.0-55-generic'));
  if (after === 'ends-at-boot') return lines;
  for (const [h, m] of minutes(18, 54, 19, 40, 2)) lines.push(...(after === 'same-bad' ? kubeProxyFail(h, m) : [healthy(h, m)]));
  return lines;
}

function writeLog(dir: string, name: string, lines: string[]): string {
  const f = path.join(dir, name);
  mkdirSync(path.dirname(f), { recursive: true });
  writeFileSync(f, lines.join('\n') + '\n');
  // the year of a syslog stamp comes from the file's date
  const when = new Date(Date.UTC(2025, 4, 27));
  utimesSync(f, when, when);
  return f;
}

async function analyze(input: string, extra: string[] = []): Promise<{ code: number | null; rep: Report; stdout: string }> {
  const r = await runCli(['analyze', input, ...extra]);
  assert.ok(r.code === 0 || r.code === 1, `exit ${r.code}: ${r.stderr}`);
  return { code: r.code, rep: extra.includes('--json') ? JSON.parse(r.stdout) as Report : ({} as Report), stdout: r.stdout };
}

test('end to end, a syslog: fixed by the rollback → not current, exit 0, judged on 6.8.0-57; the other cases stay current', async (t) => {
  const d = tempDir(t);
  const fixed = await analyze(writeLog(d, 'fixed/syslog', syslog('fixed')), ['--json']);
  assert.equal(fixed.code, 0);
  const m = fixed.rep.diagnoses.find((x) => x.id === ID)!;
  assert.deepEqual(m.resolved && { since: m.resolved.since, by: m.resolved.by }, { since: '2025-05-26T18:52:10.000Z', by: 'booted kernel 6.8.0-55-generic' });
  assert.equal(m.resolved!.logsUntil, '2025-05-26T19:40:05.000Z', 'the last line\'s stamp, though it holds no hit');
  assert.deepEqual(m.factors.flatMap((f) => f.facts.filter((x) => x.name === 'kernel.release').map((x) => `${f.add}:${x.value}`)), ['0.2:6.8.0-57-generic']);
  assert.equal(fixed.rep.facts['kernel.release'].value, '6.8.0-55-generic', 'the facts still say what the node runs now');
  const text = await analyze(path.join(d, 'fixed/syslog'));
  assert.equal(text.code, 0);
  assert.match(text.stdout, /Not seen since the boot at 2025-05-26 18:52:10 UTC \(booted kernel 6\.8\.0-55-generic\)/);

  for (const [kind, code] of [['same-bad', 1], ['ends-at-boot', 1], ['no-boot', 1]] as const) {
    const r = await analyze(writeLog(d, `${kind}/syslog`, syslog(kind)), ['--json']);
    assert.equal(r.code, code, kind);
    const x = r.rep.diagnoses.find((y) => y.id === ID)!;
    assert.equal(x.resolved, undefined, kind);
    const kernelFactors = x.factors.flatMap((f) => f.facts.filter((y) => y.name === 'kernel.release').map((y) => `${f.add}:${y.value}`));
    assert.deepEqual(kernelFactors, kind === 'no-boot' ? [] : ['0.2:6.8.0-57-generic'], kind);
  }
});

test('end to end, a sosreport tar: uname says 6.8.0-55, every failure precedes the reboot → not current, exit 0', async (t) => {
  const d = tempDir(t);
  const top = 'sosreport-node1-2025-05-26-abcdefg';
  const root = path.join(d, top);
  writeLog(root, 'version.txt', ['sosreport: 4.8.2']);
  writeLog(root, 'sos_commands/kernel/uname_-a', ['Linux node1 6.8.0-55-generic #57-Ubuntu SMP PREEMPT_DYNAMIC Wed Feb 12 23:42:21 UTC 2025 x86_64 x86_64 x86_64 GNU/Linux']);
  writeLog(root, 'var/snap/microk8s/current/args/cni-env', ['IPv4_SUPPORT=true', 'IPv6_SUPPORT=true']);
  writeLog(root, 'var/log/syslog', syslog('fixed'));
  // felix in the calico-node pod before the reboot, failing the same way
  writeLog(root, 'sos_commands/kubernetes/cluster-info/kube-system/podlogs/calico-node-x7k2p/microk8s_kubectl_--namespace_kube-system_logs_calico-node-x7k2p_-c_calico-node', [
    '2025-05-26 18:06:58.512 [INFO][83] felix/feature_detect.go 174: Updating detected iptables features features=environment.Features{SNATFullyRandom:true, MASQFullyRandom:true, RestoreSupportsLock:true, ChecksumOffloadBroken:true, IPIPDeviceIsL3:false} iptablesVersion=1.8.9 kernelVersion=6.8.0-57',
    '2025-05-26 18:07:12.345 [WARNING][83] felix/table.go 1454: Failed to execute ip(6)tables-restore command error=exit status 2 errorOutput="ip6tables-restore v1.8.4 (legacy): unknown option \\"--set-mark\\"\\nError occurred at line: 7\\n" input="*mangle\\nCOMMIT\\n" ipVersion=0x6 output="" table="mangle"',
  ]);
  const tar = path.join(d, `${top}.tar.xz`);
  execFileSync('tar', ['-cJf', tar, '-C', d, top]);
  const { code, rep } = await analyze(tar, ['--json']);
  assert.equal(code, 0);
  const m = rep.diagnoses.find((x) => x.id === ID)!;
  assert.equal(m.resolved?.by, 'booted kernel 6.8.0-55-generic');
  const kernelFactors = m.factors.flatMap((f) => f.facts.filter((y) => y.name === 'kernel.release').map((y) => `${f.add}:${y.value}`));
  assert.equal(kernelFactors.length, 1);
  assert.match(kernelFactors[0], /^0\.2:6\.8\.0-57/);
  assert.ok(rep.diagnoses.every((x) => x.resolved || x.severity === 'info'), rep.diagnoses.map((x) => x.id).join());
});

test('another node\'s pod log running on past the boot does not make this node\'s logs reach further', () => {
  const POD = 'kube-system/calico-node-other';
  const name = (v: string): EngineEvent => ({ type: 'fact', name: 'node.name', value: v, source: 'hostname', priority: 90 });
  const place: EngineEvent = { type: 'placement', pod: POD, node: 'node2', source: 'dump' };
  // This node's logs end a minute after the boot; the other pod's log (its last line, and a hit of
  // its own) goes on for an hour.
  const podReach: EngineEvent = { type: 'stats', lines: 0, bytes: 0, records: 0, regexRuns: 0, lastTime: BOOT2 + 60 * MIN, lastPod: POD };
  const podHit: HitEvent = { ...hit(BOOT2 + 30 * MIN, 900, 'calico-node-not-ready', 'not-ready'), pod: POD };
  const own = [...boot(BOOT1, '6.8.0-57-generic', 1), ...failures(T0, 22, 2), ...boot(BOOT2, '6.8.0-55-generic', 200), reach(BOOT2 + MIN)];
  const elsewhere = mark([name('node1'), place, ...own, podReach, podHit]);
  assert.equal(elsewhere.d.resolved, undefined, 'the pod runs on node2: no evidence past the boot here');
  assert.equal(elsewhere.exit, 1);
  // The same pod on this node: its log is this node's, and it shows the node past the boot.
  const here = mark([name('node2'), place, ...own, podReach, podHit]);
  assert.equal(here.d.resolved?.logsUntil, new Date(BOOT2 + 60 * MIN).toISOString());
  // A pod whose node is not known counts, as before.
  assert.equal(mark([name('node1'), ...own, podReach]).d.resolved?.logsUntil, new Date(BOOT2 + 60 * MIN).toISOString());
});

test('a pod\'s log tells the scanner whose last line it read (stats.lastPod); a node log does not', () => {
  const m = compileMatcher(cat);
  const felix = '2025-05-26 18:05:01.100 [INFO][83] felix/int_dataplane.go 1900: Applying dataplane updates\n2025-05-26 19:05:02.000 [INFO][83] felix/health.go 336: Overall health status changed: live=true ready=true\n';
  const last = (p: string): { lastTime?: number; lastPod?: string } => {
    const sc = new StreamScanner(m, { source: p, path: p, role: 'log', time: { refTime: Date.UTC(2025, 4, 27) } }, () => undefined);
    sc.push(Buffer.from(felix));
    const st = sc.end();
    return { lastTime: st.lastTime, lastPod: st.lastPod };
  };
  const pod = last('sos_commands/kubernetes/cluster-info/kube-system/podlogs/calico-node-x7k2p/microk8s_kubectl_--namespace_kube-system_logs_calico-node-x7k2p_-c_calico-node');
  assert.deepEqual(pod, { lastTime: Date.UTC(2025, 4, 26, 19, 5, 2), lastPod: 'kube-system/calico-node-x7k2p' });
  assert.deepEqual(last('var/log/calico/felix.log'), { lastTime: Date.UTC(2025, 4, 26, 19, 5, 2), lastPod: undefined });
});

test('a dump\'s container blocks: the last stamped line is read back across END and START lines, and named by its block', () => {
  const m = compileMatcher(cat, { markers: true });
  const last = (text: string): { lastTime?: number; lastPod?: string } => {
    const sc = new StreamScanner(m, { source: 'k8s/cluster-info-dump', path: 'k8s/cluster-info-dump', role: 'log', time: { refTime: Date.UTC(2025, 4, 27) } }, () => undefined);
    sc.push(Buffer.from(text));
    const st = sc.end();
    return { lastTime: st.lastTime, lastPod: st.lastPod };
  };
  const start = (pod: string): string => `==== START logs for container calico-node of pod kube-system/${pod} ====\n`;
  const end = (pod: string): string => `==== END logs for container calico-node of pod kube-system/${pod} ====\n`;
  const felix = '2025-05-26 19:05:02.000 [INFO][83] felix/health.go 336: Overall health status changed: live=true ready=true\n';
  // the dump ends in the END line of the block whose line it is
  assert.deepEqual(last(start('calico-node-aaaaa') + felix + end('calico-node-aaaaa')), { lastTime: Date.UTC(2025, 4, 26, 19, 5, 2), lastPod: 'kube-system/calico-node-aaaaa' });
  // the last block has no stamped line: the one before it is found, and it is that block's
  assert.deepEqual(last(start('calico-node-aaaaa') + felix + end('calico-node-aaaaa') + start('calico-node-bbbbb') + 'no stamp here\n' + end('calico-node-bbbbb')), { lastTime: Date.UTC(2025, 4, 26, 19, 5, 2), lastPod: 'kube-system/calico-node-aaaaa' });
  // a stamped line after the last block is no pod's
  assert.deepEqual(last(start('calico-node-aaaaa') + end('calico-node-aaaaa') + felix), { lastTime: Date.UTC(2025, 4, 26, 19, 5, 2), lastPod: undefined });
});

test('end to end, an inspect bundle: another node\'s calico-node block in the dump, running an hour past this node\'s boot, does not make the failure look gone', async (t) => {
  const d = tempDir(t);
  const root = path.join(d, 'inspection-report');
  // this node: failing until the 18:52 reboot into 6.8.0-55, its journal ending at the boot
  writeLog(root, 'snap.microk8s.daemon-kubelite/journal.log', syslog('ends-at-boot'));
  const other = ['==== START logs for container calico-node of pod kube-system/calico-node-zzzzz ====', '2025-05-26 18:00:11.402 [INFO][9] startup/utils.go 138: Determined node name: node2'];
  for (const [h, mi] of minutes(18, 0, 19, 52, 4)) other.push(`2025-05-26 ${pad(h)}:${pad(mi)}:30.000 [INFO][83] felix/health.go 336: Overall health status changed: live=true ready=true`);
  other.push('==== END logs for container calico-node of pod kube-system/calico-node-zzzzz ====');
  writeLog(root, 'k8s/cluster-info-dump', other);
  const tar = path.join(d, 'inspection-report-20250526_195500.tar.gz');
  execFileSync('tar', ['-czf', tar, '-C', d, 'inspection-report']);
  const { code, rep } = await analyze(tar, ['--json']);
  assert.equal(rep.facts['node.name']?.value, 'node1');
  const m = rep.diagnoses.find((x) => x.id === ID)!;
  assert.equal(m.resolved, undefined, `node2's log reaches 19:52, this node's stops at its 18:52 boot: ${JSON.stringify(m.resolved)}`);
  assert.equal(code, 1);
});

test('hits on both sides of a boot: how many came from the boot on, the first of them, and how many before (stamped), the unstamped apart', () => {
  const before = hit(BOOT1 - 14 * MIN, 1);
  const state = reduce(initialState(), [
    before,
    // one record matching two signals is one occurrence: the per-boot count must not add it twice
    { ...hit(BOOT1 - 13 * MIN, 2), signals: ['xor-mark-rejected', 'set-mark-rejected'] },
    ...boot(BOOT1, '6.8.0-57-generic', 3),
    ...failures(T0, 5, 4),
    // a listing row: no time, in no boot
    { ...hit(T0, 50), time: undefined, evidence: { source: 'events', line: 1, text: 'row' } },
  ]);
  const d = diagnose(state, cat).find((x) => x.id === ID)!;
  assert.equal(d.occurrences, 8);
  assert.deepEqual(d.sinceBoot, { since: new Date(BOOT1).toISOString(), by: 'booted kernel 6.8.0-57-generic', source: 'syslog', occurrences: 5, firstSeen: new Date(T0).toISOString(), before: 2 });
  const rep = buildReport(state, cat, 'test');
  assert.match(renderText(rep, { color: false }).replace(/\n\s+/g, ' '), /5 of the 8 since the boot at 2025-05-26 17:52:10 UTC \(booted kernel 6\.8\.0-57-generic\), the first at 18:06:15; 2 before it, 1 whose time is not kept \(listing rows, or minutes older than the two weeks kept\)\./);
  assert.match(renderMarkdown(rep), /5 of the 8 since the boot at 2025-05-26 17:52:10 UTC/);
  const tl = rep.timeline.filter((e) => e.text.includes(ID));
  assert.deepEqual(tl.map((e) => [e.time, e.kind]), [[before.evidence.time, 'first-seen'], [new Date(T0).toISOString(), 'since-boot'], [new Date(T0 + 8 * MIN).toISOString(), 'last-seen']]);
  assert.match(tl[0].text, /\(2 of 8 before the boot at 2025-05-26T17:52:10\.000Z\)$/);
  assert.match(tl[1].text, /after the boot \(booted kernel 6\.8\.0-57-generic\): 5 of 8 from here on$/);

  // The only hit before the boot falls in the boot's own minute, beside one after it: the minute counts
  // after the boot, so nothing is split (not "0 before it").
  const sameMinute = reduce(initialState(), [hit(BOOT1 - 5_000, 1), ...boot(BOOT1, '6.8.0-57-generic', 2), hit(BOOT1 + 20_000, 3), ...failures(T0, 3, 4)]);
  assert.equal(Math.floor((BOOT1 - 5_000) / MIN), Math.floor((BOOT1 + 20_000) / MIN), 'the same minute');
  assert.equal(diagnose(sameMinute, cat).find((x) => x.id === ID)!.sinceBoot, undefined);

  // All after the boot, or a boot after the last hit: nothing to split.
  const after = reduce(initialState(), [...boot(BOOT1, '6.8.0-57-generic', 1), ...failures(T0, 5, 2), ...boot(BOOT2, '6.8.0-57-generic', 9)]);
  assert.equal(diagnose(after, cat).find((x) => x.id === ID)!.sinceBoot, undefined);
});

test('end to end, the sosreport sample: calico-node-not-ready\'s one start-up blip before the upgrade is told apart from the failure after its boot', async () => {
  const r = await runCli(['analyze', path.join('samples', 'bundles', 'sosreport-node1-2025-05-26-abcdefg.tar.xz'), '--json']);
  assert.equal(r.code, 1, r.stderr);
  const rep = JSON.parse(r.stdout) as { diagnoses: Diagnosis[]; timeline: { time: string; kind: string; text: string }[] };
  const nr = rep.diagnoses.find((d) => d.id === 'calico-node-not-ready')!;
  assert.equal(nr.firstSeen, '2025-05-26T17:38:16.000Z', 'the blip is still its first sighting');
  assert.deepEqual(nr.sinceBoot && [nr.sinceBoot.since, nr.sinceBoot.by, nr.sinceBoot.before, nr.sinceBoot.occurrences + nr.sinceBoot.before < nr.occurrences], ['2025-05-26T17:52:08.000Z', 'booted kernel 6.8.0-57-generic', 1, true]);
  // In the timeline, the failure of the upgraded boot starts after the kernel install and the boot.
  const at = (pred: (e: { time: string; kind: string; text: string }) => boolean): number => rep.timeline.findIndex(pred);
  const install = at((e) => e.kind === 'kernel-install');
  const upgradeBoot = at((e) => e.kind === 'boot' && e.time === nr.sinceBoot!.since);
  const again = at((e) => e.kind === 'since-boot' && e.text.startsWith('calico-node-not-ready'));
  assert.ok(install >= 0 && upgradeBoot > install && again > upgradeBoot, JSON.stringify(rep.timeline.map((e) => [e.kind, e.text.slice(0, 40)])));
  // Every hit of the headline failure came after the boot: nothing to tell apart.
  assert.equal(rep.diagnoses.find((d) => d.id === ID)!.sinceBoot, undefined);
});
