// A bundle holds other nodes' pods too: a microk8s inspect's k8s/cluster-info-dump has the log of
// every pod in the cluster, a sosreport's podlogs and event listings every node's pods. Hits from a
// pod known to run on another node are set aside (and named), not diagnosed as this node's.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { cpSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ROOT, runCli, tempDir } from './helpers/util.js';
import { attribution, diagnose, sameNode } from '../src/engine/diagnose.js';
import { initialState, reduce } from '../src/engine/state.js';
import { loadCatalog } from '../src/catalog/load.js';
import type { EngineEvent } from '../src/engine/events.js';

const B = (f: string): string => path.join(ROOT, 'samples', 'bundles', f);
const NODE1 = B('inspection-report-20250526_182512.tar.gz');
const NODE2 = B('inspection-report-20250601_101500.tar.gz');
const HEADLINE = 'kernel-ipv6-mark-regression';
const X7K2P = 'kube-system/calico-node-x7k2p';

interface Rep {
  facts: Record<string, { value: string; source: string; note?: string }>;
  diagnoses: { id: string; occurrences: number; confidence: number; severity: string; evidence: { source: string; pod?: string }[] }[];
  setAside?: { node: string; hits: number; pods: { pod: string; node: string; hits: number; diagnoses: Record<string, number> }[] };
}

async function analyze(file: string, json = true): Promise<{ code: number | null; rep: Rep; out: string }> {
  const r = await runCli(['analyze', file, ...(json ? ['--json'] : [])]);
  return { code: r.code, rep: json ? (JSON.parse(r.stdout) as Rep) : ({} as Rep), out: r.stdout };
}

/** node1's calico-node log block, cut from its own dump. */
function block(dump: string, pod = 'calico-node-x7k2p'): string {
  const start = dump.indexOf(`==== START logs for container calico-node of pod kube-system/${pod} ====\n`);
  const endMark = `==== END logs for container calico-node of pod kube-system/${pod} ====\n`;
  const end = dump.indexOf(endMark, start);
  assert.ok(start >= 0 && end > start, 'the sample dump has the calico-node block');
  return dump.slice(start, end + endMark.length);
}

/** node1's calico-node pod object from the PodList (metadata first, spec.nodeName later). */
function podObject(dump: string, name: string): string {
  const at = dump.indexOf(`            "metadata": {\n                "name": "${name}",\n`);
  const start = dump.lastIndexOf('\n        {\n', at) + 1;
  const end = dump.indexOf('\n        }', at) + '\n        }'.length;
  assert.ok(at > 0 && start > 0 && end > at, `the sample dump has the pod object of ${name}`);
  return dump.slice(start, end);
}

/**
 * node2's healthy microk8s inspect bundle, with node1's failing calico-node log block pasted into its
 * cluster-info-dump (as a cluster of two nodes dumps it), and built again with real tar.
 */
function twoNodeInspect(dir: string, opts: { podObject?: boolean; ownLine?: boolean; journals?: boolean } = {}): string {
  const work = path.join(dir, 'work');
  const n1 = path.join(dir, 'n1');
  execFileSync('mkdir', ['-p', work, n1]);
  execFileSync('tar', ['-xzf', NODE2, '-C', work]);
  execFileSync('tar', ['-xzf', NODE1, '-C', n1]);
  const dumpPath = path.join(work, 'inspection-report', 'k8s', 'cluster-info-dump');
  let dump = readFileSync(dumpPath, 'utf8');
  const other = readFileSync(path.join(n1, 'inspection-report', 'k8s', 'cluster-info-dump'), 'utf8');
  let logs = block(other);
  // without calico-node's own "Determined node name: node1", nothing in the log says where it ran
  if (opts.ownLine === false) logs = logs.split('\n').filter((l) => !l.includes('Determined node name')).join('\n');
  const coredns = '==== START logs for container coredns of pod kube-system/coredns-7896dbf49-qk6xv ====';
  assert.ok(dump.includes(coredns));
  dump = dump.replace(coredns, logs + coredns);
  if (opts.podObject) {
    const mine = podObject(dump, 'calico-node-r4m8t');
    dump = dump.replace(mine, `${podObject(other, 'calico-node-x7k2p')},\n${mine}`);
  }
  writeFileSync(dumpPath, dump);
  if (opts.journals === false) {
    // the node's own service journals are what name it in an inspect bundle
    for (const d of readdirSync(path.join(work, 'inspection-report'), { withFileTypes: true })) {
      if (d.isDirectory()) rmSync(path.join(work, 'inspection-report', d.name, 'journal.log'), { force: true });
    }
  }
  const out = path.join(dir, 'inspection-report-20250601_101500.tar.gz');
  execFileSync('tar', ['-czf', out, '-C', work, 'inspection-report']);
  return out;
}

test('a healthy node whose dump holds another node\'s failing calico-node: nothing diagnosed here, the other node\'s hits named', async (t) => {
  const dir = tempDir(t);
  const bundle = twoNodeInspect(dir, { podObject: true });
  const { code, rep } = await analyze(bundle);
  assert.equal(code, 0, 'node2 is healthy: exit 0');
  assert.ok(!rep.diagnoses.some((d) => d.id === HEADLINE), `not ${HEADLINE}: ${rep.diagnoses.map((d) => d.id).join(', ')}`);
  assert.deepEqual(rep.diagnoses, []);
  assert.equal(rep.facts['node.name'].value, 'node2');
  assert.ok(rep.setAside, 'the report says what was set aside');
  assert.equal(rep.setAside.node, 'node2');
  assert.equal(rep.setAside.pods.length, 1);
  const p = rep.setAside.pods[0];
  assert.equal(p.pod, X7K2P);
  assert.equal(p.node, 'node1');
  assert.ok(p.diagnoses[HEADLINE] >= 20, `node1's --set-mark failures counted there: ${JSON.stringify(p.diagnoses)}`);
  // the felix kernelVersion of node1's pod is not this node's kernel
  assert.equal(rep.facts['kernel.release'].value, '6.8.0-55-generic');
  const text = await analyze(bundle, false);
  assert.match(text.out, /Set aside: \d+ hits from pods on other nodes \(node1: kube-system\/calico-node-x7k2p\)/);
  assert.match(text.out, /\d+× kernel-ipv6-mark-regression/);
  assert.match(text.out, /No known failure found on this node \(node2\)/);
  assert.match(text.out, /Their pods run on another node, not on this one \(node2\)/);
  const md = (await runCli(['analyze', bundle, '--format', 'markdown'])).stdout;
  assert.match(md, /^## Set aside\n\nSet aside: \d+ hits from pods on other nodes \(node1: kube-system\/calico-node-x7k2p\)\. Their pods run on another node, not on this one \(node2\)/m);
  assert.match(md, /^- `node1` `kube-system\/calico-node-x7k2p`: \d+× kernel-ipv6-mark-regression/m);
});

test('without the pod listing, calico-node\'s own "Determined node name" places its pod', async (t) => {
  const dir = tempDir(t);
  const { code, rep } = await analyze(twoNodeInspect(dir));
  assert.equal(code, 0);
  assert.deepEqual(rep.diagnoses.map((d) => d.id), []);
  assert.equal(rep.setAside?.pods[0].pod, X7K2P);
  assert.equal(rep.setAside?.pods[0].node, 'node1');
});

test('a pod whose node is not known counts for this node, as before (its evidence names the pod)', async (t) => {
  const dir = tempDir(t);
  const { code, rep } = await analyze(twoNodeInspect(dir, { ownLine: false }));
  assert.equal(code, 1);
  const top = rep.diagnoses.find((d) => d.id === HEADLINE);
  assert.ok(top, 'raised, as without node attribution');
  assert.equal(rep.facts['node.name'].value, 'node2', 'this node is known');
  assert.equal(rep.setAside, undefined);
  assert.ok(top.evidence.some((e) => e.pod === X7K2P), 'the evidence says which pod it came from');
});

test('an unknown node name counts every pod for this node, as before', async (t) => {
  const dir = tempDir(t);
  const { code, rep } = await analyze(twoNodeInspect(dir, { podObject: true, journals: false }));
  assert.equal(code, 1);
  assert.equal(rep.facts['node.name'], undefined, 'no journal, no node name');
  const top = rep.diagnoses.find((d) => d.id === HEADLINE);
  assert.ok(top, 'raised');
  assert.equal(rep.setAside, undefined);
  assert.ok(top.evidence.some((e) => e.pod === X7K2P), 'the pod is known, only this node is not');
});

test('sosreport: another node\'s podlogs and event rows are set aside; the hostname file names this node', async (t) => {
  const dir = tempDir(t);
  const work = path.join(dir, 'work');
  const n1 = path.join(dir, 'n1');
  execFileSync('mkdir', ['-p', work, n1]);
  execFileSync('tar', ['-xzf', B('sosreport-node2-2025-06-01-hijklmn.tar.gz'), '-C', work]);
  execFileSync('tar', ['-xJf', B('sosreport-node1-2025-05-26-abcdefg.tar.xz'), '-C', n1]);
  const top2 = path.join(work, 'sosreport-node2-2025-06-01-hijklmn');
  const top1 = path.join(n1, 'sosreport-node1-2025-05-26-abcdefg');
  const ci = 'sos_commands/kubernetes/cluster-info';
  cpSync(path.join(top1, ci, 'kube-system/podlogs/calico-node-x7k2p'), path.join(top2, ci, 'kube-system/podlogs/calico-node-x7k2p'), { recursive: true });
  const ev = 'microk8s_kubectl_get_--all-namespaces_true_events';
  const rows = readFileSync(path.join(top1, ci, ev), 'utf8').split('\n').filter((l) => l.includes('pod/calico-node-x7k2p'));
  assert.ok(rows.length > 0);
  writeFileSync(path.join(top2, ci, ev), readFileSync(path.join(top2, ci, ev), 'utf8') + rows.join('\n') + '\n');
  const out = path.join(dir, 'sosreport-node2-2025-06-01-hijklmn.tar.gz');
  execFileSync('tar', ['-czf', out, '-C', work, 'sosreport-node2-2025-06-01-hijklmn']);
  const { code, rep } = await analyze(out);
  assert.equal(code, 0, `node2 is healthy: ${rep.diagnoses.map((d) => d.id).join(', ')}`);
  assert.equal(rep.facts['node.name'].value, 'node2');
  assert.equal(rep.facts['node.name'].source, 'sos_commands/host/hostname');
  const p = rep.setAside?.pods.find((x) => x.pod === X7K2P);
  assert.ok(p, 'podlogs of node1\'s pod set aside');
  assert.equal(p.node, 'node1');
  assert.ok(p.diagnoses[HEADLINE] > 0);
  assert.ok(Object.keys(p.diagnoses).includes('calico-node-crashloop'), `BackOff rows naming pod/calico-node-x7k2p set aside too: ${JSON.stringify(p.diagnoses)}`);
});

test('the single-node sample bundles: today\'s diagnoses exactly, with their node named', async () => {
  const want: Record<string, [string, number, number][]> = {
    'inspection-report-20250526_182512.tar.gz': [['kernel-ipv6-mark-regression', 63, 1], ['calico-node-crashloop', 51, 1], ['calico-node-not-ready', 87, 0.85]],
    'inspection-report-20250601_101500.tar.gz': [],
    'sosreport-node1-2025-05-26-abcdefg.tar.xz': [['kernel-ipv6-mark-regression', 69, 1], ['calico-node-crashloop', 60, 1], ['calico-node-not-ready', 87, 0.85]],
    'sosreport-node2-2025-06-01-hijklmn.tar.gz': [],
  };
  for (const [f, diags] of Object.entries(want)) {
    const { rep } = await analyze(B(f));
    assert.deepEqual(rep.diagnoses.map((d) => [d.id, d.occurrences, d.confidence]), diags, f);
    assert.equal(rep.setAside, undefined, f);
    assert.equal(rep.facts['node.name'].value, f.includes('node1') || f.includes('20250526') ? 'node1' : 'node2', f);
  }
});

test('engine: set aside only when both this node and the pod\'s node are known and differ', () => {
  const cat = loadCatalog();
  const sig = cat.patterns.find((p) => p.id === HEADLINE)!.signals[0].name;
  const h = (pod?: string, t = 0): EngineEvent => ({
    type: 'hit', patternId: HEADLINE, signals: [sig], captures: {}, time: Date.UTC(2025, 4, 26, 18, 0, t),
    evidence: { source: 'dump', line: t + 1, text: `ip6tables-restore: unknown option "--set-mark" ${t}`, ...(pod ? { pod } : {}) }, ...(pod ? { pod } : {}),
  });
  const name = (v: string): EngineEvent => ({ type: 'fact', name: 'node.name', value: v, source: 'hostname', priority: 90 });
  const place: EngineEvent = { type: 'placement', pod: 'kube-system/calico-node-a', node: 'node1', source: 'dump' };
  const other = [h('kube-system/calico-node-a', 1), h('kube-system/calico-node-a', 2)];
  const ids = (evs: EngineEvent[]): string[] => diagnose(reduce(initialState(), evs), cat).map((d) => d.id);
  assert.ok(ids([...other]).includes(HEADLINE), 'nothing known: counted');
  assert.ok(ids([name('node2'), ...other]).includes(HEADLINE), 'pod node unknown: counted');
  assert.ok(ids([place, ...other]).includes(HEADLINE), 'this node unknown: counted');
  assert.ok(!ids([name('node2'), place, ...other]).includes(HEADLINE), 'elsewhere: set aside');
  assert.ok(ids([name('NODE1.lab.example'), place, ...other]).includes(HEADLINE), 'the same node under its FQDN: counted');
  // this node's own hits stay when another pod's are set aside
  const st = reduce(initialState(), [place, name('node2'), ...other, h(undefined, 3)]);
  const d = diagnose(st, cat).find((x) => x.id === HEADLINE);
  assert.equal(d?.occurrences, 1);
  assert.deepEqual(attribution(st).setAside.map((p) => [p.pod, p.node, p.hits]), [['kube-system/calico-node-a', 'node1', 2]]);
  assert.ok(sameNode('node1', 'Node1') && sameNode('node1', 'node1.example') && !sameNode('node1', 'node10') && !sameNode('a.x', 'a.y'));

  // the kernel another node's felix logged (a timed value) does not judge this node's failure
  const k = (value: string, pod?: string): EngineEvent => ({ type: 'fact', name: 'kernel.release', value, source: pod ? 'dump' : 'uname', priority: pod ? 40 : 95, time: Date.UTC(2025, 4, 26, 17, 0), ...(pod ? { timed: true as const, pod } : {}) });
  const judged = diagnose(reduce(initialState(), [place, name('node2'), k('6.8.0-55-generic'), k('6.8.0-57', 'kube-system/calico-node-a'), h(undefined, 3), h(undefined, 4)]), cat).find((x) => x.id === HEADLINE);
  assert.ok(judged, 'this node\'s own hits raise it');
  const kernelFactor = judged.factors.find((f) => f.facts?.some((x) => x.name === 'kernel.release'));
  assert.ok(kernelFactor?.facts?.every((x) => x.value === '6.8.0-55-generic'), JSON.stringify(judged.factors));
});
