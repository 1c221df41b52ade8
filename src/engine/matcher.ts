// Compiles the catalog into what the scanners run: one literal index over every signal's literal,
// and per literal the regexes to try on a record that contains it.
import picomatch from 'picomatch';
import type { Catalog } from '../catalog/load.js';
import type { FactRule, PodRule, TimelineRule } from '../catalog/schema.js';
import { LiteralIndex, defaultFrequencies, type Frequencies } from './prefilter.js';

export type SignalOwner =
  | { kind: 'pattern'; patternId: string; signal: string }
  | { kind: 'fact'; rule: FactRule }
  | { kind: 'timeline'; rule: TimelineRule }
  | { kind: 'pod'; rule: PodRule }
  | { kind: 'marker'; name: string };

export interface CompiledSignal {
  idx: number;
  owner: SignalOwner;
  literal: string;
  re: RegExp;
  also: [string, RegExp][];
  /** `also` names that must match for a hit to count */
  require?: string[];
  /** path filter inside an input (fact rules bound to one file) */
  files?: (p: string) => boolean;
  window?: { before: number; after: number };
  /** fact rules: masks applied to the value (see the schema's `redact`) */
  redact?: RegExp[];
}

/** The literals and regexes one stream runs: only its active signals, so a rule bound to one file
 *  (a `snap list` column, say) never turns every log line mentioning microk8s into a candidate. */
export interface MatchView {
  /** unique literals, index-aligned with `groups` */
  literals: string[];
  groups: CompiledSignal[][];
  index: LiteralIndex;
}

/** A rule run outside the prefilter: fact `head:` rules on a stream's first lines, pod `path` rules
 *  on its path, pod `ref` rules on the records that raised a hit. */
export interface SideRule<R> { rule: R; re: RegExp; files: (p: string) => boolean; redact?: RegExp[] }

export interface Matcher {
  signals: CompiledSignal[];
  heads: SideRule<FactRule>[];
  podPaths: SideRule<PodRule>[];
  podRefs: SideRule<PodRule>[];
  view(active: boolean[]): MatchView;
  /** what it was compiled from, so a worker thread can compile the same matcher */
  source: { catalog: Catalog; markers: boolean };
}

/** The signals that apply to one stream: all for logs, facts and timeline only for fact files, and
 *  file-bound rules only on their files. */
export function activeSignals(m: Matcher, info: { role: 'log' | 'facts'; path: string }): boolean[] {
  return m.signals.map((s) =>
    (info.role === 'log' || s.owner.kind === 'fact' || s.owner.kind === 'timeline' || s.owner.kind === 'pod') && (!s.files || s.files(info.path)));
}

/** Internal signals that segment a stream (cluster-info-dump container log blocks). */
export const MARKERS: { name: string; literal: string; regex: string }[] = [
  { name: 'start', literal: '==== START logs for container ', regex: '^==== START logs for container (?<container>\\S+) of pod (?<ns>[^/\\s]+)/(?<pod>\\S+) ====' },
  { name: 'end', literal: '==== END logs for container ', regex: '^==== END logs for container (?<container>\\S+) of pod (?<ns>[^/\\s]+)/(?<pod>\\S+) ====' },
];

export function compileMatcher(cat: Catalog, opts: { markers?: boolean; freq?: Frequencies } = {}): Matcher {
  const signals: CompiledSignal[] = [];
  for (const p of cat.patterns) {
    for (const s of p.signals) {
      const flags = s.ignoreCase ? 'i' : '';
      signals.push({
        idx: signals.length,
        owner: { kind: 'pattern', patternId: p.id, signal: s.name },
        literal: s.literal,
        re: new RegExp(s.regex, flags),
        also: Object.entries(s.also ?? {}).map(([k, v]) => [k, new RegExp(v, flags)]),
        require: s.require,
      });
    }
  }
  const heads: SideRule<FactRule>[] = [];
  for (const r of cat.facts) {
    if (r.head !== undefined) {
      heads.push({ rule: r, re: new RegExp(r.regex, r.ignoreCase ? 'i' : ''), files: r.files ? picomatch(r.files, { dot: true }) : () => true, redact: r.redact?.map((re) => new RegExp(re, 'gd')) });
      continue;
    }
    signals.push({
      idx: signals.length,
      owner: { kind: 'fact', rule: r }, literal: r.literal!, re: new RegExp(r.regex, r.ignoreCase ? 'i' : ''), also: [],
      files: r.files ? picomatch(r.files, { dot: true, matchBase: false }) : undefined,
      window: r.window ? { before: r.window.before ?? 0, after: r.window.after ?? 0 } : undefined,
      redact: r.redact?.map((re) => new RegExp(re, 'gd')),
    });
  }
  for (const r of cat.timeline) {
    signals.push({
      idx: signals.length,
      owner: { kind: 'timeline', rule: r }, literal: r.literal, re: new RegExp(r.regex), also: [],
      files: r.files ? picomatch(r.files, { dot: true }) : undefined,
    });
  }
  const podPaths: SideRule<PodRule>[] = [];
  const podRefs: SideRule<PodRule>[] = [];
  for (const r of cat.pods ?? []) {
    const files = picomatch(r.files, { dot: true });
    if (r.kind === 'path') podPaths.push({ rule: r, re: new RegExp(r.regex), files });
    else if (r.kind === 'ref') podRefs.push({ rule: r, re: new RegExp(r.regex), files });
    else {
      signals.push({
        idx: signals.length, owner: { kind: 'pod', rule: r }, literal: r.literal!, re: new RegExp(r.regex), also: [], files,
        window: r.window ? { before: r.window.before ?? 0, after: r.window.after ?? 0 } : undefined,
      });
    }
  }
  if (opts.markers !== false) {
    for (const m of MARKERS) signals.push({ idx: signals.length, owner: { kind: 'marker', name: m.name }, literal: m.literal, re: new RegExp(m.regex), also: [] });
  }
  const freq = opts.freq ?? defaultFrequencies();
  const views = new Map<string, MatchView>();
  return {
    signals, heads, podPaths, podRefs,
    source: { catalog: cat, markers: opts.markers !== false },
    view(active) {
      const key = active.map((a) => (a ? '1' : '0')).join('');
      let v = views.get(key);
      if (!v) {
        const byLiteral = new Map<string, CompiledSignal[]>();
        for (const s of signals) {
          if (!active[s.idx]) continue;
          const g = byLiteral.get(s.literal) ?? [];
          g.push(s);
          byLiteral.set(s.literal, g);
        }
        const literals = [...byLiteral.keys()];
        v = { literals, groups: literals.map((l) => byLiteral.get(l)!), index: new LiteralIndex(literals, freq) };
        views.set(key, v);
      }
      return v;
    },
  };
}

/** The value with what each regex's `secret` group matched replaced by `***`. */
export function redactValue(value: string, masks: readonly RegExp[]): string {
  for (const re of masks) {
    re.lastIndex = 0;
    let out = '';
    let at = 0;
    for (let m = re.exec(value); m; m = re.exec(value)) {
      const span = m.indices?.groups?.secret;
      if (span && span[0] >= at) { out += value.slice(at, span[0]) + '***'; at = span[1]; }
      if (m[0] === '') re.lastIndex++;
    }
    value = out + value.slice(at);
  }
  return value;
}
