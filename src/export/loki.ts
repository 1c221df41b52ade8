// Loki ruler alerting rules from the catalog: one alert per failure class and log stream, LogQL
// `count_over_time` over a line filter made of the class's signals. The calico-node container's pod
// log (felix, start-up), its install-cni init container's log (the CNI installer) and the journal
// (kubelite: kubelet and kube-proxy) are separate rule groups, because they are separate streams
// with their own labels, and a signal goes only to the streams its examples put it in. Which signal goes where is derived from the pattern files'
// examples (visibility.ts); each regex is translated to Go RE2, quoted for LogQL, and checked to match
// the example lines it is exported for. Facts: shared/reference/fleet-formats.md §3.
import { Document, isScalar, visit, type Scalar } from 'yaml';
import type { Catalog, LoadedPattern } from '../catalog/load.js';
import { SEVERITY_RANK } from '../catalog/severity.js';
import { ExportError, lokiRegex, TranslateError } from './re2.js';
import { RE2JS } from 're2js';
import { CALICO_NODE, camel, INSTALL_CNI, lineRegex, signalViews, type SignalView } from './visibility.js';

export interface LokiOptions {
  /** stream selector of calico-node's pod logs (labels as your shipper's relabeling makes them) */
  selector?: string;
  /** stream selector of the install-cni init container's logs (same pod, own container label) */
  installCniSelector?: string;
  /** stream selector of the journal unit whose entries carry `journalSource` */
  journalSelector?: string;
  /** the SYSLOG_IDENTIFIER the journal selector reads (signals are matched to it by the examples) */
  journalSource?: string;
  /** label naming the node in pod-log streams (Promtail's kubernetes SD: node_name) */
  nodeLabel?: string;
  /** label naming the node in journal streams (Promtail's journal docs relabel __journal__hostname to nodename) */
  journalNodeLabel?: string;
  /** count_over_time range when the pattern names no window */
  range?: string;
  /** how long the condition must hold before the alert fires */
  for?: string;
  pods?: boolean;
  journal?: boolean;
  /** LogQL string quoting: backticks when possible (default) or always double quotes */
  quote?: 'auto' | 'double';
  version?: string;
}

import { DEFAULT_INSTALL_CNI_SELECTOR, DEFAULT_JOURNAL_SELECTOR, DEFAULT_JOURNAL_SOURCE, DEFAULT_SELECTOR } from './defaults.js';
export { DEFAULT_INSTALL_CNI_SELECTOR, DEFAULT_JOURNAL_SELECTOR, DEFAULT_JOURNAL_SOURCE, DEFAULT_SELECTOR };

export interface LokiRule {
  alert: string;
  expr: string;
  for: string;
  labels: { severity: string; diagnosis: string };
  annotations: { summary: string; description: string; remediation: string; runbook_url: string };
}
export interface LokiGroup { name: string; rules: LokiRule[] }
export interface LokiExport {
  groups: LokiGroup[];
  skipped: { pattern: string; signal: string; why: string }[];
}


/** A Go string literal as LogQL's lexer unquotes it: raw backticks when possible, else "…". */
export function logqlString(s: string, quote: 'auto' | 'double' = 'auto'): string {
  if (quote === 'auto' && !/[`\r\n]/.test(s)) return '`' + s + '`';
  let out = '"';
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (ch === '\\') out += '\\\\';
    else if (ch === '"') out += '\\"';
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (c < 0x20 || c === 0x7f) out += `\\x${c.toString(16).padStart(2, '0')}`;
    else out += ch;
  }
  return out + '"';
}

/** Go templates expand in annotations: keep catalog text literal. */
function literalText(s: string): string {
  return s.replace(/\{\{/g, '{{ "{{" }}');
}

function remediationText(p: LoadedPattern): string {
  return p.remediation.map((r, i) => [`${i + 1}. ${r.text.trim()}`, ...(r.commands ?? []).map((c) => `   $ ${c}`)].join('\n')).join('\n');
}

function checkSelector(sel: string, flag: string): void {
  if (!/^\{\s*[A-Za-z_][A-Za-z0-9_]*\s*(=|!=|=~|!~)\s*(".*"|`.*`)\s*(,\s*[A-Za-z_][A-Za-z0-9_]*\s*(=|!=|=~|!~)\s*(".*"|`.*`)\s*)*\}$/s.test(sel.trim())) {
    throw new ExportError([`${flag}: not a LogQL stream selector: ${sel} (e.g. ${DEFAULT_SELECTOR})`]);
  }
}

function checkDuration(d: string, flag: string): void {
  if (!/^(\d+(ms|s|m|h|d|w|y))+$/.test(d)) throw new ExportError([`${flag}: not a Prometheus duration: ${d} (e.g. 10m)`]);
}

interface Channel { key: 'pods' | 'journal'; container?: string; group: string; selector: string; node: string; what: string; texts: (v: SignalView) => string[] }

export function buildLoki(cat: Catalog, opts: LokiOptions = {}): LokiExport {
  const selector = opts.selector ?? DEFAULT_SELECTOR;
  const installCniSelector = opts.installCniSelector ?? DEFAULT_INSTALL_CNI_SELECTOR;
  const journalSelector = opts.journalSelector ?? DEFAULT_JOURNAL_SELECTOR;
  const journalSource = opts.journalSource ?? DEFAULT_JOURNAL_SOURCE;
  const range = opts.range ?? '10m';
  const forDuration = opts.for ?? '1m';
  checkSelector(selector, '--selector');
  checkSelector(installCniSelector, '--install-cni-selector');
  checkSelector(journalSelector, '--journal-selector');
  checkDuration(range, '--range');
  checkDuration(forDuration, '--for');
  const nodeLabel = opts.nodeLabel ?? 'node_name';
  const journalNodeLabel = opts.journalNodeLabel ?? 'nodename';
  for (const l of [nodeLabel, journalNodeLabel]) if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(l)) throw new ExportError([`not a label name: ${l}`]);

  const channels: Channel[] = [];
  if (opts.pods !== false) {
    const pod = (container: string) => (v: SignalView) => (v.containers.get(container) ?? []).flatMap((s) => s.texts);
    channels.push({ key: 'pods', container: CALICO_NODE, group: 'cni-doctor-pods', selector, node: nodeLabel, what: 'calico-node pod logs', texts: pod(CALICO_NODE) });
    channels.push({ key: 'pods', container: INSTALL_CNI, group: 'cni-doctor-pods-install-cni', selector: installCniSelector, node: nodeLabel, what: 'install-cni init container logs', texts: pod(INSTALL_CNI) });
  }
  if (opts.journal !== false) {
    channels.push({
      key: 'journal', group: `cni-doctor-journal-${journalSource}`, selector: journalSelector, node: journalNodeLabel, what: `journal (${journalSource})`,
      // Loki sees one journal entry per line: only single-message sightings count.
      texts: (v) => (v.journal.get(journalSource) ?? []).flatMap((s) => s.texts).filter((t) => !t.includes('\n')),
    });
  }

  const views = signalViews(cat);
  const problems: string[] = [];
  // Every signal must translate, exported here or not: the catalog promises RE2 throughout.
  for (const v of views) {
    try {
      lokiRegex([lineRegex(v.signal)]);
    } catch (e) {
      if (!(e instanceof TranslateError)) throw e;
      problems.push(`${v.pattern.file}:${v.pattern.signalLines[v.signal.name] ?? '?'} ${v.pattern.id}/${v.signal.name}: ${e.message}`);
    }
  }
  if (problems.length) throw new ExportError(problems);
  const used = new Set<SignalView>();
  const groups: LokiGroup[] = [];
  const patterns = [...cat.patterns].sort((a, b) => SEVERITY_RANK[a.severity] - SEVERITY_RANK[b.severity] || a.id.localeCompare(b.id));
  for (const ch of channels) {
    const rules: LokiRule[] = [];
    for (const p of patterns) {
      // Signals of this pattern seen in this stream that raise the diagnosis alone, grouped by what
      // they need (a count within a window): each group is one alert expression.
      const byNeed = new Map<string, SignalView[]>();
      for (const v of views) {
        if (v.pattern !== p || !v.need || !ch.texts(v).length) continue;
        const key = `${v.need.min}|${v.need.within ?? range}`;
        byNeed.set(key, [...(byNeed.get(key) ?? []), v]);
      }
      for (const [key, vs] of byNeed) {
        const [min, window] = key.split('|');
        let re: string;
        try {
          re = lokiRegex(vs.map((v) => lineRegex(v.signal)));
        } catch (e) {
          if (!(e instanceof TranslateError)) throw e;
          problems.push(`${p.file} ${p.id}/${vs.map((v) => v.signal.name).join('+')}: ${e.message}`);
          continue;
        }
        const compiled = RE2JS.compile(re);
        for (const v of vs) {
          used.add(v);
          for (const t of ch.texts(v)) {
            if (!compiled.matcher(t).find()) problems.push(`${p.file} ${p.id}/${v.signal.name}: the LogQL regex ${JSON.stringify(re)} does not match an example line its own regex matches: ${JSON.stringify(t.slice(0, 200))}`);
          }
        }
        const threshold = Number(min) > 1 ? `>= ${min}` : '> 0';
        rules.push({
          alert: camel(p.id),
          expr: `sum by (${ch.node}) (count_over_time(${ch.selector.trim()}\n  |~ ${logqlString(re, opts.quote)} [${window}])) ${threshold}\n`,
          for: forDuration,
          labels: { severity: p.severity, diagnosis: p.id },
          annotations: {
            summary: `{{ $labels.${ch.node} }}: ${literalText(p.title)} (seen in ${ch.what})`,
            description: literalText(p.rootCause.trim()),
            remediation: literalText(remediationText(p)),
            runbook_url: p.references[0],
          },
        });
      }
    }
    // A pod stream no signal is seen in gets no group (an empty group would only ask the ruler to
    // evaluate nothing); the calico-node group and the journal group are always written.
    if (rules.length || ch.container !== INSTALL_CNI) groups.push({ name: ch.group, rules });
  }
  if (problems.length) throw new ExportError(problems);

  const skipped: LokiExport['skipped'] = [];
  for (const v of views) {
    if (used.has(v)) continue;
    let why: string;
    if (!v.need) why = 'raises the diagnosis only with, or only without, facts, captures, other signals or diagnoses (when:), which a line filter cannot check';
    else if (v.journal.size && !v.journal.has(journalSource)) why = `journal examples come from ${[...v.journal.keys()].join(', ')}, not ${journalSource} (see --journal-source)`;
    else if (v.journal.size && !channels.some((c) => c.key === 'journal')) why = 'journal-only, and --no-journal';
    else if (v.containers.size && !channels.some((c) => c.key === 'pods')) why = 'pod-log-only, and --no-pods';
    else if (v.journal.has(journalSource)) why = 'its journal example spans several journal entries, which a Loki line filter sees one at a time';
    else if (v.containers.size) why = `seen only in the logs of container ${[...v.containers.keys()].join(', ')}, which no rule group selects`;
    else if (v.unplaced) why = 'its container-log-format examples are not in a pod log this export selects (an API object in a cluster-info-dump, the CNI plugin\'s cni.log, or a line without a Calico component that places it)';
    else why = 'no journal or container-log positive example shows it (kubectl output, events)';
    skipped.push({ pattern: v.pattern.id, signal: v.signal.name, why });
  }
  return { groups, skipped };
}

/** The rule file as YAML: `expr` and `remediation` as block scalars, so YAML adds no escaping layer. */
export function lokiYaml(exp: LokiExport, version?: string): string {
  const doc = new Document({ groups: exp.groups });
  visit(doc, {
    Pair(_, pair) {
      const k = isScalar(pair.key) ? pair.key.value : undefined;
      if ((k === 'expr' || k === 'remediation' || k === 'description') && isScalar(pair.value) && typeof pair.value.value === 'string') {
        (pair.value as Scalar).type = k === 'description' ? 'BLOCK_FOLDED' : 'BLOCK_LITERAL';
      }
    },
  });
  doc.commentBefore = ` Loki ruler alerting rules generated by cni-doctor${version ? ` ${version}` : ''} (cni-doctor export loki).\n`
    + ' Put this file in the ruler\'s rules directory as <dir>/<tenant>/cni-doctor.yaml (single tenant: "fake").\n'
    + ' Stream selectors and node labels must match your log shipper\'s relabeling (see --selector, --journal-selector).';
  return doc.toString({ lineWidth: 100 });
}
