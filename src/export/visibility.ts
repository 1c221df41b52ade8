// Where a signal can be seen from outside cni-doctor, derived from the pattern file itself — no
// per-pattern table in code. The rule (documented in the README's Fleet section):
//
//   * a signal is JOURNAL-visible under SYSLOG_IDENTIFIER X when one of its pattern's positive
//     examples is journal-wrapped (formats journal, journal-iso, syslog), carries entries of X, and
//     the signal's regex matches those entries' MESSAGE text (one message, or consecutive messages
//     joined by "\n" as node-problem-detector's buffer joins them). An identifier that now writes
//     another's lines (MicroK8s ≥ 1.21's kubelite hosts kubelet, kube-proxy, …) sees them too: the
//     `journalHosts` of patterns/streams/*.yaml;
//   * a signal is POD-LOG-visible in container C when a positive example shows its line in C's log
//     (CRI `P` partials joined, as Promtail's `cri` stage does): the line's felix component, mapped
//     by the `components` of patterns/streams/*.yaml, the container markers of a cluster-info-dump,
//     or else the example's own `container:`. Never the format alone, because the same felix-format
//     line can be calico-node's stdout or the host-side CNI plugin's cni.log, and a
//     cluster-info-dump holds API objects (NodeList conditions, Events) next to the pod logs.
//
// calico-node's felix output is never in the journal: the container runtime writes it to
// /var/log/pods/<ns>_<pod>_<uid>/calico-node/<restart>.log. So felix-only signals are POD-LOG-visible
// only, and NPD (which reads the journal) cannot export them; `export loki` can. containerd's own
// (logrus) lines are its journal, not a pod log, and carry no identifier in the examples.
//
// A signal that `require`s `also` parts is exported as its regex and those parts on one line
// (lineRegex), and is seen in an example only where the example's line holds them all.
//
// Second filter: NPD and Loki see one line at a time, with no facts and no other diagnoses. A signal
// is exported only if the pattern's `when` raises the diagnosis on that signal alone (possibly with a
// count); signals that only count together with facts (an affected kernel), with `where:` captures or
// with another diagnosis are reported as skipped.
import type { Catalog, LoadedPattern } from '../catalog/load.js';
import type { Condition, Signal } from '../catalog/schema.js';
import { parseLine } from '../parse/formats.js';

export const JOURNAL_FORMATS = new Set(['journal', 'journal-iso', 'syslog']);
/** Formats that can hold container output: felix-format lines (bare or in CRI lines) and cluster-info-dump log blocks. */
export const POD_FORMATS = new Set(['felix', 'cri', 'cluster-info-dump']);
/** node-problem-detector's default buffer, and ours */
export const NPD_BUFFER = 10;

export const CALICO_NODE = 'calico-node';
export const INSTALL_CNI = 'install-cni';

/** Where lines are written, as the catalog's `kind: streams` files say (a later file's entry wins). */
export interface StreamMap {
  /** journal identifier → the identifiers whose lines it now writes (kubelite hosts kubelet …) */
  hosts: Map<string, Set<string>>;
  /** felix-format component → the container whose log holds it; null: not a pod log */
  components: Map<string, string | null>;
  /** source file → the components the catalog's prefixed lines show it in (see calicoSourceFiles) */
  files: Map<string, Set<string>>;
}

export function streamMap(cat: Catalog): StreamMap {
  const hosts = new Map<string, Set<string>>();
  const components = new Map<string, string | null>();
  for (const f of cat.streams) {
    for (const [host, ids] of Object.entries(f.journalHosts)) hosts.set(host, new Set([...(hosts.get(host) ?? []), ...ids]));
    for (const [c, container] of Object.entries(f.components)) components.set(c, container);
  }
  return { hosts, components, files: calicoSourceFiles(cat) };
}

const CTX = { refTime: Date.UTC(2025, 5, 1) };

/** `2025-05-26 18:07:12.345 [WARNING][83] felix/table.go 1454:` → component `felix`, file `table.go`;
 *  before Calico v3.14 there is no component: `table.go 884:`. */
const FELIX_SOURCE = /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(?:\.\d+)? \[[A-Z]+\]\[\d+\] (?:([A-Za-z0-9_.-]+)\/)?(\S+)/;
const DUMP_BLOCK = /^==== (START|END) logs for container (\S+) of pod (\S+) ====$/;

export interface JournalEntry { identifier: string; message: string }

/** The journal entries of a journal-wrapped example, MESSAGE trimmed as NPD's journald watcher does. */
export function journalEntries(text: string): JournalEntry[] {
  const out: JournalEntry[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    const p = parseLine(line, 'journal', CTX);
    if ((p.format === 'journal' || p.format === 'journal-iso' || p.format === 'syslog') && p.unit) {
      out.push({ identifier: p.unit, message: p.msg.trim() });
    }
  }
  return out;
}

/** Source file → the components the catalog's prefixed felix-format lines show it in, so that an
 *  unprefixed (pre-v3.14) line can be placed by its file when the catalog itself says where that
 *  file lives (`startup.go` is `startup/startup.go`); a file it never shows prefixed stays unplaced. */
export function calicoSourceFiles(cat: Catalog): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  for (const p of cat.patterns) {
    for (const ex of [...p.examples.positive, ...p.examples.negative]) {
      if (!POD_FORMATS.has(ex.format)) continue;
      for (const raw of ex.text.split('\n')) {
        const cri = ex.format === 'cri' ? parseLine(raw, 'cri', CTX) : undefined;
        const m = FELIX_SOURCE.exec(cri?.format === 'cri' ? cri.msg : raw);
        if (m?.[1]) out.set(m[2], new Set([...(out.get(m[2]) ?? []), m[1]]));
      }
    }
  }
  return out;
}

/** The container a felix-format line names by its component: undefined when the line is no felix
 *  header, 'unknown' when it names none the catalog places (a pre-v3.14 line from an unknown file). */
function felixContainer(line: string, streams: StreamMap): string | null | 'unknown' | undefined {
  const m = FELIX_SOURCE.exec(line);
  if (!m) return undefined;
  let component = m[1];
  if (!component) {
    const known = streams.files.get(m[2]);
    if (known?.size !== 1) return 'unknown';
    component = [...known][0];
  }
  const c = streams.components.get(component);
  return c === undefined ? 'unknown' : c;
}

export interface PodLine { line: string; container: string | null }

/** The pod-log lines of a container-log example and the container each was written by (null: not
 *  a pod log, or nothing says which container). A cluster-info-dump names the container in its
 *  START/END markers and everything outside them is API objects; a felix-format line names its
 *  component; a line without a header continues the record before it (a raw newline in a felix
 *  value); what the line cannot say, the example's `container` does. */
export function podStreams(text: string, format: string, streams: StreamMap, container?: string): PodLine[] {
  const lines = text.split('\n').filter((l) => l.trim());
  const out: PodLine[] = [];
  if (format === 'cluster-info-dump') {
    let container: string | null = null;
    for (const line of lines) {
      const m = DUMP_BLOCK.exec(line.trim());
      if (m) { container = m[1] === 'START' ? m[2] : null; continue; }
      if (container) out.push({ line, container });
    }
    return out;
  }
  let joined = lines;
  if (format === 'cri') {
    joined = [];
    let partial = '';
    for (const line of lines) {
      const p = parseLine(line, 'cri', CTX);
      if (p.format !== 'cri') { joined.push(line); continue; }
      partial += p.msg;
      if (!p.partial) { joined.push(partial); partial = ''; }
    }
    if (partial) joined.push(partial);
  }
  const stated = container ?? null;
  let current: string | null = stated;
  for (const line of joined) {
    const c = felixContainer(line, streams);
    if (c !== undefined) current = c === 'unknown' ? stated : c;
    out.push({ line, container: current });
  }
  return out;
}

/** Message windows as NPD's buffer holds them when each message arrives (the newest last). */
export function windows(messages: string[], size = NPD_BUFFER): string[] {
  const out: string[] = [];
  for (let i = 0; i < messages.length; i++) {
    for (let k = 1; k <= size && k <= i + 1; k++) out.push(messages.slice(i - k + 1, i + 1).join('\n'));
  }
  return out;
}

export interface Need {
  /** occurrences of this signal alone that raise the diagnosis */
  min: number;
  /** the time window those occurrences must fall in, when the pattern says */
  within?: string;
}

function holds(c: Condition, name: string, count: number): boolean {
  if ('all' in c) return c.all.every((x) => holds(x, name, count));
  if ('any' in c) return c.any.some((x) => holds(x, name, count));
  // A line matcher sees this one signal only: it cannot tell that something else is absent (another
  // signal, a fact, a diagnosis), so a condition that needs that is not met by the signal alone.
  if ('not' in c) return aboutOnly(c.not, name) && !holds(c.not, name, count);
  if ('diagnosis' in c || 'event' in c || 'together' in c) return false;
  if ('signal' in c) return c.signal === name && !c.where && count >= (c.min ?? 1);
  return c.present === false; // a fact: unknown to a line-by-line matcher
}

/** Does the condition look at the signal `name` only? */
function aboutOnly(c: Condition, name: string): boolean {
  if ('all' in c) return c.all.every((x) => aboutOnly(x, name));
  if ('any' in c) return c.any.every((x) => aboutOnly(x, name));
  if ('not' in c) return aboutOnly(c.not, name);
  return 'signal' in c && c.signal === name && !c.where;
}

function mins(c: Condition, name: string, acc: { min: number; within?: string }[]): void {
  if ('all' in c) c.all.forEach((x) => mins(x, name, acc));
  else if ('any' in c) c.any.forEach((x) => mins(x, name, acc));
  else if ('not' in c) mins(c.not, name, acc);
  else if ('signal' in c && c.signal === name && !c.where) acc.push({ min: c.min ?? 1, within: c.within });
}

/** Does this signal, seen alone, raise the pattern's diagnosis — and how often must it be seen? */
export function standaloneNeed(p: LoadedPattern, signal: string): Need | undefined {
  if (!p.when) return { min: 1 };
  const nodes: { min: number; within?: string }[] = [];
  mins(p.when, signal, nodes);
  const counts = [...new Set([1, ...nodes.map((n) => n.min)])].sort((a, b) => a - b);
  for (const n of counts) {
    if (!holds(p.when, signal, n)) continue;
    const node = nodes.filter((x) => x.min <= n).sort((a, b) => b.min - a.min)[0];
    return { min: n, within: node?.within };
  }
  return undefined;
}

export interface Sighting {
  /** the example's index among the pattern's positive examples */
  example: number;
  /** the messages (journal) or lines (pods) that the signal's regex matched */
  texts: string[];
  /** journal: all of the identifier's messages in that example, in order (the NPD stream) */
  stream: string[];
}

export interface SignalView {
  pattern: LoadedPattern;
  signal: Signal;
  need?: Need;
  /** SYSLOG_IDENTIFIER → where the examples show the signal */
  journal: Map<string, Sighting[]>;
  /** container name → where the examples show the signal in that container's pod log */
  containers: Map<string, Sighting[]>;
  /** the calico-node container's sightings (containers.get('calico-node') ?? []) */
  pods: Sighting[];
  /** positive examples in a container-log format that match but put the line in no container's log
   *  (an API object in a cluster-info-dump, the CNI plugin's cni.log, an unplaced line) */
  unplaced: number;
}

/** A regex with its named groups made plain (`(?<name>` → `(?:`): not inside a character class,
 *  not after a backslash (`\(?<x>\)?` is a literal parenthesis, an optional `<x>`, and so on). */
function unnamed(re: string): string {
  let out = '';
  let inClass = false;
  for (let i = 0; i < re.length; i++) {
    const c = re[i];
    if (c === '\\') { out += c + (re[i + 1] ?? ''); i++; continue; }
    if (inClass) { if (c === ']') inClass = false; out += c; continue; }
    if (c === '[') { inClass = true; out += c; continue; }
    const m = c === '(' ? /^\(\?<[A-Za-z][A-Za-z0-9_]*>/.exec(re.slice(i, i + 40)) : null;
    if (m) { out += '(?:'; i += m[0].length - 1; continue; }
    out += c;
  }
  return out;
}

/** What a line filter must match for a signal to count: its regex, and on the same line each `also`
 *  part it `require`s (the MARK warning only beside an IPv6 family: from IPv4 it means a missing
 *  module, not the kernel bug). Either order, one line (`.` stops at a newline), so an export fires
 *  on no line the engine would not count. Without `require`, the signal's own regex. */
export function lineRegex(s: Signal): { regex: string; ignoreCase?: boolean } {
  const need = (s.require ?? []).map((k) => s.also?.[k]).filter((r): r is string => !!r);
  if (!need.length) return { regex: s.regex, ignoreCase: s.ignoreCase };
  // The parts appear twice in the combined form: their names would clash, and no export uses them.
  const parts = [s.regex, ...need].map(unnamed);
  // Every order of the parts, as a line must hold them all: n! orders, so fine for the one or two
  // required parts signals have (the catalog's have one).
  const orders = (xs: string[]): string[][] => (xs.length <= 1 ? [xs] : xs.flatMap((x, i) => orders([...xs.slice(0, i), ...xs.slice(i + 1)]).map((rest) => [x, ...rest])));
  return { regex: orders(parts).map((o) => o.map((p) => `(?:${p})`).join('.*')).join('|'), ignoreCase: s.ignoreCase };
}

function jsRegex(s: Signal): RegExp {
  const l = lineRegex(s);
  return new RegExp(l.regex, l.ignoreCase ? 'i' : '');
}

function addSighting(map: Map<string, Sighting[]>, key: string, s: Sighting): void {
  map.set(key, [...(map.get(key) ?? []), s]);
}

/** Every signal of every pattern, with where its examples show it and what it needs alone. */
export function signalViews(cat: Catalog): SignalView[] {
  const out: SignalView[] = [];
  const streams = streamMap(cat);
  for (const p of [...cat.patterns].sort((a, b) => a.id.localeCompare(b.id))) {
    for (const s of p.signals) {
      const re = jsRegex(s);
      const view: SignalView = { pattern: p, signal: s, need: standaloneNeed(p, s.name), journal: new Map(), containers: new Map(), pods: [], unplaced: 0 };
      // Any positive example whose text the signal matches shows where the signal appears (not only
      // the examples that name it: a kube-proxy block shows several signatures at once).
      p.examples.positive.forEach((ex, idx) => {
        if (JOURNAL_FORMATS.has(ex.format)) {
          const entries = journalEntries(ex.text);
          const byId = new Map<string, string[]>();
          for (const e of entries) byId.set(e.identifier, [...(byId.get(e.identifier) ?? []), e.message]);
          for (const [host, hosted] of streams.hosts) {
            if (!byId.has(host) && entries.some((e) => hosted.has(e.identifier))) {
              byId.set(host, entries.filter((e) => hosted.has(e.identifier)).map((e) => e.message));
            }
          }
          for (const [id, msgs] of byId) {
            const hit = windows(msgs).filter((w) => re.test(w));
            if (hit.length) addSighting(view.journal, id, { example: idx, texts: hit, stream: msgs });
          }
        } else if (POD_FORMATS.has(ex.format)) {
          const lines = podStreams(ex.text, ex.format, streams, ex.container);
          const byContainer = new Map<string, string[]>();
          let matchedNowhere = false;
          for (const l of lines) {
            if (l.container) byContainer.set(l.container, [...(byContainer.get(l.container) ?? []), l.line]);
            else if (re.test(l.line)) matchedNowhere = true;
          }
          let placed = false;
          for (const [c, stream] of byContainer) {
            const hit = stream.filter((l) => re.test(l));
            if (hit.length) { addSighting(view.containers, c, { example: idx, texts: hit, stream }); placed = true; }
          }
          if (matchedNowhere && !placed) view.unplaced++;
        }
      });
      view.pods = view.containers.get(CALICO_NODE) ?? [];
      out.push(view);
    }
  }
  return out;
}

/** Every SYSLOG_IDENTIFIER that some journal-wrapped positive example uses (a host such as kubelite
 *  included when only the identifiers it hosts do). */
export function journalIdentifiers(cat: Catalog): string[] {
  const ids = new Set<string>();
  const { hosts } = streamMap(cat);
  for (const p of cat.patterns) {
    for (const ex of p.examples.positive) {
      if (!JOURNAL_FORMATS.has(ex.format)) continue;
      for (const e of journalEntries(ex.text)) {
        ids.add(e.identifier);
        for (const [host, hosted] of hosts) if (hosted.has(e.identifier)) ids.add(host);
      }
    }
  }
  return [...ids].sort();
}

const ACRONYMS: Record<string, string> = {
  ipv4: 'IPv4', ipv6: 'IPv6', ip: 'IP', cni: 'CNI', mtu: 'MTU', bgp: 'BGP', vxlan: 'VXLAN', dns: 'DNS',
  api: 'API', nat: 'NAT', ipam: 'IPAM', bpf: 'BPF', ebpf: 'EBPF', tls: 'TLS', rpf: 'RPF', nft: 'NFT',
  ipip: 'IPIP', wg: 'WG', k8s: 'K8s', oom: 'OOM', crd: 'CRD', id: 'ID', dnsmasq: 'Dnsmasq',
};

/** `kernel-ipv6-mark-regression` → `KernelIPv6MarkRegression` (NPD condition types, alert names). */
export function camel(id: string): string {
  return id.split(/[^A-Za-z0-9]+/).filter(Boolean)
    .map((w) => ACRONYMS[w.toLowerCase()] ?? w.charAt(0).toUpperCase() + w.slice(1))
    .join('');
}
