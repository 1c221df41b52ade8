import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadCatalog } from '../src/catalog/load.js';
import { diagnose, facts, inputNodes, timeline, QUIET_AFTER } from '../src/engine/diagnose.js';
import type { EngineEvent, HitEvent } from '../src/engine/events.js';
import { initialState, reduce, type State } from '../src/engine/state.js';
import { versionInRange } from '../src/engine/version.js';
import { emptyRecent, forkRecent, GEN, recentAdd, recentGet, recentSize } from '../src/engine/recent.js';

const cat = loadCatalog();
const T0 = Date.UTC(2025, 4, 26, 18, 7, 0);

function hit(patternId: string, signal: string, t: number | undefined, line = 1, captures: Record<string, string> = {}): HitEvent {
  return { type: 'hit', patternId, signals: [signal], captures, time: t, evidence: { source: 'x.log', line, time: t === undefined ? undefined : new Date(t).toISOString(), text: `${signal} at ${line}` } };
}
const fact = (name: string, value: string, source = 'k8s/cluster-info-dump', priority = 90): EngineEvent => ({ type: 'fact', name, value, source, priority });

function snapshot(s: State): string {
  return JSON.stringify(s, (_k, v: unknown) => (v instanceof Map ? [...v.entries()] : v));
}

test('the reducer never changes the state it is given', () => {
  const s0 = reduce(initialState(), [hit('kernel-ipv6-mark-regression', 'set-mark-rejected', T0), fact('kernel.release', '6.8.0-57-generic')]);
  const before = snapshot(s0);
  const s1 = reduce(s0, [hit('kernel-ipv6-mark-regression', 'set-mark-rejected', T0 + 1000, 2), fact('ipv6.enabled', 'true'), { type: 'timeline', kind: 'boot', text: 'b', source: 's' }]);
  assert.equal(snapshot(s0), before);
  assert.notEqual(s1, s0);
  assert.equal(s1.hits['kernel-ipv6-mark-regression'].occurrences, 2);
  assert.equal(s0.hits['kernel-ipv6-mark-regression'].occurrences, 1);
  assert.ok(s1.version > s0.version);
});

test('event by event and all at once give the same diagnoses (watch and analyze share the reducer)', () => {
  const events: EngineEvent[] = [
    fact('kernel.release', '6.8.0-57-generic'),
    ...[0, 1, 2, 3].map((i) => hit('calico-node-crashloop', 'back-off', T0 + i * 60_000, 10 + i)),
    hit('kernel-ipv6-mark-regression', 'set-mark-rejected', T0 - 60_000, 3, { ipVersion: '0x6' }),
  ];
  const batch = diagnose(reduce(initialState(), events), cat);
  const stepwise = diagnose(events.reduce((s, e) => reduce(s, e), initialState()), cat);
  assert.deepEqual(stepwise, batch);
});

test('one line gives the headline diagnosis; the facts make it certain', () => {
  const one = diagnose(reduce(initialState(), hit('kernel-ipv6-mark-regression', 'set-mark-rejected', T0)), cat);
  assert.equal(one[0].id, 'kernel-ipv6-mark-regression');
  assert.equal(one[0].confidence, 0.6);
  const withFacts = diagnose(reduce(initialState(), [
    hit('kernel-ipv6-mark-regression', 'set-mark-rejected', T0, 1, { ipVersion: '0x6' }),
    fact('kernel.release', '6.8.0-57-generic'), fact('ipv6.enabled', 'true', 'args/cni-network/cni.yaml', 80),
  ]), cat)[0];
  assert.ok(withFacts.confidence >= 0.9, `confidence ${withFacts.confidence}`);
  const because = withFacts.factors.map((f) => f.because).join(' | ');
  assert.match(because, /known to carry the broken IPv6 MARK/);
  assert.deepEqual(withFacts.factors[0].facts, [{ name: 'kernel.release', value: '6.8.0-57-generic', source: 'k8s/cluster-info-dump' }]);
});

test('a kernel not on the affected list lowers confidence and says why', () => {
  const d = diagnose(reduce(initialState(), [hit('kernel-ipv6-mark-regression', 'set-mark-rejected', T0), fact('kernel.release', '6.8.0-60-generic')]), cat)[0];
  assert.equal(d.confidence, 0.45);
  assert.match(d.factors[0].because, /not on the list/);
});

test('weak signals count only with an affected kernel', () => {
  const weak = hit('kernel-ipv6-mark-regression', 'ip6-rule-append-failed', T0);
  assert.equal(diagnose(reduce(initialState(), weak), cat).length, 0);
  assert.equal(diagnose(reduce(initialState(), [weak, fact('kernel.release', '5.15.0-127-generic')]), cat)[0]?.id, 'kernel-ipv6-mark-regression');
});

test('a cause outranks its symptom, and the symptom names it', () => {
  const s = reduce(initialState(), [
    ...[0, 1, 2].map((i) => hit('calico-node-crashloop', 'back-off', T0 + i * 60_000)),
    hit('kernel-ipv6-mark-regression', 'set-mark-rejected', T0),
  ]);
  const ds = diagnose(s, cat);
  assert.deepEqual(ds.map((d) => d.id), ['kernel-ipv6-mark-regression', 'calico-node-crashloop']);
  assert.equal(ds[1].likelyCause, 'kernel-ipv6-mark-regression');
  assert.match(ds[1].summary, /Likely caused by kernel-ipv6-mark-regression/);
  assert.ok(ds[0].factors.some((f) => /crash-looping/.test(f.because)), 'crash loop raises the cause');
});

test('a symptom names only a cause known to produce it, and says what else was found', () => {
  const crash = [0, 1, 2].map((i) => hit('calico-node-crashloop', 'back-off', T0 + i * 60_000));
  const pull = [0, 1, 2].map((i) => hit('sandbox-image-pull-failed', 'sandbox-pull-failed', T0 + i * 60_000, 20 + i));
  // A pause image that cannot be pulled keeps pods from being created; it does not make a running calico-node exit.
  const ds = diagnose(reduce(initialState(), [...crash, ...pull]), cat);
  const loop = ds.find((d) => d.id === 'calico-node-crashloop')!;
  assert.equal(loop.likelyCause, undefined);
  assert.match(loop.summary, /No cause of this found in these logs\. sandbox-image-pull-failed was found too, but is not known to cause this\. .*--previous/);
  // …but it does leave the node without a CNI config.
  const cni = diagnose(reduce(initialState(), [...pull, hit('cni-not-initialized', 'node-condition', T0)]), cat);
  assert.equal(cni.find((d) => d.id === 'cni-not-initialized')!.likelyCause, 'sandbox-image-pull-failed');
  // The highest-ranked of the listed causes is named, not the highest-ranked cause.
  const both = diagnose(reduce(initialState(), [...crash, ...pull, ...[0, 1, 2, 3, 4].map((i) => hit('calico-datastore-unreachable', 'startup-retry', T0 + i * 60_000, 30 + i))]), cat);
  assert.equal(both[0].id, 'sandbox-image-pull-failed');
  assert.equal(both.find((d) => d.id === 'calico-node-crashloop')!.likelyCause, 'calico-datastore-unreachable');
});

test('a symptom alone says where to look next', () => {
  const ds = diagnose(reduce(initialState(), hit('calico-node-crashloop', 'back-off', T0)), cat);
  assert.equal(ds.length, 1);
  assert.equal(ds[0].likelyCause, undefined);
  assert.match(ds[0].summary, /No cause of this found in these logs\. .*--previous/);
});

test('counts within a window: a transient readiness failure stays quiet, a persistent one does not', () => {
  const once = reduce(initialState(), hit('calico-node-not-ready', 'not-ready', T0));
  assert.equal(diagnose(once, cat).length, 0);
  const spread = reduce(initialState(), [0, 1, 2].map((i) => hit('calico-node-not-ready', 'not-ready', T0 + i * 3_600_000)));
  assert.equal(diagnose(spread, cat).length, 0, 'three failures hours apart are not a pattern');
  const burst = reduce(initialState(), [0, 1, 2].map((i) => hit('calico-node-not-ready', 'not-ready', T0 + i * 60_000)));
  assert.equal(diagnose(burst, cat)[0]?.id, 'calico-node-not-ready');
});

test('a diagnosis can rest on facts alone, and shows them as evidence', () => {
  const s = reduce(initialState(), [{ type: 'fact', name: 'calico-node.restarts', value: '14', source: 'k8s/cluster-info-dump', line: 812, priority: 50, combine: 'max' }]);
  // the shipped crash-loop pattern does not (a lifetime restart count is no crash loop): a user's could
  assert.deepEqual(diagnose(s, cat).map((d) => d.id), [], 'a restart count with no back-off is not a crash loop');
  const byFacts = { ...cat, patterns: cat.patterns.map((p) => (p.id === 'calico-node-crashloop' ? { ...p, when: { fact: 'calico-node.restarts', atLeast: 5 } } : p)) };
  const d = diagnose(s, byFacts);
  assert.equal(d[0]?.id, 'calico-node-crashloop');
  assert.equal(d[0].occurrences, 0);
  assert.deepEqual(d[0].evidence.map((e) => [e.source, e.line, e.text]), [['k8s/cluster-info-dump', 812, 'calico-node.restarts = 14']]);
});

test('facts: best priority wins, flavour-less kernel agrees, real conflicts are shown, max combines', () => {
  const s = reduce(initialState(), [
    fact('kernel.release', '6.8.0-57', 'felix', 40), fact('kernel.release', '6.8.0-57-generic', 'uname', 95),
    fact('iptables.mode', 'legacy', 'a.log', 50), fact('iptables.mode', 'nf_tables', 'b.log', 60),
    { type: 'fact', name: 'calico-node.restarts', value: '3', source: 'x', priority: 50, combine: 'max' },
    { type: 'fact', name: 'calico-node.restarts', value: '14', source: 'y', priority: 50, combine: 'max' },
  ]);
  const f = facts(s);
  assert.deepEqual(f['kernel.release'], { value: '6.8.0-57-generic', source: 'uname' });
  assert.deepEqual(f['iptables.mode'], { value: 'nf_tables', source: 'b.log', conflicts: [{ value: 'legacy', source: 'a.log' }] });
  assert.equal(f['calico-node.restarts'].value, '14');
});

test('live: a diagnosis goes quiet when not seen for a while', () => {
  let s = reduce(initialState(), hit('kernel-ipv6-mark-regression', 'set-mark-rejected', T0));
  s = reduce(s, { type: 'tick', now: T0 + 60_000 });
  assert.equal(diagnose(s, cat)[0].quietFor, undefined);
  s = reduce(s, { type: 'tick', now: T0 + QUIET_AFTER + 120_000 });
  assert.equal(diagnose(s, cat)[0].quietFor, QUIET_AFTER + 120_000);
});

test('timeline orders upgrades before the first failure', () => {
  const s = reduce(initialState(), [
    hit('kernel-ipv6-mark-regression', 'set-mark-rejected', T0 + 120_000, 5),
    hit('kernel-ipv6-mark-regression', 'set-mark-rejected', T0, 4),
    { type: 'timeline', kind: 'kernel-install', text: 'kernel 6.8.0-57-generic installed', time: T0 - 26 * 60_000, source: 'var/log/dpkg.log' },
  ]);
  const tl = timeline(s, diagnose(s, cat));
  assert.deepEqual(tl.map((e) => e.kind), ['kernel-install', 'first-seen', 'last-seen']);
  assert.equal(tl[1].time, new Date(T0).toISOString());
});

test('version ranges compare numeric parts, prefix-wise', () => {
  assert.ok(versionInRange('6.8.0-57-generic', '6.8.0-56 - 6.8.0-57'));
  assert.ok(!versionInRange('6.8.0-58-generic', '6.8.0-56 - 6.8.0-57'));
  assert.ok(versionInRange('6.8.0-1025-aws', '6.8.0-1025'));
  assert.ok(!versionInRange('6.8.0-1026-aws', '6.8.0-1025'));
  assert.ok(versionInRange('6.11.5-200.fc40.x86_64', '6.11.4 - 6.11.5'));
  assert.ok(!versionInRange('6.1.0-27-amd64', '6.1.113 - 6.1.114'));
  assert.ok(!versionInRange('', '6.1.113'));
});

test('a timeline past its bound says how much was left out', async () => {
  const { buildReport } = await import('../src/report/model.js');
  const events: EngineEvent[] = Array.from({ length: 2010 }, (_, i) => ({ type: 'timeline', kind: 'boot', text: `booted kernel 6.8.0-${i}`, time: T0 + i * 3_600_000, source: 'kern.log' }));
  const r = buildReport(reduce(initialState(), events), cat, 'test');
  assert.equal(r.timeline.length, 2000);
  assert.deepEqual(r.problems, [{ source: 'timeline', reason: '10 more upgrade events were left out (the timeline keeps 2000)' }]);
});

test('recently seen keys: bounded, and shared by states without being changed', () => {
  const MAX = 4096;
  let r = emptyRecent();
  let kept = r;
  const contents = (x: typeof r): string[] => [...x.gens, x.cur].flatMap((g) => [...g].map(([k, v]) => `${k}=${v}`));
  let keptWas: string[] = [];
  for (let i = 0; i < 10_000; i++) {
    if (i % 100 === 0) r = forkRecent(r); // one fork per reducer batch
    r = recentAdd(r, `k${i}`, `s${i}`, MAX);
    if (i === 4_999) { kept = r; keptWas = contents(kept); }
  }
  assert.deepEqual(contents(kept), keptWas, 'later states never change an earlier one');
  const size = recentSize(r);
  assert.ok(size >= MAX && size <= MAX + GEN, `size ${size}`);
  for (let i = 10_000 - MAX; i < 10_000; i++) assert.equal(recentGet(r, `k${i}`), `s${i}`, 'the newest MAX keys are all there');
  assert.equal(recentGet(r, 'k0'), undefined, 'the oldest are forgotten');
  // A fork is written, the Recent it came from is not.
  const before = recentSize(kept);
  const f = recentAdd(forkRecent(kept), 'new', 'x', MAX);
  assert.equal(recentGet(f, 'new'), 'x');
  assert.equal(recentGet(kept, 'new'), undefined);
  assert.equal(recentSize(kept), before);
});

test('the same entry copied into two files counts once; a repeat in the same file counts again', () => {
  const copy = (source: string, line: number): HitEvent => ({ ...hit('kernel-ipv6-mark-regression', 'set-mark-rejected', T0, line), evidence: { source, line, time: new Date(T0).toISOString(), text: 'same text' } });
  let s = reduce(initialState(), [copy('journal.log', 1)]);
  s = reduce(s, [copy('syslog', 7)]);
  assert.equal(s.hits['kernel-ipv6-mark-regression'].occurrences, 1);
  s = reduce(s, [copy('journal.log', 2)]);
  assert.equal(s.hits['kernel-ipv6-mark-regression'].occurrences, 2);
});

test('a node listing that gives different values for several nodes ranks below every local source and decides nothing', () => {
  const listed = (value: string, source = 'k8s/cluster-info-dump'): EngineEvent => ({ type: 'fact', name: 'kernel.release', value, source, priority: 90, cluster: true });
  const setMark = hit('kernel-ipv6-mark-regression', 'set-mark-rejected', T0, 3, { ipVersion: '0x6' });
  const conf = (s: State): number => diagnose(s, cat).find((d) => d.id === 'kernel-ipv6-mark-regression')!.confidence;
  // One node, or nodes that agree: the listing is the best source, as before.
  const one = reduce(initialState(), [setMark, listed('6.8.0-57-generic'), listed('6.8.0-57-generic'), fact('kernel.release', '6.8.0-57', 'calico-node.log', 40)]);
  assert.equal(facts(one)['kernel.release'].source, 'k8s/cluster-info-dump');
  // Another node on an unaffected kernel listed first: without the rule, that value took the node's place (−0.15).
  const events = [setMark, listed('6.8.0-55-generic'), listed('6.8.0-57-generic'), fact('kernel.release', '6.8.0-57', 'calico-node.log', 40)];
  const mixed = reduce(initialState(), events);
  assert.deepEqual(facts(mixed)['kernel.release'], {
    value: '6.8.0-57', source: 'calico-node.log',
    conflicts: [{ value: '6.8.0-55-generic', source: 'k8s/cluster-info-dump', note: 'differs between the nodes this listing covers: not used' }],
  });
  assert.equal(conf(mixed), conf(one));
  // Event by event, and a later batch from the same listing stays mixed even when it repeats one value.
  const stepwise = events.reduce((s, e) => reduce(s, e), initialState());
  assert.deepEqual(facts(stepwise), facts(mixed));
  const later = reduce(mixed, [listed('6.8.0-55-generic')]);
  assert.equal(facts(later)['kernel.release'].value, '6.8.0-57');
  // With no local source the listing is still shown, and no condition uses it (neither +0.2 nor −0.15).
  const only = reduce(initialState(), [setMark, listed('6.8.0-55-generic'), listed('6.8.0-57-generic')]);
  // The source stays a path (tools join it to the inputs); that it was not used is said beside it.
  const { value: _v, conflicts: _c, ...said } = facts(only)['kernel.release'];
  assert.deepEqual(said, { source: 'k8s/cluster-info-dump', used: false, note: 'differs between the nodes this listing covers: not used' });
  const factors = diagnose(only, cat).find((d) => d.id === 'kernel-ipv6-mark-regression')!.factors;
  assert.ok(!factors.some((f) => f.facts.some((x) => x.name === 'kernel.release')), JSON.stringify(factors));
  // Another listing (another file) is its own source: its single value is not mixed.
  const other = reduce(mixed, [listed('6.8.0-57-generic', 'k8s/get-nodes')]);
  assert.equal(facts(other)['kernel.release'].source, 'k8s/get-nodes');
});

test('diagnoses are sorted most severe, then most confident, first (the JSON contract); a cause wins only a tie', () => {
  const crash = [0, 1, 2].map((i) => hit('calico-node-crashloop', 'back-off', T0 + i * 60_000, 10 + i));
  // A warning-severity cause does not go before an error-severity symptom.
  const ds = diagnose(reduce(initialState(), [...crash, hit('calico-iptables-backend-mismatch', 'backend-mismatch', T0)]), cat);
  assert.deepEqual(ds.map((d) => d.id), ['calico-node-crashloop', 'calico-iptables-backend-mismatch']);
  for (let i = 1; i < ds.length; i++) {
    const [a, b] = [ds[i - 1], ds[i]];
    const rank = { critical: 0, error: 1, warning: 2, info: 3 };
    assert.ok(rank[a.severity] < rank[b.severity] || (a.severity === b.severity && a.confidence >= b.confidence));
  }
  // Same severity and confidence: the cause first (though the symptom was seen more often: six
  // back-offs 40 minutes apart, never three in half an hour), and the symptom names it.
  const sparse = [0, 1, 2, 3, 4, 5].map((i) => hit('calico-node-crashloop', 'back-off', T0 + i * 40 * 60_000, 10 + i));
  const tie = diagnose(reduce(initialState(), [...sparse, ...[0, 1, 2, 3, 4].map((i) => hit('calico-datastore-unreachable', 'startup-retry', T0 + i * 60_000, 30 + i))]), cat);
  assert.deepEqual(tie.map((d) => [d.id, d.severity, d.confidence, d.occurrences]), [
    ['calico-datastore-unreachable', 'error', 0.7, 5],
    ['calico-node-crashloop', 'error', 0.7, 6],
  ]);
  assert.equal(tie[1].likelyCause, 'calico-datastore-unreachable');
});

test('remediation steps the node\'s facts contradict are left out; with the kernel unknown, every variant is shown', () => {
  const setMark = hit('kernel-ipv6-mark-regression', 'set-mark-rejected', T0, 3, { ipVersion: '0x6' });
  const steps = (kernel?: string): string => {
    const events: EngineEvent[] = [setMark, ...(kernel ? [fact('kernel.release', kernel)] : [])];
    return diagnose(reduce(initialState(), events), cat).find((d) => d.id === 'kernel-ipv6-mark-regression')!.remediation.join('\n');
  };
  const noble = /linux-image-6\.8\.0-55-generic/;
  const jammy = /linux-image-5\.15\.0-126-generic/;
  const other = /Other distributions/;
  const has = (s: string, want: [RegExp, boolean][]): void => { for (const [re, yes] of want) assert.equal(re.test(s), yes, `${re} in:\n${s}`); };
  has(steps('5.15.0-128-generic'), [[jammy, true], [noble, false], [other, false]]);
  has(steps('6.8.0-57-generic'), [[jammy, false], [noble, true], [other, false]]);
  const cloud = /linux-image-6\.8\.0-<previous abi>-<flavour>/;
  const changelog = /apt changelog linux-modules-/;
  has(steps('6.8.0-57-generic'), [[cloud, false], [changelog, true]]);
  has(steps('6.8.0-1025-aws'), [[jammy, false], [noble, false], [cloud, true], [other, false], [changelog, true]]);
  has(steps('6.11.4-201.fc40.x86_64'), [[cloud, false], [changelog, false]]);
  has(steps(), [[cloud, true], [changelog, true]]);
  has(steps('6.11.4-201.fc40.x86_64'), [[jammy, false], [noble, false], [other, true]]);
  has(steps(), [[jammy, true], [noble, true], [other, true]]);
  // felix's kernelVersion= has no flavour: 6.8.0-57 may be -generic or -lowlatency, 6.8.0-1025 a cloud's
  has(steps('6.8.0-57'), [[noble, true], [cloud, true], [jammy, false], [other, false]]);
  has(steps('6.8.0-1025'), [[noble, false], [cloud, true], [jammy, false], [other, false]]);
});

test('a timed kernel without its flavour is judged in the fuller form another source gives (the flagship sample lost its rollback step)', () => {
  const setMark = hit('kernel-ipv6-mark-regression', 'set-mark-rejected', T0, 3, { ipVersion: '0x6' });
  const felix: EngineEvent = { type: 'fact', name: 'kernel.release', value: '6.8.0-57', source: 'dump', priority: 40, time: T0 - 3_600_000, timed: true };
  const node: EngineEvent = { type: 'fact', name: 'kernel.release', value: '6.8.0-57-generic', source: 'nodes', priority: 80 };
  const d = diagnose(reduce(initialState(), [felix, node, setMark]), cat).find((x) => x.id === 'kernel-ipv6-mark-regression')!;
  const steps = d.remediation.join('\n');
  assert.match(steps, /linux-image-6\.8\.0-55-generic/);
  assert.doesNotMatch(steps, /<previous abi>-<flavour>/, 'a -generic kernel: not the other flavours\' step');
  const kernel = d.factors.flatMap((f) => f.facts.filter((x) => x.name === 'kernel.release'));
  assert.deepEqual(kernel.map((x) => [x.value, x.source]), [['6.8.0-57-generic', 'nodes']]);
  // a later kernel that is another one does not lend its flavour
  const other: EngineEvent = { ...node, value: '6.8.0-55-generic' };
  const d2 = diagnose(reduce(initialState(), [felix, other, setMark]), cat).find((x) => x.id === 'kernel-ipv6-mark-regression')!;
  assert.deepEqual(d2.factors.flatMap((f) => f.facts.filter((x) => x.name === 'kernel.release')).map((x) => x.value), ['6.8.0-57']);
});

test("the stop-gap (turn Calico's IPv6 off) is left out when Calico's IPv6 is already off", () => {
  const xor = hit('kernel-ipv6-mark-regression', 'xor-mark-rejected', T0, 3);
  const steps = (ipv6?: string): string => diagnose(reduce(initialState(), [xor, fact('kernel.release', '6.8.0-57-generic'), ...(ipv6 ? [fact('ipv6.enabled', ipv6, 'args/cni-env')] : [])]), cat)
    .find((d) => d.id === 'kernel-ipv6-mark-regression')!.remediation.join('\n');
  assert.doesNotMatch(steps('false'), /Stop-gap/);
  assert.match(steps('true'), /Stop-gap/);
  assert.match(steps(), /Stop-gap/);
});

test('a kernel installed shortly before the first failure raises confidence, and names the install', () => {
  const setMark = hit('kernel-ipv6-mark-regression', 'set-mark-rejected', T0, 3, { ipVersion: '0x6' });
  const install = (at: number): EngineEvent => ({ type: 'timeline', kind: 'kernel-install', text: 'kernel 6.8.0-57-generic installed', time: at, source: 'var/log/dpkg.log' });
  const factor = (events: EngineEvent[]) => diagnose(reduce(initialState(), [setMark, ...events]), cat)
    .find((d) => d.id === 'kernel-ipv6-mark-regression')!.factors.find((f) => /installed in the week before/.test(f.because));
  const day = 86_400_000;
  const f = factor([install(T0 - 2 * day)]);
  assert.ok(f, 'two days before');
  assert.deepEqual(f.facts, [{ name: 'kernel-install', value: 'kernel 6.8.0-57-generic installed', source: 'var/log/dpkg.log' }]);
  assert.equal(factor([install(T0 - 30 * day)]), undefined, 'a month before is not "shortly"');
  assert.equal(factor([install(T0 + day)]), undefined, 'after the first failure it cannot be the cause');
  assert.equal(factor([]), undefined);
});

test('together: two signals count as one failure only when seen within the window of each other', () => {
  const pair = (dt: number): string[] => diagnose(reduce(initialState(), [
    hit('kernel-ipv6-mark-regression', 'mark-warning-any-family', T0, 1),
    hit('kernel-ipv6-mark-regression', 'ip6-rule-append-failed', T0 + dt, 2),
  ]), cat).map((d) => d.id);
  assert.ok(pair(20_000).includes('kernel-ipv6-mark-regression'), 'the warning and the append 20 s apart: one failure');
  assert.ok(!pair(4 * 86_400_000).includes('kernel-ipv6-mark-regression'), 'four days apart: two unrelated lines');
  // Judged by the second, not the minute: `within: 1m` is 60 s whatever minutes the lines fall in.
  const at = (events: [string, number][]): boolean => diagnose(reduce(initialState(), events.map(([signal, t], i) => hit('kernel-ipv6-mark-regression', signal, t, i + 1))), cat)
    .some((d) => d.id === 'kernel-ipv6-mark-regression');
  const M = Math.floor(T0 / 60_000) * 60_000 + 60_000;
  assert.ok(!at([['mark-warning-any-family', M + 5_000], ['ip6-rule-append-failed', M + 60_000 + 35_000]]), '90 s apart in neighbouring minutes');
  assert.ok(at([['mark-warning-any-family', M + 58_000], ['ip6-rule-append-failed', M + 60_000 + 2_000]]), '4 s apart across a minute boundary');
  assert.ok(at([['mark-warning-any-family', M + 5_000], ['mark-warning-any-family', M + 55_000], ['ip6-rule-append-failed', M + 60_000 + 50_000]]), "the minute's last warning is 55 s before the append");
  assert.ok(!at([['mark-warning-any-family', M + 5_000], ['ip6-rule-append-failed', M + 120_000 + 6_000]]), 'two minutes apart');
  // Without stamps nothing says they are apart: they pair.
  const untimed = diagnose(reduce(initialState(), [
    hit('kernel-ipv6-mark-regression', 'mark-warning-any-family', undefined, 1),
    hit('kernel-ipv6-mark-regression', 'ip6-rule-append-failed', undefined, 2),
  ]), cat).map((d) => d.id);
  assert.ok(untimed.includes('kernel-ipv6-mark-regression'));
  // One unstamped warning elsewhere does not pair stamped lines four days apart.
  const stray = diagnose(reduce(initialState(), [
    hit('kernel-ipv6-mark-regression', 'mark-warning-any-family', T0, 1),
    hit('kernel-ipv6-mark-regression', 'mark-warning-any-family', undefined, 5),
    hit('kernel-ipv6-mark-regression', 'ip6-rule-append-failed', T0 + 4 * 86_400_000, 2),
  ]), cat).map((d) => d.id);
  assert.ok(!stray.includes('kernel-ipv6-mark-regression'), stray.join());
});

test("kernel-module-missing's MARK case is vetoed by a MARK warning beside an ip6tables append, not by another extension's", () => {
  const km = 'kernel-module-missing';
  const ids = (events: EngineEvent[]): string[] => diagnose(reduce(initialState(), events), cat).map((d) => d.id);
  const mark = (t: number, line: number): HitEvent => ({ ...hit(km, 'extension-missing', t, line, { ext: 'MARK' }), signals: ['extension-missing', 'mark-extension-missing'] });
  // xt_mark missing at 10:00 (IPv4), and an hour later one `comment` warning beside an ip6tables append
  const marks = [mark(T0, 1), mark(T0 + 60_000, 2)];
  const comment = hit(km, 'extension-missing', T0 + 3_600_000, 3, { ext: 'comment' });
  const append = hit(km, 'ip6-append-after-mark', T0 + 3_600_000 + 1_000, 4);
  assert.ok(ids([...marks, comment, append]).includes(km), 'the comment warning beside the append does not veto the MARK case');
  // the vopono pair: a MARK warning beside the append vetoes it
  assert.ok(!ids([...marks, mark(T0 + 3_600_000, 3), append]).includes(km));
});

test('min/within windows: two hits 29 minutes apart are within 30m, 30 minutes apart are not', () => {
  const km = 'kernel-module-missing';
  const raised = (gapMin: number): boolean => diagnose(reduce(initialState(), [
    hit(km, 'xtables-missing', T0, 1, { family: 'ip6tables' }),
    hit(km, 'xtables-missing', T0 + gapMin * 60_000, 2, { family: 'ip6tables' }),
  ]), cat).some((d) => d.id === km);
  assert.ok(raised(29));
  assert.ok(!raised(30));
});

test('facts a vetoed branch looked at are not shown as evidence', () => {
  // ip6tables tables missing on a kernel booted with ipv6.disable=1: that branch is vetoed by the
  // command line, the diagnosis is raised by the x_tables branch, which uses no fact
  const km = 'kernel-module-missing';
  const d = diagnose(reduce(initialState(), [
    hit(km, 'table-init-failed', T0, 1, { family: 'ip6tables' }),
    hit(km, 'table-init-failed', T0 + 60_000, 2, { family: 'ip6tables' }),
    hit(km, 'xtables-missing', T0, 3, { family: 'iptables' }),
    hit(km, 'xtables-missing', T0 + 60_000, 4, { family: 'iptables' }),
    fact('kernel.cmdline', 'BOOT_IMAGE=/vmlinuz root=/dev/sda1 ipv6.disable=1', 'proc/cmdline'),
  ]), cat).find((x) => x.id === km);
  assert.ok(d, 'raised by the x_tables branch');
  assert.ok(!d.evidence.some((e) => e.text.startsWith('kernel.cmdline')), JSON.stringify(d.evidence.map((e) => e.text)));
});

test('a signal seen every minute for longer than the bucket bound still counts in a window at the end', () => {
  // 20,000 minutes (about two weeks) of one warning a minute, then the pair at the end.
  const events: EngineEvent[] = [];
  for (let m = 0; m < 20_005; m++) events.push(hit('kernel-ipv6-mark-regression', 'mark-warning-any-family', T0 + m * 60_000, m + 1));
  const end = T0 + 20_010 * 60_000;
  events.push(hit('kernel-ipv6-mark-regression', 'mark-warning-any-family', end, 30_000), hit('kernel-ipv6-mark-regression', 'ip6-rule-append-failed', end + 5_000, 30_001));
  const ids = diagnose(reduce(initialState(), events), cat).map((d) => d.id);
  assert.ok(ids.includes('kernel-ipv6-mark-regression'), ids.join());
});

test('a head: fact rule (a file\'s first lines) is masked by its redact: like any fact rule', async () => {
  const { compileMatcher } = await import('../src/engine/matcher.js');
  const { scanText } = await import('../src/catalog/examples.js');
  const rule = { fact: 'test.cmdline', regex: '^(?<value>.+)$', head: 1, priority: 50, files: ['secret.txt'], redact: ['token=(?<secret>\\S+)'], examples: [{ text: 'x', value: 'x' }], file: 'test' } as unknown as (typeof cat.facts)[number];
  const m = compileMatcher({ ...cat, facts: [...cat.facts, rule] });
  const values = scanText(m, 'ro token=hunter2 quiet\n', { path: 'secret.txt', role: 'facts' }).flatMap((e) => (e.type === 'fact' && e.name === 'test.cmdline' ? [e.value] : []));
  assert.deepEqual(values, ['ro token=*** quiet']);
});

test('the nodes of the inputs: each input\'s (or directory bundle\'s) best node name; its own sources disagreeing is one node, not two', () => {
  const name = (value: string, source: string, priority: number, input?: string): EngineEvent => ({ type: 'fact', name: 'node.name', value, source, priority, ...(input ? { input } : {}) });
  // one sosreport: its hostname file, and an early-boot journal line naming the host "ubuntu"
  const one = reduce(initialState(), [name('node1', 'hostname', 90, 'sos.tar.xz'), name('ubuntu', 'sos_commands/logs/journalctl_--no-pager', 80, 'sos.tar.xz')]);
  assert.deepEqual(inputNodes(one), ['node1']);
  // two inputs, two nodes; a short and a full name of one node are one
  const two = reduce(one, [name('node2', 'hostname', 90, 'other.tar.gz'), name('NODE1.example.com', 'snap.microk8s.daemon-kubelite/journal.log', 80, 'inspect.tar.gz')]);
  assert.deepEqual(inputNodes(two), ['node1', 'node2']);
  // bundles inside one directory input are told apart by their `bundle: entry` sources
  const dir = reduce(initialState(), [name('node1', 'a.tar.xz: hostname', 90, 'uploads'), name('node2', 'b.tar.gz: hostname', 90, 'uploads')]);
  assert.deepEqual(inputNodes(dir), ['node1', 'node2']);
  // a pod's log or a cluster listing names other nodes: not an input's own
  const listed = reduce(one, [{ type: 'fact', name: 'node.name', value: 'node3', source: 'k8s/nodes', priority: 50, cluster: true, input: 'sos.tar.xz' }]);
  assert.deepEqual(inputNodes(listed), ['node1']);
});
