// The diagnosis engine's state and its reducer: (state, events) → state, pure. The input state is
// never changed; the parts an event batch touches are copied once per batch, so the bulk path can
// apply thousands of hits at the cost of one copy.
import type { EngineEvent, Evidence, HitEvent, InputSummary, ProblemEvent } from './events.js';
import { emptyRecent, forkRecent, recentAdd, recentGet, type Recent } from './recent.js';
import { timedAdd, type TimedValue } from './timed.js';

const EVIDENCE_FIRST = 3;
const EVIDENCE_LAST = 2;
const MAX_BUCKETS = 20_000;
const MAX_CAPTURE_VALUES = 64;
const MAX_FACT_SOURCES = 16;
const MAX_TIMELINE = 2000;
const MAX_PROBLEMS = 200;
const MAX_SEEN = 4096;
const MAX_REPEATS = 64;
/** pods whose node is remembered, and pods whose hits are kept apart (so that they can be set aside
 *  when the pod runs on another node); past these, a pod is treated as on an unknown node */
export const MAX_PLACEMENTS = 8192;
export const MAX_POD_HITS = 256;

export interface SignalStats {
  count: number;
  /** hits per minute (epoch minutes), for counts within a window, with the minute's first and last
   *  hit times (ms), which is all `together:` needs to judge two signals by the second */
  buckets: Map<number, Bucket>;
  untimed: number;
  /** untimed records that stand for several events over a span (describe rows), at most MAX_REPEATS */
  repeats: { count: number; overMs: number }[];
  /** `name=value` of captures → hits, for `where` conditions */
  captures: Map<string, number>;
  first: Evidence[];
  last: Evidence[];
}

/** `n` hits in a minute; `p` of them the records this signal is the first of (a record that matched
 *  several signals is counted by its first one only: the sum of `p` over a pattern's signals counts
 *  each record once) */
export interface Bucket { n: number; p: number; first: number; last: number }

export interface PatternHits {
  occurrences: number;
  /** time|text of recent hits → the source that counted it: the same entry copied into several
   *  files of a bundle (journal, syslog, the microk8s journal of a sosreport) counts once */
  seen: Recent;
  firstSeen?: number;
  lastSeen?: number;
  signals: Record<string, SignalStats>;
  captures: Record<string, string>;
}

export interface FactValue {
  value: string; source: string; line?: number; time?: number; priority: number; combine?: 'max';
  /** `ns/pod` whose log gave it: it describes that pod's node */
  pod?: string;
  /** the input (a path given to analyze) it came from */
  input?: string;
  /** from a listing of every node */
  cluster?: boolean;
  /** a cluster listing whose source gave different values: they describe different nodes, and
   *  which one is this node's is not known */
  mixed?: boolean;
}

export interface TimelineEntry { time?: number; kind: string; text: string; source: string; line?: number; freshStart?: true }

export interface State {
  /** every hit, wherever it came from */
  hits: Record<string, PatternHits>;
  /** `ns/pod` → pattern → the part of `hits` from that pod's log or rows naming it (at most
   *  MAX_POD_HITS pods): set aside at diagnosis when the pod runs on another node */
  podHits: Record<string, Record<string, PatternHits>>;
  /** hits from pods past MAX_POD_HITS: they count wherever the pod runs */
  podHitsUntracked: number;
  /** `ns/pod` → the node it runs on (at most MAX_PLACEMENTS), from pod listings */
  placements: Record<string, { node: string; source: string }>;
  facts: Record<string, FactValue[]>;
  /** `fact\0source` of cluster listings that gave different values (kept when their entries are not) */
  mixedFacts: Record<string, true>;
  timeline: TimelineEntry[];
  timelineDropped: number;
  inputs: InputSummary[];
  problems: ProblemEvent[];
  stats: { lines: number; bytes: number; records: number; regexRuns: number };
  now?: number;
  /** timed facts (rules marked `timed`): each fact's values in time order, one per change (timed.ts) */
  timedFacts: Record<string, readonly TimedValue[]>;
  /** the latest record time the node's own logs reached (hits, timeline events, the streams' last
   *  lines), pods' logs apart */
  logEnd?: number;
  /** `ns/pod` → the latest record time of that pod's log (at most MAX_POD_HITS pods; past that a
   *  pod's reach is not kept): it counts for this node only if the pod is not known to run elsewhere */
  podLogEnd: Record<string, number>;
  /** bumped by every change: views redraw only when it moves */
  version: number;
}

export function initialState(): State {
  return {
    hits: {}, podHits: {}, podHitsUntracked: 0, podLogEnd: {}, placements: {}, facts: {}, mixedFacts: {}, timedFacts: {}, timeline: [], timelineDropped: 0, inputs: [], problems: [],
    stats: { lines: 0, bytes: 0, records: 0, regexRuns: 0 }, version: 0,
  };
}

function cloneSignal(s: SignalStats): SignalStats {
  return { ...s, buckets: new Map(s.buckets), captures: new Map(s.captures), first: [...s.first], last: [...s.last], repeats: [...s.repeats] };
}

/** Is `a` a better value than `b` for the same fact? */
export function betterFact(a: FactValue, b: FactValue): boolean {
  if (!a.mixed !== !b.mixed) return !a.mixed;
  if (a.combine === 'max' && b.combine === 'max') return Number(a.value) > Number(b.value);
  if (a.priority !== b.priority) return a.priority > b.priority;
  return (a.time ?? 0) > (b.time ?? 0);
}

function sortFacts(l: FactValue[]): FactValue[] {
  return l.sort((a, b) => (betterFact(a, b) ? -1 : betterFact(b, a) ? 1 : 0));
}

export function emptyPatternHits(): PatternHits {
  return { occurrences: 0, signals: {}, captures: {}, seen: emptyRecent() };
}

/** A copy that a batch may change: the signal stats are copied, the evidence entries shared. */
function clonePatternHits(ph: PatternHits): PatternHits {
  return { ...ph, seen: forkRecent(ph.seen), captures: { ...ph.captures }, signals: Object.fromEntries(Object.entries(ph.signals).map(([k, v]) => [k, cloneSignal(v)])) };
}

/** `n` hits at `time` into per-minute buckets (a batch's copy of the map); `primary`: this signal is
 *  the record's first, the one it is counted by once. */
function addToMinute(buckets: Map<number, Bucket>, time: number, n: number, primary: boolean): void {
  const minute = Math.floor(time / 60_000);
  // Full: the oldest minute makes room (first in insertion order: logs mostly run forward), so
  // a window at the end of a long log still counts what it holds.
  if (!buckets.has(minute) && buckets.size >= MAX_BUCKETS) buckets.delete(buckets.keys().next().value!);
  const b = buckets.get(minute);
  // a new object, never a change: the map is a per-batch copy, its values are shared
  const p = primary ? n : 0;
  buckets.set(minute, b ? { n: b.n + n, p: b.p + p, first: Math.min(b.first, time), last: Math.max(b.last, time) } : { n, p, first: time, last: time });
}

/** One counted hit into a pattern's stats (its copy for this batch). */
function applyHit(ph: PatternHits, ev: HitEvent): void {
  const n = ev.repeat?.count ?? 1;
  ph.occurrences += n;
  if (ev.time !== undefined) {
    if (ph.firstSeen === undefined || ev.time < ph.firstSeen) ph.firstSeen = ev.time;
    if (ph.lastSeen === undefined || ev.time > ph.lastSeen) ph.lastSeen = ev.time;
  }
  Object.assign(ph.captures, ev.captures);
  for (const name of ev.signals) {
    const s = (ph.signals[name] ??= { count: 0, buckets: new Map(), untimed: 0, repeats: [], captures: new Map(), first: [], last: [] });
    s.count += n;
    if (ev.time === undefined) {
      s.untimed++;
      // The repeats beyond the first count in a window by their spread (see windowMax); past
      // the bound they are still counted, as one each.
      if (ev.repeat && s.repeats.length < MAX_REPEATS) s.repeats.push(ev.repeat);
    } else {
      addToMinute(s.buckets, ev.time, n, name === ev.signals[0]);
    }
    for (const [k, v] of Object.entries(ev.captures)) {
      const key = `${k}=${v}`;
      if (s.captures.has(key) || s.captures.size < MAX_CAPTURE_VALUES) s.captures.set(key, (s.captures.get(key) ?? 0) + n);
    }
    if (name !== ev.signals[0]) continue; // one record, one evidence entry
    if (s.first.length < EVIDENCE_FIRST) s.first.push(ev.evidence);
    else {
      s.last.push(ev.evidence);
      if (s.last.length > EVIDENCE_LAST) s.last.shift();
    }
  }
}

export function reduce(state: State, events: EngineEvent | readonly EngineEvent[]): State {
  const list = Array.isArray(events) ? events : [events as EngineEvent];
  if (!list.length) return state;
  const next: State = { ...state, version: state.version + 1 };
  const touchedHits = new Set<string>();
  const ownedFacts = new Set<string>();
  let hitsCopied = false;
  let factsCopied = false;
  let mixedCopied = false;
  let podHitsCopied = false;
  let placementsCopied = false;
  let podLogEndCopied = false;
  let podLogEnds = Object.keys(next.podLogEnd).length;
  const touchedPods = new Set<string>();
  const touchedPodHits = new Set<string>();

  for (const ev of list) {
    // How far the logs reach, and the history of timed facts: apart from the cases below.
    const reached = ev.type === 'hit' || ev.type === 'timeline' ? ev.time : ev.type === 'stats' ? ev.lastTime : undefined;
    const pod = ev.type === 'hit' ? ev.pod : ev.type === 'stats' ? ev.lastPod : undefined;
    if (reached !== undefined && pod !== undefined) {
      // Another node's pod (placements may come later) must not make this node's logs look longer.
      // Past MAX_POD_HITS pods a pod's reach is dropped: unknown, it must not make a failure look gone.
      const known = pod in next.podLogEnd;
      if ((known || podLogEnds < MAX_POD_HITS) && !(next.podLogEnd[pod] >= reached)) {
        if (!podLogEndCopied) { next.podLogEnd = { ...next.podLogEnd }; podLogEndCopied = true; }
        next.podLogEnd[pod] = reached;
        if (!known) podLogEnds++;
      }
    } else if (reached !== undefined && !(next.logEnd !== undefined && next.logEnd >= reached)) next.logEnd = reached;
    if (ev.type === 'fact' && ev.timed && ev.time !== undefined) {
      const h = timedAdd(next.timedFacts[ev.name], { value: ev.value, time: ev.time, source: ev.source, line: ev.line, priority: ev.priority, ...(ev.pod ? { pod: ev.pod } : {}) });
      if (h !== next.timedFacts[ev.name]) next.timedFacts = { ...next.timedFacts, [ev.name]: h };
    }
    switch (ev.type) {
      case 'hit': {
        if (!hitsCopied) { next.hits = { ...next.hits }; hitsCopied = true; }
        let ph = next.hits[ev.patternId];
        if (!touchedHits.has(ev.patternId)) {
          ph = next.hits[ev.patternId] = ph ? clonePatternHits(ph) : emptyPatternHits();
          touchedHits.add(ev.patternId);
        }
        if (ev.time !== undefined) {
          const key = `${Math.floor(ev.time / 1000)}|${ev.evidence.text}`;
          const first = recentGet(ph.seen, key);
          if (first !== undefined && first !== ev.evidence.source) break; // a copy of an entry already counted
          if (first === undefined) ph.seen = recentAdd(ph.seen, key, ev.evidence.source, MAX_SEEN);
        }
        applyHit(ph, ev);
        if (ev.pod === undefined) break;
        // The same hit again, apart under its pod: diagnosis sets it aside if the pod is elsewhere.
        let pods = next.podHits[ev.pod];
        if (!pods && Object.keys(next.podHits).length >= MAX_POD_HITS) { next.podHitsUntracked++; break; }
        if (!podHitsCopied) { next.podHits = { ...next.podHits }; podHitsCopied = true; }
        const key = `${ev.pod}\0${ev.patternId}`;
        if (!touchedPods.has(ev.pod)) { pods = next.podHits[ev.pod] = { ...pods }; touchedPods.add(ev.pod); }
        if (!touchedPodHits.has(key)) {
          const p0 = pods![ev.patternId];
          pods![ev.patternId] = p0 ? clonePatternHits(p0) : emptyPatternHits();
          touchedPodHits.add(key);
        }
        applyHit(pods![ev.patternId], ev);
        break;
      }
      case 'placement': {
        if (next.placements[ev.pod]?.node === ev.node) break;
        if (!next.placements[ev.pod] && Object.keys(next.placements).length >= MAX_PLACEMENTS) break;
        if (!placementsCopied) { next.placements = { ...next.placements }; placementsCopied = true; }
        next.placements[ev.pod] = { node: ev.node, source: ev.source };
        break;
      }
      case 'fact': {
        if (!factsCopied) { next.facts = { ...next.facts }; factsCopied = true; }
        const fv: FactValue = { value: ev.value, source: ev.source, line: ev.line, time: ev.time, priority: ev.priority, combine: ev.combine };
        if (ev.pod !== undefined) fv.pod = ev.pod;
        if (ev.input !== undefined) fv.input = ev.input;
        let l = next.facts[ev.name] ?? [];
        // The list is copied once per batch, then changed in place (a fact line repeated on every
        // line of a log would otherwise copy it per event).
        const own = (): void => { if (!ownedFacts.has(ev.name)) { l = [...l]; ownedFacts.add(ev.name); } };
        let marked = false;
        if (ev.cluster) {
          fv.cluster = true;
          const key = `${ev.name}\0${ev.source}`;
          if (!next.mixedFacts[key] && l.some((f) => f.cluster && f.source === ev.source && f.value !== ev.value)) {
            if (!mixedCopied) { next.mixedFacts = { ...next.mixedFacts }; mixedCopied = true; }
            next.mixedFacts[key] = true;
            own();
            for (let i = 0; i < l.length; i++) if (l[i].cluster && l[i].source === ev.source) l[i] = { ...l[i], mixed: true };
            marked = true;
          }
          if (next.mixedFacts[key]) fv.mixed = true;
        }
        const same = l.findIndex((f) => f.value === fv.value && f.source === fv.source);
        if (same >= 0 && !betterFact(fv, l[same])) {
          if (marked) next.facts[ev.name] = sortFacts(l);
          break;
        }
        own();
        if (same >= 0) l.splice(same, 1);
        l.push(fv);
        sortFacts(l);
        if (l.length > MAX_FACT_SOURCES) l.length = MAX_FACT_SOURCES;
        next.facts[ev.name] = l;
        break;
      }
      case 'timeline':
        if (next.timeline.length >= MAX_TIMELINE) { next.timelineDropped++; break; }
        // dpkg logs `status installed` more than once per package; the same event from several copies of a log
        if (next.timeline.some((t) => t.kind === ev.kind && t.text === ev.text && Math.abs((t.time ?? 0) - (ev.time ?? 0)) <= 10 * 60_000)) break;
        if (next.timeline === state.timeline) next.timeline = [...state.timeline];
        next.timeline.push({ time: ev.time, kind: ev.kind, text: ev.text, source: ev.source, line: ev.line, ...(ev.freshStart ? { freshStart: true as const } : {}) });
        break;
      case 'input':
        next.inputs = [...next.inputs.filter((i) => i.path !== ev.input.path), ev.input];
        break;
      case 'problem':
        if (next.problems.length < MAX_PROBLEMS) next.problems = [...next.problems, ev];
        break;
      case 'tick':
        next.now = ev.now;
        break;
      case 'stats':
        next.stats = {
          lines: next.stats.lines + ev.lines, bytes: next.stats.bytes + ev.bytes,
          records: next.stats.records + ev.records, regexRuns: next.stats.regexRuns + ev.regexRuns,
        };
        break;
    }
  }
  return next;
}
