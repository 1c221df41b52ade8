// The report: the JSON contract of the team design (../shared/DESIGN.md, summarised in the README),
// built from engine state. Text and Markdown render it.
import type { Catalog } from '../catalog/load.js';
import { attribution, diagnose, facts, inputNodes, isCurrentProblem, timeline, type Diagnosis, type SetAsidePod } from '../engine/diagnose.js';
import { problemText, type InputSummary } from '../engine/events.js';
import { MAX_POD_HITS, type State } from '../engine/state.js';

export interface Report {
  tool: { name: 'cni-doctor'; version: string };
  inputs: InputSummary[];
  facts: ReturnType<typeof facts>;
  diagnoses: Diagnosis[];
  timeline: ReturnType<typeof timeline>;
  problems: { source: string; reason: string }[];
  stats: State['stats'];
  /** present when hits came from pods known to run on another node: not counted for this node */
  setAside?: SetAside;
  /** present when the inputs come from more than one node (their own node names): read as one */
  nodes?: string[];
  /** with `nodes`: each node's inputs read on their own, as if analyzed alone (an input that names no
   *  node, or several, is one of these too, with `node` null) */
  perNode?: NodeReport[];
}

export interface NodeReport { node: string | null; inputs: string[]; report: Report }

/** Several nodes' inputs in one report: what that means for the reading of it. */
export function mixedNodesText(nodes: string[]): string {
  return `These inputs come from ${nodes.length} nodes (${nodes.join(', ')}) and are read as one: counts add up across them, a failure is not called gone by another node's boot, and facts may be another node's. Analyze each node's bundle on its own for a per-node diagnosis.`;
}

/** The same, when each node's inputs are reported on their own below. */
export function perNodeText(nodes: string[], reports: number): string {
  return `These inputs come from ${nodes.length} nodes (${nodes.join(', ')}): each is reported on its own below (${reports} reports), as if its bundle were analyzed alone.`;
}

/** Where a per-node report starts: "Node node1 — sosreport-node1….tar.xz" */
export function nodeHeading(n: NodeReport): string {
  return `${n.node === null ? 'Inputs that name no single node' : `Node ${n.node}`} — ${n.inputs.join(', ')}`;
}

/** Hits from other nodes' pods (a cluster-info-dump holds every pod's log), kept out of this node's
 *  diagnoses and named here, so that the other node's trouble is still seen. */
export interface SetAside {
  /** this node's name */
  node: string;
  hits: number;
  pods: SetAsidePod[];
}

export function buildReport(state: State, catalog: Catalog, version: string): Report {
  const diagnoses = diagnose(state, catalog);
  const who = attribution(state);
  const nodes = inputNodes(state);
  const setAside: SetAside | undefined = who.node !== undefined && who.setAside.length
    ? { node: who.node, hits: who.setAside.reduce((a, p) => a + p.hits, 0), pods: who.setAside }
    : undefined;
  return {
    tool: { name: 'cni-doctor', version },
    inputs: state.inputs,
    facts: facts(state),
    diagnoses,
    timeline: timeline(state, diagnoses),
    problems: [
      ...state.problems.map((p) => ({ source: p.source, reason: problemText(p) })),
      ...(state.timelineDropped ? [{ source: 'timeline', reason: `${state.timelineDropped} more upgrade events were left out (the timeline keeps ${state.timeline.length})` }] : []),
      ...(state.podHitsUntracked ? [{ source: 'pods', reason: `${state.podHitsUntracked} hits from pods past the first ${MAX_POD_HITS} with hits were counted for this node whichever node their pod runs on` }] : []),
    ],
    stats: state.stats,
    ...(setAside ? { setAside } : {}),
    ...(nodes.length > 1 ? { nodes } : {}),
  };
}

/** What a report with no diagnosis says: an all-clear only when everything asked for was read. */
export function noDiagnosisText(r: Report): string {
  const read = r.inputs.some((i) => i.files > 0 || i.lines > 0);
  if (!read) return 'Nothing could be read, so nothing could be diagnosed: see “Not read” below.';
  if (r.setAside) return `No known failure found on this node (${r.setAside.node}); hits from pods on other nodes were set aside: see “Set aside” below.`;
  if (r.problems.length) return 'No known failure found in what could be read (see “Not read” below).';
  if (!r.inputs.some((i) => i.lines > 0)) return 'No known failure found: no log line was read, so there was nothing to diagnose.';
  return 'No known failure found in these logs.';
}

/** 0 nothing found, 1 a warning or worse still current (one not seen since a later boot does not
 *  count), 2 an input not read, or read in part (../shared/DESIGN.md). A
 *  diagnosis outranks unreadable input: what was found is the news, and the unreadable input is
 *  still named on stderr and in the report (README, exit codes). */
export function exitCode(r: Report, unreadable: string[]): 0 | 1 | 2 {
  // Per node: a failure one node's boot shows gone is not current for the run.
  if (r.perNode) {
    const codes = r.perNode.map((n) => exitCode(n.report, unreadable.filter((u) => n.inputs.includes(u))));
    return codes.includes(1) ? 1 : codes.includes(2) ? 2 : 0;
  }
  if (r.diagnoses.some(isCurrentProblem)) return 1;
  return unreadable.length ? 2 : 0;
}

const NULLABLE = new Set(['time', 'firstSeen', 'lastSeen']);

/** The JSON contract: unknown times are null, not missing. */
export function reportJson(r: Report): string {
  return JSON.stringify(r, (k, v: unknown) => (v === undefined && NULLABLE.has(k) ? null : v), 2);
}

/** "Set aside: 23 hits from pods on other nodes (node1: kube-system/calico-node-x7k2p)" */
export function setAsideHeadline(s: SetAside): string {
  const byNode = new Map<string, string[]>();
  for (const p of s.pods) byNode.set(p.node, [...(byNode.get(p.node) ?? []), p.pod]);
  const where = [...byNode].map(([n, pods]) => `${n}: ${pods.join(', ')}`).join('; ');
  return `Set aside: ${s.hits} hit${s.hits === 1 ? '' : 's'} from pods on other nodes (${where})`;
}

/** Why the set-aside hits are not this node's, and what to do about them (one wording for every report). */
export function setAsideWhy(s: SetAside): string {
  return `Their pods run on another node, not on this one (${s.node}), so they were not counted here: analyze that node's own logs or bundle to diagnose it.`;
}

/** One pod's set-aside hits by diagnosis: "23× kernel-ipv6-mark-regression, 4× calico-node-crashloop" */
export function setAsideDetail(p: SetAsidePod): string {
  return Object.entries(p.diagnoses).sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).map(([id, n]) => `${n}× ${id}`).join(', ');
}
