// Where a signal can be seen from outside cni-doctor, derived from the pattern file itself — no
// per-pattern table in code. The rule (documented in the README's Fleet section):
//
//   * a signal is JOURNAL-visible under SYSLOG_IDENTIFIER X when one of its pattern's positive
//     examples is journal-wrapped (formats journal, journal-iso, syslog), carries entries of X, and
//     the signal's regex matches those entries' MESSAGE text (one message, or consecutive messages
//     joined by "\n" as node-problem-detector's buffer joins them);
//   * a signal is POD-LOG-visible when a positive example in a container-log format (felix, cri,
//     logrus, cluster-info-dump) matches it line by line (CRI `P` partials joined, as Promtail's
//     `cri` stage does).
//
// calico-node's felix output is never in the journal: the container runtime writes it to
// /var/log/pods/<ns>_<pod>_<uid>/calico-node/<restart>.log. So felix-only signals are POD-LOG-visible
// only, and NPD (which reads the journal) cannot export them; `export loki` can.
//
// Second filter: NPD and Loki see one line at a time, with no facts and no other diagnoses. A signal
// is exported only if the pattern's `when` raises the diagnosis on that signal alone (possibly with a
// count); signals that only count together with facts (an affected kernel), with `where:` captures or
// with another diagnosis are reported as skipped.
import type { Catalog, LoadedPattern } from '../catalog/load.js';
import type { Condition, Signal } from '../catalog/schema.js';
import { parseLine } from '../parse/formats.js';

export const JOURNAL_FORMATS = new Set(['journal', 'journal-iso', 'syslog']);
export const POD_FORMATS = new Set(['felix', 'cri', 'logrus', 'cluster-info-dump']);
/** node-problem-detector's default buffer, and ours */
export const NPD_BUFFER = 10;

const CTX = { refTime: Date.UTC(2025, 5, 1) };

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

/** The log lines a container-log example becomes once a shipper reads /var/log/pods. */
export function podLines(text: string, format: string): string[] {
  const lines = text.split('\n').filter((l) => l.trim());
  if (format === 'cri') {
    const out: string[] = [];
    let partial = '';
    for (const line of lines) {
      const p = parseLine(line, 'cri', CTX);
      if (p.format !== 'cri') { out.push(line); continue; }
      partial += p.msg;
      if (!p.partial) { out.push(partial); partial = ''; }
    }
    if (partial) out.push(partial);
    return out;
  }
  if (format === 'cluster-info-dump') return lines.filter((l) => !/^==== (START|END) logs for container /.test(l));
  return lines;
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
  if ('not' in c) return !holds(c.not, name, count);
  if ('diagnosis' in c) return false;
  if ('signal' in c) return c.signal === name && !c.where && count >= (c.min ?? 1);
  return c.present === false; // a fact: unknown to a line-by-line matcher
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
  pods: Sighting[];
}

function jsRegex(s: Signal): RegExp {
  return new RegExp(s.regex, s.ignoreCase ? 'i' : '');
}

/** Every signal of every pattern, with where its examples show it and what it needs alone. */
export function signalViews(cat: Catalog): SignalView[] {
  const out: SignalView[] = [];
  for (const p of [...cat.patterns].sort((a, b) => a.id.localeCompare(b.id))) {
    for (const s of p.signals) {
      const re = jsRegex(s);
      const view: SignalView = { pattern: p, signal: s, need: standaloneNeed(p, s.name), journal: new Map(), pods: [] };
      // Any positive example whose text the signal matches shows where the signal appears (not only
      // the examples that name it: a kube-proxy block shows several signatures at once).
      p.examples.positive.forEach((ex, idx) => {
        if (JOURNAL_FORMATS.has(ex.format)) {
          const byId = new Map<string, string[]>();
          for (const e of journalEntries(ex.text)) byId.set(e.identifier, [...(byId.get(e.identifier) ?? []), e.message]);
          for (const [id, msgs] of byId) {
            const hit = windows(msgs).filter((w) => re.test(w));
            if (hit.length) view.journal.set(id, [...(view.journal.get(id) ?? []), { example: idx, texts: hit, stream: msgs }]);
          }
        } else if (POD_FORMATS.has(ex.format)) {
          const lines = podLines(ex.text, ex.format);
          const hit = lines.filter((l) => re.test(l));
          if (hit.length) view.pods.push({ example: idx, texts: hit, stream: lines });
        }
      });
      out.push(view);
    }
  }
  return out;
}

/** Every SYSLOG_IDENTIFIER that some journal-wrapped positive example uses. */
export function journalIdentifiers(cat: Catalog): string[] {
  const ids = new Set<string>();
  for (const p of cat.patterns) {
    for (const ex of p.examples.positive) {
      if (JOURNAL_FORMATS.has(ex.format)) for (const e of journalEntries(ex.text)) ids.add(e.identifier);
    }
  }
  return [...ids].sort();
}

/** The identifiers exported by default: the kernel and MicroK8s's own daemons. */
export function defaultIdentifiers(cat: Catalog): string[] {
  return journalIdentifiers(cat).filter((id) => id === 'kernel' || id.startsWith('microk8s.'));
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
