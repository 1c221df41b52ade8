// From engine state to ranked diagnoses: evaluates each pattern's `when` and confidence factors
// against the signals seen and the facts known. Pure; every view (report, UI, exports) calls this.
import type { Catalog, LoadedPattern } from '../catalog/load.js';
import type { Condition } from '../catalog/schema.js';
import { SEVERITY_RANK, type Severity } from '../catalog/severity.js';
import type { Evidence } from './events.js';
import { emptyPatternHits, type Bucket, type FactValue, type PatternHits, type SignalStats, type State, type TimelineEntry } from './state.js';
import { parseDuration, isoString } from '../parse/time.js';
import { agree, valueAt } from './timed.js';
import { versionInRange } from './version.js';

/** Code-unit order: stable across machines, and unlike localeCompare it does not load ICU at start. */
function byText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** `time`: the value is a timed one (a boot's kernel), in effect from then until the diagnosis's last hit */
export interface FactRef { name: string; value: string; source: string; time?: string }

export interface ConfidenceFactor { because: string; add: number; facts: FactRef[] }

export interface Diagnosis {
  id: string;
  title: string;
  severity: Severity;
  kind: 'cause' | 'symptom';
  confidence: number;
  summary: string;
  rootCause: string;
  notThis?: string;
  remediation: string[];
  references: string[];
  occurrences: number;
  firstSeen?: string;
  lastSeen?: string;
  evidence: Evidence[];
  /** what moved the confidence, with the facts it rests on */
  factors: ConfidenceFactor[];
  /** for symptoms: the cause diagnosis that most likely explains it */
  likelyCause?: string;
  /** live mode: no new evidence for this long (ms) */
  quietFor?: number;
  /** not current: the node started afresh (booted) after the last hit, and the logs go on for at
   *  least RESOLVED_AFTER past that without it */
  resolved?: Resolved;
  /** its hits came on both sides of a boot: how many from the latest such boot on (the rest came
   *  before it: a start-up blip in the boot before an upgrade is not the failure the upgrade brought) */
  sinceBoot?: SinceBoot;
  captures: Record<string, string>;
}

export interface SinceBoot {
  /** when the node started afresh: the latest boot between the first and the last hit */
  since: string;
  /** what happened then, as the timeline says it: `booted kernel 6.8.0-57-generic` */
  by: string;
  source: string;
  /** hits from that boot on, and the first of them */
  occurrences: number;
  firstSeen: string;
  /** stamped hits before it (the rest of the diagnosis's occurrences are listing rows, which tell no
   *  time, or in minutes older than those kept) */
  before: number;
}

export interface Resolved {
  /** when the node started afresh after the last hit */
  since: string;
  /** what happened then, as the timeline says it: `booted kernel 6.8.0-55-generic` */
  by: string;
  source: string;
  /** the latest record time of the logs read: how long they go on after `since` without this */
  logsUntil: string;
}

/** How long the logs must go on after a boot without a failure before it is reported as no longer
 *  current: long enough for calico-node and kube-proxy to have started and programmed their rules
 *  (and failed again, if they were going to). */
export const RESOLVED_AFTER = 10 * 60_000;

/** How a symptom's summary names its likely cause (views that show the cause apart strip it). */
export const LIKELY_CAUSE = ' Likely caused by ';

export const QUIET_AFTER = 10 * 60_000;

/** Do two names say the same node? Kubernetes names a node by its lowercased hostname; one side may
 *  carry a domain the other does not (`node1` and `node1.lab.example`). */
export function sameNode(a: string, b: string): boolean {
  const x = a.toLowerCase();
  const y = b.toLowerCase();
  if (x === y) return true;
  if (x.includes('.') === y.includes('.')) return false;
  return x.split('.')[0] === y.split('.')[0];
}

/** The nodes the inputs themselves come from: each input's (or bundle-in-a-directory's) own node
 *  name, the best its sources give (a sosreport's hostname over its journal's host field, which an
 *  early boot or a rename can make differ; not a pod's log, not a cluster listing). More than one:
 *  several nodes' bundles analyzed together, whose logs and boots are not one node's story. */
export function inputNodes(state: State): string[] {
  const best = new Map<string, FactValue>();
  for (const f of state.facts['node.name'] ?? []) {
    if (f.pod !== undefined || f.cluster || f.mixed) continue;
    // A bundle inside a directory names its sources `bundle: entry`.
    const cut = f.source.indexOf(': ');
    const key = `${f.input ?? ''}\0${cut > 0 ? f.source.slice(0, cut) : ''}`;
    const b = best.get(key);
    if (!b || f.priority > b.priority) best.set(key, f);
  }
  const out: string[] = [];
  for (const f of best.values()) if (!out.some((n) => sameNode(n, f.value))) out.push(f.value);
  return out;
}

/** Hits of one pod's log (or rows naming it) set aside: the pod runs on another node. */
export interface SetAsidePod { pod: string; node: string; hits: number; diagnoses: Record<string, number>; source: string }

export interface Attribution {
  /** this node's name, when an input says it */
  node?: string;
  /** pods with hits that run elsewhere, most hits first */
  setAside: SetAsidePod[];
}

const ATTRIBUTION = new WeakMap<State, Attribution>();

/** Which pods' hits are not this node's. Unknown when this node's name or the pod's node is not
 *  known: those hits count, as they always did. */
export function attribution(state: State): Attribution {
  let a = ATTRIBUTION.get(state);
  if (a) return a;
  const node = bestFact(state, 'node.name')?.value;
  const setAside: SetAsidePod[] = [];
  if (node !== undefined) {
    for (const [pod, byPattern] of Object.entries(state.podHits)) {
      const where = state.placements[pod];
      if (!where || sameNode(where.node, node)) continue;
      const diagnoses: Record<string, number> = {};
      let hits = 0;
      for (const [id, h] of Object.entries(byPattern)) { diagnoses[id] = h.occurrences; hits += h.occurrences; }
      if (hits) setAside.push({ pod, node: where.node, hits, diagnoses, source: where.source });
    }
    setAside.sort((x, y) => y.hits - x.hits || byText(x.pod, y.pod));
  }
  a = { node, setAside };
  ATTRIBUTION.set(state, a);
  return a;
}

const EFFECTIVE = new WeakMap<State, State>();

/** The state diagnosis reads: `state` itself, unless pods on other nodes had hits — then without
 *  those hits, and without facts read from those pods' logs. */
export function effectiveState(state: State): State {
  let e = EFFECTIVE.get(state);
  if (e) return e;
  const { setAside } = attribution(state);
  const pods = new Set(setAside.map((p) => p.pod));
  const elsewhere = (f: { pod?: string }): boolean => f.pod !== undefined && isElsewhere(state, f.pod);
  const podFacts = Object.values(state.facts).some((l) => l.some(elsewhere)) || Object.values(state.timedFacts).some((l) => l.some(elsewhere));
  if (!setAside.length && !podFacts) e = state;
  else {
    const hits: Record<string, PatternHits> = {};
    for (const [id, h] of Object.entries(state.hits)) {
      const parts = setAside.map((p) => state.podHits[p.pod][id]).filter((x): x is PatternHits => !!x);
      const left = parts.length ? withoutHits(h, parts, pods) : h;
      if (left.occurrences > 0) hits[id] = left;
    }
    const facts: State['facts'] = {};
    for (const [name, l] of Object.entries(state.facts)) {
      const kept = l.filter((f) => !elsewhere(f));
      if (kept.length) facts[name] = kept;
    }
    // and the kernel a boot or felix of another node's pod said was running (a timed value)
    const timedFacts: State['timedFacts'] = {};
    for (const [name, l] of Object.entries(state.timedFacts)) {
      const kept = l.filter((v) => !elsewhere(v));
      if (kept.length) timedFacts[name] = kept;
    }
    e = { ...state, hits, facts, timedFacts };
  }
  EFFECTIVE.set(state, e);
  return e;
}

/** Is this pod known to run on a node other than this one? */
function isElsewhere(state: State, pod: string): boolean {
  const { node } = attribution(state);
  const where = state.placements[pod];
  return node !== undefined && where !== undefined && !sameNode(where.node, node);
}

/** A pattern's hits less the parts that came from pods set aside. Counts are exact; a minute's
 *  first and last times stay those of all its hits when some of them remain. */
function withoutHits(h: PatternHits, parts: PatternHits[], pods: Set<string>): PatternHits {
  const out: PatternHits = { ...h, occurrences: h.occurrences, signals: {}, firstSeen: undefined, lastSeen: undefined };
  for (const p of parts) out.occurrences -= p.occurrences;
  for (const [name, s] of Object.entries(h.signals)) {
    const buckets = new Map<number, Bucket>(s.buckets);
    const captures = new Map(s.captures);
    const repeats = [...s.repeats];
    let count = s.count;
    let untimed = s.untimed;
    for (const p of parts) {
      const r = p.signals[name];
      if (!r) continue;
      count -= r.count;
      untimed -= r.untimed;
      for (const [m, b] of r.buckets) {
        const c = buckets.get(m);
        if (!c) continue;
        if (c.n - b.n <= 0) buckets.delete(m);
        else buckets.set(m, { ...c, n: c.n - b.n, p: Math.max(0, c.p - b.p) });
      }
      for (const [k, n] of r.captures) {
        const c = captures.get(k);
        if (c === undefined) continue;
        if (c - n <= 0) captures.delete(k);
        else captures.set(k, c - n);
      }
      for (const x of r.repeats) {
        const i = repeats.findIndex((y) => y.count === x.count && y.overMs === x.overMs);
        if (i >= 0) repeats.splice(i, 1);
      }
    }
    if (count <= 0) continue;
    const keep = (e: Evidence): boolean => !e.pod || !pods.has(e.pod);
    out.signals[name] = { count, buckets, untimed: Math.max(0, untimed), repeats, captures, first: s.first.filter(keep), last: s.last.filter(keep) };
    for (const b of buckets.values()) {
      if (out.firstSeen === undefined || b.first < out.firstSeen) out.firstSeen = b.first;
      if (out.lastSeen === undefined || b.last > out.lastSeen) out.lastSeen = b.last;
    }
  }
  return out;
}

/** The value conditions use: never one a cluster listing gave for several nodes at once. */
export function bestFact(state: State, name: string): FactValue | undefined {
  const f = state.facts[name]?.[0];
  return f?.mixed ? undefined : f;
}

/** The value a diagnosis's conditions use. A fact with timed values (a boot's kernel) takes the one
 *  in effect at the diagnosis's last hit `at`, whatever later boots or untimed sources (uname in a
 *  bundle made after a reboot) say. With no timed value at or before `at` (no boot line before the
 *  failures in the logs, or logs of different years), a diagnosis without stamps, or no timed
 *  values, the best value overall, as before timed facts. A timed value that another source gives
 *  more fully (felix's `6.8.0-57`, the node's `6.8.0-57-generic`: one kernel) is taken in that form,
 *  from that source: only the full one tells the flavour, which picks the rollback step. */
function factFor(state: State, name: string, at: number | undefined): (FactValue & { timed?: true }) | undefined {
  const history = state.timedFacts[name];
  if (at === undefined || !history?.length) return bestFact(state, name);
  const v = valueAt(history, at);
  if (!v) return bestFact(state, name);
  const fuller = state.facts[name]?.find((f) => !f.mixed && f.value.length > v.value.length && agree(f.value, v.value));
  if (fuller) return { value: fuller.value, source: fuller.source, line: fuller.line, time: v.time, priority: v.priority, timed: true };
  return { value: v.value, source: v.source, line: v.line, time: v.time, priority: v.priority, timed: true };
}

/** Untimed hits count in every window; a describe row's `(x12 over 9m)` counts its share of the
 *  12 that can fall in the window (all 12 in 10 minutes, 1 of 25 spread over 4 hours in 10 minutes). */
function untimedIn(s: SignalStats, within: number): number {
  let n = s.untimed;
  for (const r of s.repeats) n += Math.max(1, Math.min(r.count, Math.floor(r.count * (r.overMs > 0 ? within / r.overMs : 1)))) - 1;
  return n;
}

function windowMax(s: SignalStats, within: number): number {
  if (!s.buckets.size) return untimedIn(s, within);
  const minutes = [...s.buckets.keys()].sort((a, b) => a - b);
  const span = Math.max(1, Math.round(within / 60_000));
  let best = 0;
  let sum = 0;
  let lo = 0;
  for (let hi = 0; hi < minutes.length; hi++) {
    sum += s.buckets.get(minutes[hi])!.n;
    while (minutes[hi] - minutes[lo] >= span) sum -= s.buckets.get(minutes[lo++])!.n;
    if (sum > best) best = sum;
  }
  return best + untimedIn(s, within);
}

/** Were all these signals seen within `span` of each other? Judged on each minute's first and last
 *  hit of every signal: exact for two signals and spans of a minute or more (hits in one minute are
 *  under 60 s apart; across minutes the closest pair is the earlier minute's last and the later
 *  one's first). A signal seen only without stamps pairs with anything. */
function together(stats: (SignalStats | undefined)[], span: number): boolean {
  if (stats.some((s) => !s || !s.count)) return false;
  const all = stats as SignalStats[];
  // Only a signal seen with no stamp at all pairs with anything; one also seen with stamps is judged
  // by them (one unstamped line elsewhere must not pair lines days apart).
  const timed = all.filter((s) => s.buckets.size > 0);
  if (timed.length < 2) return true;
  const points: { t: number; i: number }[] = [];
  timed.forEach((s, i) => {
    for (const b of s.buckets.values()) {
      points.push({ t: b.first, i });
      if (b.last !== b.first) points.push({ t: b.last, i });
    }
  });
  points.sort((a, b) => a.t - b.t);
  // A window of `span` sliding over the points: does it ever hold one of every signal?
  const inWindow = new Array<number>(timed.length).fill(0);
  let held = 0;
  let lo = 0;
  for (const p of points) {
    if (inWindow[p.i]++ === 0) held++;
    while (p.t - points[lo].t > span) if (--inWindow[points[lo++].i] === 0) held--;
    if (held === timed.length) return true;
  }
  return false;
}

interface EvalCtx {
  state: State;
  pattern: LoadedPattern;
  active: Set<string>;
  usedFacts: FactRef[];
  /** the diagnosis's last hit: timed facts are judged as they were then */
  at?: number;
}

export function evaluate(c: Condition, ctx: EvalCtx): boolean {
  if ('all' in c) return c.all.every((x) => evaluate(x, ctx));
  if ('any' in c) return c.any.some((x) => evaluate(x, ctx));
  if ('not' in c) {
    const used = ctx.usedFacts.length;
    const r = !evaluate(c.not, ctx);
    if (!r) ctx.usedFacts.length = used;
    return r;
  }
  if ('diagnosis' in c) return ctx.active.has(c.diagnosis);
  if ('together' in c) return together(c.together.map((n) => ctx.state.hits[ctx.pattern.id]?.signals[n]), parseDuration(c.within));
  if ('event' in c) {
    const first = ctx.state.hits[ctx.pattern.id]?.firstSeen;
    if (first === undefined) return false;
    const span = parseDuration(c.within);
    const e = ctx.state.timeline.find((t) => t.kind === c.event && t.time !== undefined && t.time <= first && first - t.time <= span);
    if (e) ctx.usedFacts.push({ name: c.event, value: e.text, source: e.source });
    return !!e;
  }
  if ('signal' in c) {
    const s = ctx.state.hits[ctx.pattern.id]?.signals[c.signal];
    if (!s) return false;
    let n: number;
    if (c.where) {
      // Every key must match: the count is the smallest of the per-key counts (captures are
      // tallied per key, so this is an upper bound of the hits where all keys matched at once).
      n = Infinity;
      for (const [wk, wv] of Object.entries(c.where)) {
        const re = new RegExp(wv);
        let k = 0;
        for (const [key, cnt] of s.captures) {
          const eq = key.indexOf('=');
          if (key.slice(0, eq) === wk && re.test(key.slice(eq + 1))) k += cnt;
        }
        n = Math.min(n, k);
      }
    } else n = c.within ? windowMax(s, parseDuration(c.within)) : s.count;
    return n >= (c.min ?? 1);
  }
  const f = factFor(ctx.state, c.fact, ctx.at);
  if (c.present === false) return !f;
  if (!f) return false;
  let ok = true;
  if (c.equals !== undefined) ok &&= f.value.toLowerCase() === c.equals.toLowerCase();
  if (c.matches !== undefined) ok &&= new RegExp(c.matches).test(f.value);
  if (c.versionIn) ok &&= c.versionIn.some((r) => versionInRange(f.value, r));
  if (c.atLeast !== undefined) ok &&= Number(f.value) >= c.atLeast;
  if (ok) ctx.usedFacts.push({ name: c.fact, value: f.value, source: f.source, ...(f.timed ? { time: isoString(f.time) } : {}) });
  return ok;
}

/** A pattern is raised by its `when` (default: any signal seen). A `when` may hold on facts alone
 *  (a restart count in pod status), and then those facts are the evidence. */
function raised(p: LoadedPattern, state: State, active: Set<string>, usedFacts: FactRef[] = []): boolean {
  const h = state.hits[p.id];
  if (!p.when) return !!h && h.occurrences > 0;
  return evaluate(p.when, { state, pattern: p, active, usedFacts, at: h?.lastSeen });
}

/** A condition in three values: false only when what it rests on is known and says no (a fact
 *  no input gave is unknown, not false). */
function knownFalse(c: Condition, ctx: EvalCtx): boolean | undefined {
  if ('all' in c) {
    const r = c.all.map((x) => knownFalse(x, ctx));
    return r.some((x) => x === false) ? false : r.some((x) => x === undefined) ? undefined : true;
  }
  if ('any' in c) {
    const r = c.any.map((x) => knownFalse(x, ctx));
    return r.some((x) => x === true) ? true : r.some((x) => x === undefined) ? undefined : false;
  }
  if ('not' in c) {
    const r = knownFalse(c.not, ctx);
    return r === undefined ? undefined : !r;
  }
  if ('fact' in c && c.present === undefined && !factFor(ctx.state, c.fact, ctx.at)) return undefined;
  return evaluate(c, { ...ctx, usedFacts: [] });
}

/** The steps that apply to this node: a step whose `when` the facts contradict is left out (the
 *  Ubuntu 22.04 rollback on a 24.04 kernel); with the facts unknown, every variant is shown. */
function remediationText(p: LoadedPattern, ctx: EvalCtx): string[] {
  return p.remediation.filter((r) => !r.when || knownFalse(r.when, ctx) !== false)
    .map((r) => (r.commands?.length ? `${r.text}\n${r.commands.map((c) => `  $ ${c}`).join('\n')}` : r.text));
}

function evidenceOf(h: NonNullable<State['hits'][string]>): Evidence[] {
  const seen = new Set<string>();
  const out: Evidence[] = [];
  for (const s of Object.values(h.signals)) {
    for (const e of [...s.first, ...s.last]) {
      // A record quoted by several signals once; a followed file's successors (after a rotation)
      // restart their line numbers under the same name, so the text tells them apart.
      const key = `${e.source}:${e.line}:${e.text}`;
      if (seen.has(key)) continue;
      seen.add(key);
      out.push(e);
    }
  }
  return out.sort((a, b) => byText(a.time ?? '', b.time ?? '') || byText(a.source, b.source) || a.line - b.line);
}

function factEvidence(state: State, used: FactRef[]): Evidence[] {
  const out: Evidence[] = [];
  for (const u of used) {
    const f = u.time !== undefined
      ? state.timedFacts[u.name]?.find((x) => x.value === u.value && x.source === u.source && isoString(x.time) === u.time)
      : state.facts[u.name]?.find((x) => x.value === u.value && x.source === u.source);
    if (f && !out.some((e) => e.source === f.source && e.text.startsWith(u.name))) {
      out.push({ source: f.source, line: f.line ?? 0, time: isoString(f.time), text: `${u.name} = ${f.value}` });
    }
  }
  return out;
}

function diagnosisRefs(c: Condition, out: Set<string>): Set<string> {
  if ('all' in c) c.all.forEach((x) => diagnosisRefs(x, out));
  else if ('any' in c) c.any.forEach((x) => diagnosisRefs(x, out));
  else if ('not' in c) diagnosisRefs(c.not, out);
  else if ('diagnosis' in c) out.add(c.diagnosis);
  return out;
}

const ORDER = new WeakMap<Catalog, { order: LoadedPattern[]; cyclic: boolean }>();

/** Patterns in an order where each comes after the diagnoses its `when` names: a `not:` on a
 *  diagnosis can only be decided once that diagnosis is. Catalog order otherwise (a user's file
 *  that replaces a built-in one lands at the end of the list). */
function evaluationOrder(catalog: Catalog): { order: LoadedPattern[]; cyclic: boolean } {
  let o = ORDER.get(catalog);
  if (o) return o;
  const byId = new Map(catalog.patterns.map((p) => [p.id, p]));
  const order: LoadedPattern[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  let cyclic = false;
  const visit = (p: LoadedPattern): void => {
    const st = state.get(p.id);
    if (st === 'done') return;
    if (st === 'visiting') { cyclic = true; return; }
    state.set(p.id, 'visiting');
    for (const id of p.when ? diagnosisRefs(p.when, new Set()) : []) {
      const dep = byId.get(id);
      if (dep) visit(dep);
    }
    state.set(p.id, 'done');
    order.push(p);
  };
  catalog.patterns.forEach(visit);
  o = { order, cyclic };
  ORDER.set(catalog, o);
  return o;
}

export function diagnose(state0: State, catalog: Catalog): Diagnosis[] {
  const state = effectiveState(state0);
  const active = new Set<string>();
  const { order, cyclic } = evaluationOrder(catalog);
  // Acyclic references are settled in one pass; a cycle gets a few more (positive references only grow).
  for (let pass = 0; pass < (cyclic ? 3 : 1); pass++) {
    for (const p of order) if (raised(p, state, active)) active.add(p.id);
  }
  const out: Diagnosis[] = [];
  for (const p of catalog.patterns) {
    if (!active.has(p.id)) continue;
    const h = state.hits[p.id] ?? emptyPatternHits();
    const whenFacts: FactRef[] = [];
    raised(p, state, active, whenFacts);
    const factors: ConfidenceFactor[] = [];
    let conf = p.confidence.base;
    for (const f of p.confidence.factors) {
      const ctx: EvalCtx = { state, pattern: p, active, usedFacts: [], at: h.lastSeen };
      if (evaluate(f.when, ctx)) {
        conf += f.add;
        factors.push({ because: f.because, add: f.add, facts: ctx.usedFacts });
      }
    }
    const d: Diagnosis = {
      id: p.id, title: p.title, severity: p.severity, kind: p.kind,
      confidence: Math.round(Math.min(1, Math.max(0, conf)) * 100) / 100,
      summary: p.summary.trim(), rootCause: p.rootCause.trim(), notThis: p.notThis?.trim(),
      remediation: remediationText(p, { state, pattern: p, active, usedFacts: [], at: h.lastSeen }), references: p.references,
      occurrences: h.occurrences, firstSeen: isoString(h.firstSeen), lastSeen: isoString(h.lastSeen),
      evidence: [...evidenceOf(h), ...factEvidence(state, whenFacts)], factors, captures: h.captures,
    };
    if (state.now !== undefined && h.lastSeen !== undefined && state.now - h.lastSeen > QUIET_AFTER) d.quietFor = state.now - h.lastSeen;
    const resolved = notSeenSince(state, h);
    if (resolved) d.resolved = resolved;
    const split = sinceBoot(state, h);
    if (split) d.sinceBoot = split;
    out.push(d);
  }
  const rank = (d: Diagnosis): number => SEVERITY_RANK[d.severity];
  // The report contract (../shared/DESIGN.md, summarised in the README): most severe, then most
  // confident first. A cause goes before a symptom only where those tie; the symptom names its cause
  // in its own text.
  // What is no longer current goes after everything that is.
  out.sort((a, b) =>
    Number(!!a.resolved) - Number(!!b.resolved) || rank(a) - rank(b) || b.confidence - a.confidence ||
    Number(a.kind === 'symptom') - Number(b.kind === 'symptom') || b.occurrences - a.occurrences || byText(a.id, b.id));
  const allCauses = out.filter((d) => d.kind === 'cause' && d.severity !== 'info');
  for (const d of out) {
    if (d.kind !== 'symptom') continue;
    // A symptom still current is not explained by a cause that stopped before it did.
    const causes = d.resolved ? allCauses : allCauses.filter((c) => !c.resolved);
    const pattern = catalog.patterns.find((p) => p.id === d.id)!;
    const known = pattern.causedBy ? new Set(pattern.causedBy) : undefined;
    // Ranked first among the causes that can produce this symptom.
    const cause = causes.find((c) => !known || known.has(c.id));
    if (cause) {
      d.likelyCause = cause.id;
      d.summary += `${LIKELY_CAUSE}${cause.id} (${cause.title}), also diagnosed here: fix that first.`;
    } else {
      const others = causes.length ? ` ${causes.map((c) => c.id).join(', ')} ${causes.length > 1 ? 'were' : 'was'} found too, but ${causes.length > 1 ? 'none is' : 'is not'} known to cause this.` : '';
      // A bundle cut short (or a file not read) may hold the cause in its unread part: felix's log
      // is in the cluster-info-dump, near the end of an inspect tarball.
      const unread = state.problems.length ? ' Part of the input was not read (see “Not read”): the cause may be there.' : '';
      d.summary += ` No cause of this found in these logs.${unread}${others}${pattern.nextSteps ? ` ${pattern.nextSteps.trim()}` : ''}`;
    }
  }
  return out;
}

/** Not current: a fresh start (a boot) came after the diagnosis's last hit, and the logs go on for
 *  RESOLVED_AFTER or more past it without another hit. The first such boot is the one named. A
 *  diagnosis with unstamped hits (describe rows, which tell no time) or none is left current, and so
 *  is one whose logs end at the boot: no evidence either way. */
function notSeenSince(state: State, h: State['hits'][string]): Resolved | undefined {
  // One node's boot says nothing of another's failure (its bundle analyzed beside this one).
  if (inputNodes(state).length > 1) return undefined;
  const logEnd = ownLogEnd(state);
  if (h.lastSeen === undefined || logEnd === undefined || !h.occurrences) return undefined;
  if (Object.values(h.signals).some((s) => s.untimed > 0)) return undefined;
  let boot: TimelineEntry | undefined;
  for (const t of state.timeline) {
    if (t.freshStart && t.time !== undefined && t.time > h.lastSeen && (!boot || t.time < boot.time!)) boot = t;
  }
  if (!boot || logEnd - boot.time! < RESOLVED_AFTER) return undefined;
  return { since: isoString(boot.time)!, by: boot.text, source: boot.source, logsUntil: isoString(logEnd)! };
}

/** Hits on both sides of a boot: the latest boot between the first and the last hit, and the hits
 *  from it on. A minute that holds the boot counts after it (a minute keeps its first and last time,
 *  not each hit's); unstamped hits (`kubectl describe` rows) count in no boot. */
function sinceBoot(state: State, h: PatternHits): SinceBoot | undefined {
  if (h.firstSeen === undefined || h.lastSeen === undefined || inputNodes(state).length > 1) return undefined;
  let boot: TimelineEntry | undefined;
  for (const t of state.timeline) {
    if (t.freshStart && t.time !== undefined && t.time > h.firstSeen && t.time <= h.lastSeen && (!boot || t.time > boot.time!)) boot = t;
  }
  if (!boot) return undefined;
  const at = boot.time!;
  let n = 0;
  let before = 0;
  let first: number | undefined;
  for (const s of Object.values(h.signals)) {
    for (const b of s.buckets.values()) {
      if (b.last < at) {
        before += b.p;
        continue;
      }
      n += b.p;
      const f = b.first >= at ? b.first : b.last;
      if (first === undefined || f < first) first = f;
    }
  }
  // (a hit before the boot in the boot's own minute counts after it: then none may be left before)
  if (!n || !before || first === undefined) return undefined;
  return { since: isoString(at)!, by: boot.text, source: boot.source, occurrences: n, firstSeen: isoString(first)!, before };
}

/** How far this node's logs reach: its own, and its pods' (those not known to run elsewhere). */
function ownLogEnd(state: State): number | undefined {
  let end = state.logEnd;
  for (const [pod, t] of Object.entries(state.podLogEnd)) {
    if (!isElsewhere(state, pod) && !(end !== undefined && end >= t)) end = t;
  }
  return end;
}

/** Is this diagnosis one to act on now: not info, and not reported as no longer current? */
export function isCurrentProblem(d: Diagnosis): boolean {
  return d.severity !== 'info' && !d.resolved;
}

/** Upgrade moments and each diagnosis's first and last sighting, in time order. */
export function timeline(state0: State, diagnoses: Diagnosis[]): { time?: string; kind: string; text: string; source: string }[] {
  const state = effectiveState(state0);
  const entries: (TimelineEntry & { t?: number })[] = state.timeline.map((e) => ({ ...e, t: e.time }));
  for (const d of diagnoses) {
    const h = state.hits[d.id];
    if (!h || h.firstSeen === undefined) continue;
    const ev = d.evidence.find((e) => e.time) ?? d.evidence[0];
    if (!h.occurrences) continue;
    const b = d.sinceBoot;
    entries.push({ t: h.firstSeen, kind: 'first-seen', text: `first ${d.id}: ${d.title}${b ? ` (${b.before} of ${d.occurrences} before the boot at ${b.since})` : ''}`, source: ev?.source ?? '' });
    if (b) {
      // Seen again after a boot (the upgrade's): where the failure of this boot starts.
      const at = Date.parse(b.firstSeen);
      const then = d.evidence.find((e) => e.time && Date.parse(e.time) >= at) ?? ev;
      entries.push({ t: at, kind: 'since-boot', text: `${d.id} after the boot (${b.by}): ${b.occurrences} of ${d.occurrences} from here on`, source: then?.source ?? '' });
    }
    if (h.lastSeen !== undefined && h.lastSeen !== h.firstSeen) {
      const last = [...d.evidence].reverse().find((e) => e.time) ?? ev;
      entries.push({ t: h.lastSeen, kind: 'last-seen', text: `last ${d.id} (${d.occurrences} occurrences in all)`, source: last?.source ?? '' });
    }
  }
  entries.sort((a, b) => (a.t ?? Infinity) - (b.t ?? Infinity));
  return entries.map((e) => ({ time: isoString(e.t), kind: e.kind, text: e.text, source: e.source }));
}

/** A value split into what it states and the detail some sources add: `v1.32.3 (rev 7964)` from
 *  `snap list` is `1.32.3` plus `rev 7964`. Sources differ in prefix and case too (`v1.8.9`,
 *  `1.8.9`; `True`, `true`), and none of that is a disagreement. */
function factCore(value: string): { core: string; note: string } {
  const t = value.trim();
  let base = t;
  let note = '';
  // lastIndexOf, not a regex: values come from logs, and this runs once per fact source per report
  const open = t.endsWith(')') ? t.lastIndexOf('(') : -1;
  if (open > 0) {
    base = t.slice(0, open).trimEnd();
    note = t.slice(open + 1, -1).trim().replace(/\s+/g, ' ').toLowerCase();
  }
  return { core: base.toLowerCase().replace(/^v(?=\d)/, ''), note };
}

/** Do two sources say the same thing? A detail only one of them gives does not count against it,
 *  but two different details do (two snap revisions of one release are two installs). */
export function factValuesAgree(a: string, b: string): boolean {
  if (a === b) return true;
  const x = factCore(a);
  const y = factCore(b);
  if (x.note && y.note && x.note !== y.note) return false;
  // `6.8.0-57` (felix) and `6.8.0-57-generic` (uname) agree: one is the other without its flavour.
  return x.core === y.core || x.core.startsWith(`${y.core}-`) || y.core.startsWith(`${x.core}-`);
}

/** A fact as the report states it. `used: false` with a `note`: a listing of every node gave several
 *  values, so no condition used it (the source stays a path: tools join it to the inputs). */
export interface FactReport {
  value: string;
  source: string;
  used?: false;
  note?: string;
  conflicts?: { value: string; source: string; note?: string }[];
}

const MIXED_NOTE = 'differs between the nodes this listing covers: not used';

export function facts(state: State): Record<string, FactReport> {
  const out: Record<string, FactReport> = {};
  const elsewhere = (f: FactValue): string | undefined => (f.pod !== undefined && isElsewhere(state, f.pod) ? `read from ${f.pod}, which runs on ${state.placements[f.pod].node}: not used` : undefined);
  for (const name of Object.keys(state.facts).sort()) {
    // a value from another node's pod ranks below every value of this node's
    const list = [...state.facts[name].filter((f) => !elsewhere(f)), ...state.facts[name].filter((f) => elsewhere(f))];
    const [best, ...rest] = list;
    const noteOf = (f: FactValue): string | undefined => elsewhere(f) ?? (f.mixed ? MIXED_NOTE : undefined);
    const conflicts = rest.filter((f) => !factValuesAgree(f.value, best.value) && (best.combine !== 'max' || f.mixed !== best.mixed || !!elsewhere(f)))
      .map((f) => ({ value: f.value, source: f.source, ...(noteOf(f) ? { note: noteOf(f) } : {}) }));
    const bestNote = noteOf(best);
    out[name] = { value: best.value, source: best.source, ...(bestNote ? { used: false as const, note: bestNote } : {}), ...(conflicts.length ? { conflicts } : {}) };
  }
  return out;
}
