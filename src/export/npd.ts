// node-problem-detector system-log-monitor configs (journald plugin) from the catalog: one monitor
// file per SYSLOG_IDENTIFIER. Which signal goes to which identifier is derived from the pattern
// files' own journal examples (see visibility.ts); every rule is checked, before it is written, to
// fire on those examples under Go's semantics (`pattern + "\z"` searched in NPD's buffer).
// Facts: shared/reference/fleet-formats.md §1; NPD pkg/systemlogmonitor/{config,log_buffer,log_monitor}.go.
import { stringify } from 'yaml';
import type { Catalog } from '../catalog/load.js';
import { SEVERITY_RANK } from '../catalog/severity.js';
import { ExportError, npdBufferMatches, npdBuffers, npdPattern, TranslateError } from './re2.js';
import { DEFAULT_NPD_SOURCES_HELP, isDefaultNpdSource } from './defaults.js';
import { camel, journalIdentifiers, lineRegex, NPD_BUFFER, signalViews, type SignalView } from './visibility.js';

export interface NpdCondition { type: string; reason: string; message: string }
export interface NpdRule { type: 'temporary' | 'permanent'; condition?: string; reason: string; pattern: string }
export interface NpdConfig {
  _comment: string;
  plugin: 'journald';
  pluginConfig: { source: string };
  logPath: string;
  lookback: string;
  bufferSize: number;
  source: string;
  metricsReporting: boolean;
  conditions: NpdCondition[];
  rules: NpdRule[];
}

export interface NpdSkip { pattern: string; signal: string; why: string }

export interface NpdExport {
  /** file name (cni-doctor-<identifier>.json) → config */
  monitors: Map<string, NpdConfig>;
  /** identifier of each monitor file, same order */
  sources: string[];
  /** signals not exported, and why */
  skipped: NpdSkip[];
}

export interface NpdOptions {
  /** SYSLOG_IDENTIFIERs to export; default: the `microk8s.*` ones some pattern has a rule for
   *  (isDefaultNpdSource); ['all'] for every one that has a rule. Any other name is an ExportError. */
  sources?: string[];
  /** journal directory as NPD sees it (NPD's sample DaemonSet mounts the host's /var/log) */
  logPath?: string;
  lookback?: string;
  bufferSize?: number;
  /** reporter name on Events and conditions */
  reporter?: string;
  version?: string;
}

export const NPD_FELIX_NOTE = 'calico-node (felix) output is not in the journal: the container runtime writes it to '
  + '/var/log/pods/<ns>_<pod>_<uid>/calico-node/<restart>.log, whose path changes with every pod and restart. '
  + 'Felix-only signals are therefore not in these NPD rules; use `cni-doctor export loki` (pod logs) or the '
  + 'cni-doctor DaemonSet for them.';

export function monitorFileName(identifier: string): string {
  return `cni-doctor-${identifier.replace(/[^A-Za-z0-9._-]/g, '_')}.json`;
}


/** Build the NPD monitor configs. Throws ExportError if any signal's regex cannot be translated to
 *  Go RE2 or the translation does not fire on the example it is exported for. */
export function buildNpd(cat: Catalog, opts: NpdOptions = {}): NpdExport {
  const bufferSize = opts.bufferSize ?? NPD_BUFFER;
  const requested = opts.sources?.length ? opts.sources : undefined;
  for (const s of requested ?? []) if (!s.trim() || /\s/.test(s)) throw new ExportError([`--source: not a SYSLOG_IDENTIFIER: ${JSON.stringify(s)}`]);

  const views = signalViews(cat).sort((a, b) =>
    SEVERITY_RANK[a.pattern.severity] - SEVERITY_RANK[b.pattern.severity] || a.pattern.id.localeCompare(b.pattern.id));
  // A monitor for an identifier no rule watches would load, watch and never fire: naming one is as
  // much a mistake as a typo, so both are refused with the list of identifiers that do have rules.
  const known = journalIdentifiers(cat);
  const valid = known.filter((id) => views.some((v) => v.need && v.journal.has(id)));
  const sources = !requested ? valid.filter(isDefaultNpdSource) : requested.includes('all') ? valid : [...new Set(requested)];
  const usage = `valid sources: ${valid.join(', ')}, or "all"`;
  for (const s of sources) {
    if (valid.includes(s)) continue;
    throw new ExportError([known.includes(s)
      ? `--source ${s}: no pattern raises a diagnosis from ${s}'s journal lines alone (they need facts or other signals), so its monitor would have no rules; ${usage}`
      : `--source ${s}: no pattern has a journal example from SYSLOG_IDENTIFIER ${s}; ${usage}`]);
  }
  if (!sources.length) throw new ExportError([`no journal source to export: no pattern has a rule for ${DEFAULT_NPD_SOURCES_HELP} (name one with --source; ${usage})`]);

  const problems: string[] = [];
  const skipped: NpdSkip[] = [];
  // Translate every signal of the catalog, exported or not: an untranslatable regex fails the export.
  const patterns = new Map<SignalView, string>();
  for (const v of views) {
    try {
      patterns.set(v, npdPattern(lineRegex(v.signal).regex, v.signal.ignoreCase));
    } catch (e) {
      if (!(e instanceof TranslateError)) throw e;
      problems.push(`${v.pattern.file}:${v.pattern.signalLines[v.signal.name] ?? '?'} ${v.pattern.id}/${v.signal.name}: ${e.message}`);
    }
  }
  if (problems.length) throw new ExportError(problems);

  const monitors = new Map<string, NpdConfig>();
  for (const source of sources) {
    const conditions: NpdCondition[] = [];
    const rules: NpdRule[] = [];
    for (const v of views) {
      const seen = v.journal.get(source);
      if (!seen || !v.need) continue;
      const pattern = patterns.get(v)!;
      // The translation must keep the meaning: each example message the JS regex matched must fire
      // the Go rule when it arrives in NPD's buffer.
      for (const s of seen) {
        if (!npdBuffers(s.stream, bufferSize).some((b) => npdBufferMatches(pattern, b))) {
          problems.push(`${v.pattern.file} ${v.pattern.id}/${v.signal.name}: the Go rule ${JSON.stringify(pattern)} does not fire on positive example ${s.example + 1} (${source}), which the pattern's own regex matches`);
        }
      }
      const permanent = v.pattern.severity === 'critical' && v.need.min === 1;
      if (permanent) {
        const type = camel(v.pattern.id);
        if (!conditions.some((c) => c.type === type)) {
          conditions.push({ type, reason: `No${type}`, message: `cni-doctor: no ${v.pattern.id} signature in ${source} since node-problem-detector started` });
        }
        rules.push({ type: 'permanent', condition: type, reason: camel(v.signal.name), pattern });
      } else {
        rules.push({ type: 'temporary', reason: camel(v.pattern.id), pattern });
      }
    }
    monitors.set(monitorFileName(source), {
      _comment: `Generated by cni-doctor${opts.version ? ` ${opts.version}` : ''} (cni-doctor export npd) for SYSLOG_IDENTIFIER ${source}. `
        + 'Permanent rules set a node condition for critical failure classes; temporary rules post Warning events. '
        + NPD_FELIX_NOTE,
      plugin: 'journald',
      pluginConfig: { source },
      logPath: opts.logPath ?? '/var/log/journal',
      lookback: opts.lookback ?? '10m',
      bufferSize,
      source: opts.reporter ?? 'cni-doctor',
      metricsReporting: true,
      conditions,
      rules,
    });
  }
  if (problems.length) throw new ExportError(problems);

  const exportedSomewhere = (v: SignalView): boolean => sources.some((s) => v.journal.has(s));
  for (const v of views) {
    if (exportedSomewhere(v) && v.need) continue;
    let why: string;
    if (!v.need) why = 'raises the diagnosis only with, or only without, facts, captures, other signals or diagnoses (when:), which a line matcher cannot check';
    else if (!v.journal.size) why = v.containers.size ? `seen only in container logs (${[...v.containers.keys()].join(', ')}), not in the journal: use export loki` : 'no journal-format positive example shows it';
    else why = `journal examples come from ${[...v.journal.keys()].join(', ')}, not an exported source (see --source)`;
    skipped.push({ pattern: v.pattern.id, signal: v.signal.name, why });
  }
  return { monitors, sources, skipped };
}

export function npdJson(cfg: NpdConfig): string {
  return JSON.stringify(cfg, null, 2) + '\n';
}

/** A ConfigMap carrying every monitor file, to mount at NPD's config directory. */
export function npdConfigMap(exp: NpdExport, name = 'cni-doctor-npd-config'): string {
  const data: Record<string, string> = {};
  for (const [file, cfg] of exp.monitors) data[file] = npdJson(cfg);
  return stringify({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name, labels: { 'app.kubernetes.io/name': 'cni-doctor', 'app.kubernetes.io/component': 'npd-config' } },
    data,
  }, { lineWidth: 0 });
}

/** The node-problem-detector flag that loads these monitors (append to any existing list). */
export function npdFlag(exp: NpdExport, configDir = '/config'): string {
  return `--config.system-log-monitor=${[...exp.monitors.keys()].map((f) => `${configDir.replace(/\/$/, '')}/${f}`).join(',')}`;
}
