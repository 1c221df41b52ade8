// The terminal report: what is wrong, why, how sure, the evidence, and what to do, most severe first.
import pc from 'picocolors';
import type { Diagnosis } from '../engine/diagnose.js';
import type { Evidence } from '../engine/events.js';
import { mixedNodesText, nodeHeading, noDiagnosisText, perNodeText, setAsideDetail, setAsideHeadline, setAsideWhy, type Report } from './model.js';
import { groupNum, notSeenSince, sinceBootText } from '../present/format.js';
import { clipAround, sanitize, wrapWords } from '../present/text.js';

type Colors = ReturnType<typeof pc.createColors>;

const SEV_LABEL: Record<Diagnosis['severity'], string> = { critical: 'CRITICAL', error: 'ERROR', warning: 'WARNING', info: 'INFO' };

export function humanBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const u = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < u.length - 1) { v /= 1024; i++; }
  return `${v.toFixed(v < 10 ? 1 : 0)} ${u[i]}`;
}

/** Log lines (and file names inside a bundle) can hold escape sequences that would drive the
 *  reader's terminal; shown as `?`, as the live UI shows them. Unlike the UI, a report keeps tabs
 *  and newlines: they are layout the reader wants, not commands. One unit per unit, so a match's
 *  offsets stay valid. */
export function visible(s: string): string {
  return s.split('\t').map((p) => sanitize(p, true)).join('\t');
}

function sevColor(c: Colors, s: Diagnosis['severity']): (t: string) => string {
  return s === 'critical' ? (t) => c.bold(c.red(t)) : s === 'error' ? c.red : s === 'warning' ? c.yellow : c.cyan;
}

function shortTime(iso?: string): string {
  return iso ? iso.replace('T', ' ').replace(/\.\d+Z$/, 'Z') : '';
}

/** Prose wrapped at word boundaries to `width` columns after `n` spaces of indent (a second `hang`
 *  for the lines after the first); each line of the text stays a paragraph of its own. */
function wrap(s: string, n: number, width: number, hang = n): string {
  const out: string[] = [];
  for (const para of s.split('\n')) {
    const lines = wrapWords(para, Math.max(20, width - hang));
    if (!lines.length) { out.push(''); continue; }
    lines.forEach((l) => out.push(l));
  }
  return out.map((l, i) => ' '.repeat(i === 0 ? n : hang) + l).join('\n');
}

/** Evidence text with the matched range highlighted. With a `width` (a terminal), each line is cut
 *  to it around the match, so the part that matched stays on screen; the whole line is in --json. */
export function highlight(c: Colors, e: Evidence, width?: number): string {
  const t = visible(e.text);
  const lines = t.split('\n');
  const shown: string[] = [];
  let at = 0;
  for (const [i, l] of lines.entries()) {
    if (i === 12) { shown.push(`… (${lines.length - 12} more lines)`); break; }
    const m = e.match && e.match[1] > at && e.match[0] < at + l.length
      ? [Math.max(0, e.match[0] - at), Math.min(l.length, e.match[1] - at)] as [number, number]
      : undefined;
    at += l.length + 1;
    if (width === undefined) {
      shown.push(m ? l.slice(0, m[0]) + c.bold(c.magenta(l.slice(m[0], m[1]))) + l.slice(m[1]) : l);
      continue;
    }
    // A tab takes up to 8 columns on a terminal, and is counted as one.
    const tabs = l.split('\t').length - 1;
    shown.push(clipAround(l, m, Math.max(20, width - 7 * tabs)).map((p) => (p.hit ? c.bold(c.magenta(p.text)) : p.text)).join(''));
  }
  return shown.join('\n');
}

function indent(s: string, n: number): string {
  const pad = ' '.repeat(n);
  return s.split('\n').map((l) => pad + l).join('\n');
}

/** `width`: the columns prose is wrapped to (100 when not given); `clip`: evidence lines are cut to
 *  it too (on a terminal; a file or pipe keeps them whole). */
export function renderDiagnosis(c: Colors, d: Diagnosis, full = true, width?: number, clip = false): string {
  const out: string[] = [];
  const cols = width ?? 100;
  const sev = sevColor(c, d.severity)(SEV_LABEL[d.severity].padEnd(8));
  const when = d.firstSeen ? `, ${shortTime(d.firstSeen)}${d.lastSeen && d.lastSeen !== d.firstSeen ? ` → ${shortTime(d.lastSeen)}` : ''}` : '';
  const head = `${sev} ${c.bold(visible(d.id))}  ${c.dim(`confidence ${d.confidence.toFixed(2)}, ${d.occurrences}×`)}`;
  // The times go on a line of their own when the header would not fit.
  if (9 + d.id.length + 2 + `confidence 0.00, ${d.occurrences}×${when}`.length <= cols) out.push(head + c.dim(when));
  else out.push(head, c.dim(`  ${when.slice(2)}`));
  out.push(c.bold(wrap(visible(d.title), 2, cols)));
  if (d.resolved) out.push(c.bold(c.green(wrap(visible(notSeenSince(d.resolved)), 2, cols))));
  if (d.sinceBoot) out.push(c.dim(wrap(visible(sinceBootText(d)), 2, cols)));
  out.push('');
  out.push(wrap(visible(d.summary), 2, cols));
  if (!full) return out.join('\n');
  out.push('');
  out.push(`  ${c.underline('Root cause')}`);
  out.push(wrap(visible(d.rootCause), 4, cols));
  if (d.notThis) {
    out.push(`  ${c.underline('Not the cause')}`);
    out.push(wrap(visible(d.notThis), 4, cols));
  }
  if (d.factors.length) {
    out.push(`  ${c.underline('Why this confidence')}`);
    for (const f of d.factors) {
      const facts = visible(f.facts.map((x) => `${x.name} = ${x.value} from ${x.source}`).join('; '));
      const sign = `${f.add >= 0 ? '+' : ''}${f.add.toFixed(2)} `;
      out.push(`    ${sign}${wrap(visible(f.because), 0, cols, 4 + sign.length).trimStart()}`);
      if (facts) out.push(c.dim(wrap(`[${facts}]`, 4 + sign.length, cols)));
    }
  }
  out.push(`  ${c.underline('Evidence')}`);
  for (const e of d.evidence.slice(0, 6)) {
    const where = visible(`${e.source}:${e.line}`);
    const at = e.time ? visible(shortTime(e.time)) : '';
    if (!at || 4 + where.length + 2 + at.length <= cols) out.push(`    ${c.cyan(where)}${at ? c.dim(`  ${at}`) : ''}`);
    else out.push(`    ${c.cyan(where)}`, c.dim(`      ${at}`));
    out.push(indent(highlight(c, e, clip ? cols - 6 : undefined), 6));
  }
  if (d.evidence.length > 6) out.push(c.dim(`    … ${d.evidence.length - 6} more evidence lines in --json`));
  // Not the thing to do now when the failure stopped: what to do should it come back.
  out.push(`  ${c.underline(d.resolved ? 'What to do if it comes back' : 'What to do')}`);
  d.remediation.forEach((r, i) => {
    const [first, ...cmds] = visible(r).split('\n');
    const num = `${i + 1}. `;
    out.push(`    ${num}${wrap(first, 0, cols, 4 + num.length).trimStart()}`);
    // Commands are never wrapped: they are copied and pasted whole.
    for (const cmd of cmds) out.push(`       ${c.green(cmd.trim())}`);
  });
  out.push(`  ${c.underline('References')}`);
  for (const r of d.references) out.push(`    ${visible(r)}`);
  return out.join('\n');
}

export function renderText(r: Report, opts: { color?: boolean; width?: number; clip?: boolean } = {}): string {
  const c = pc.createColors(opts.color ?? pc.isColorSupported);
  const out: string[] = [];
  const cols = opts.width ?? 100;
  if (r.perNode && r.nodes) {
    // Several nodes: each node's report, whole, one after the other (the merged one is in --json only).
    out.push(c.bold(c.yellow(wrap(visible(perNodeText(r.nodes, r.perNode.length)), 0, cols))), '');
    for (const n of r.perNode) out.push(c.bold(c.inverse(` ${visible(nodeHeading(n))} `)), '', renderText(n.report, opts));
    return out.join('\n');
  }
  const files = r.inputs.reduce((a, i) => a + i.files, 0);
  const lines = r.inputs.reduce((a, i) => a + i.lines, 0);
  const bytes = r.inputs.reduce((a, i) => a + i.bytes, 0);
  out.push(c.bold(`cni-doctor ${r.tool.version}`) + c.dim(` — ${r.inputs.length} input${r.inputs.length === 1 ? '' : 's'}, ${files} file${files === 1 ? '' : 's'}, ${groupNum(lines)} lines, ${humanBytes(bytes)}`));
  for (const i of r.inputs) {
    const line = `  ${i.kind.padEnd(16)} ${visible(i.path)}`;
    out.push(c.dim(line.length <= cols ? line : `  ${i.kind}\n    ${visible(i.path)}`));
  }
  out.push('');
  if (r.nodes) out.push(c.bold(c.yellow(wrap(visible(mixedNodesText(r.nodes)), 0, cols))), '');
  if (!r.diagnoses.length) {
    const verdict = noDiagnosisText(r);
    out.push(r.problems.length ? c.yellow(verdict) : c.green(verdict));
  } else {
    const past = r.diagnoses.filter((d) => d.resolved).length;
    out.push(c.bold(`${r.diagnoses.length} diagnos${r.diagnoses.length === 1 ? 'is' : 'es'}, most severe first${past ? `; ${past === r.diagnoses.length ? (past === 1 ? 'it is' : 'all are') : `the last ${past === 1 ? 'one is' : `${past} are`}`} no longer seen` : ''}:`));
    out.push('');
    r.diagnoses.forEach((d, i) => {
      out.push(renderDiagnosis(c, d, true, opts.width, opts.clip));
      if (i < r.diagnoses.length - 1) out.push('', c.dim('─'.repeat(60)), '');
    });
  }
  if (r.setAside) {
    out.push('', c.bold(c.yellow(wrap(visible(setAsideHeadline(r.setAside)), 0, cols, 2))));
    out.push(wrap(visible(setAsideWhy(r.setAside)), 2, cols));
    for (const p of r.setAside.pods) {
      out.push(wrap(`${visible(p.node)}  ${visible(p.pod)}: ${visible(setAsideDetail(p))}`, 4, cols, 6));
      out.push(c.dim(wrap(`(placed by ${visible(p.source)})`, 6, cols)));
    }
  }
  const factNames = Object.keys(r.facts);
  if (factNames.length) {
    out.push('', c.bold('Facts'));
    const w = Math.max(...factNames.map((n) => n.length));
    for (const n of factNames) {
      const f = r.facts[n];
      const name = `  ${visible(n).padEnd(w)}  `;
      const head = name + visible(f.value);
      const src = `(${visible(f.source)}${f.note ? `; ${visible(f.note)}` : ''})`;
      // A long value (a kernel command line) wraps under itself; its source goes on the next line.
      const value = head.length <= cols ? head : name + wrap(visible(f.value), 0, cols, name.length).trimStart();
      out.push(head.length + 2 + src.length <= cols ? `${head}  ${c.dim(src)}` : `${value}\n${c.dim(wrap(src, w + 4, cols))}`);
      for (const k of f.conflicts ?? []) out.push(c.yellow(wrap(`but ${visible(k.value)} in ${visible(k.source)}${k.note ? ` (${visible(k.note)})` : ''}`, w + 4, cols)));
    }
  }
  const tl = r.timeline.filter((t) => t.time);
  if (tl.length) {
    out.push('', c.bold('Timeline'));
    const shown = tl.length > 30 ? [...tl.slice(0, 15), undefined, ...tl.slice(-15)] : tl;
    for (const t of shown) {
      if (!t) { out.push(c.dim(`  … ${tl.length - 30} more`)); continue; }
      const lead = `  ${visible(shortTime(t.time))}  ${visible(t.kind).padEnd(14)} `;
      const line = `${lead}${visible(t.text)}${t.source ? `  (${visible(t.source)})` : ''}`;
      if (line.length <= cols) out.push(`${lead}${visible(t.text)}${t.source ? c.dim(`  (${visible(t.source)})`) : ''}`);
      else {
        out.push(`${lead}${wrap(visible(t.text), 0, cols, lead.length).trimStart()}`);
        if (t.source) out.push(c.dim(wrap(`(${visible(t.source)})`, lead.length, cols)));
      }
    }
  }
  if (r.problems.length) {
    out.push('', c.bold(c.yellow('Not read, or read in part')));
    for (const p of r.problems) out.push(c.yellow(wrap(`${visible(p.source)}: ${visible(p.reason)}`, 2, opts.width ?? 100, 4)));
  }
  return out.join('\n') + '\n';
}
