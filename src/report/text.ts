// The terminal report: what is wrong, why, how sure, the evidence, and what to do, most severe first.
import pc from 'picocolors';
import type { Diagnosis } from '../engine/diagnose.js';
import type { Evidence } from '../engine/events.js';
import { noDiagnosisText, type Report } from './model.js';
import { groupNum } from '../ui/format.js';
import { sanitize } from '../ui/text.js';

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

export function highlight(c: Colors, e: Evidence, width = 0): string {
  let t = visible(e.text);
  if (e.match) t = t.slice(0, e.match[0]) + c.bold(c.magenta(t.slice(e.match[0], e.match[1]))) + t.slice(e.match[1]);
  const lines = t.split('\n');
  const shown = lines.slice(0, 12);
  if (lines.length > 12) shown.push(`… (${lines.length - 12} more lines)`);
  return shown.map((l) => (width && l.length > width * 3 ? l.slice(0, width * 3) + '…' : l)).join('\n');
}

function indent(s: string, n: number): string {
  const pad = ' '.repeat(n);
  return s.split('\n').map((l) => pad + l).join('\n');
}

export function renderDiagnosis(c: Colors, d: Diagnosis, full = true): string {
  const out: string[] = [];
  const sev = sevColor(c, d.severity)(SEV_LABEL[d.severity].padEnd(8));
  const when = d.firstSeen ? `, ${shortTime(d.firstSeen)}${d.lastSeen && d.lastSeen !== d.firstSeen ? ` → ${shortTime(d.lastSeen)}` : ''}` : '';
  out.push(`${sev} ${c.bold(visible(d.id))}  ${c.dim(`confidence ${d.confidence.toFixed(2)}, ${d.occurrences}×${when}`)}`);
  out.push(`  ${c.bold(visible(d.title))}`);
  out.push('');
  out.push(indent(visible(d.summary), 2));
  if (!full) return out.join('\n');
  out.push('');
  out.push(`  ${c.underline('Root cause')}`);
  out.push(indent(visible(d.rootCause), 4));
  if (d.notThis) {
    out.push(`  ${c.underline('Not the cause')}`);
    out.push(indent(visible(d.notThis), 4));
  }
  if (d.factors.length) {
    out.push(`  ${c.underline('Why this confidence')}`);
    for (const f of d.factors) {
      const facts = visible(f.facts.map((x) => `${x.name} = ${x.value} from ${x.source}`).join('; '));
      out.push(`    ${f.add >= 0 ? '+' : ''}${f.add.toFixed(2)} ${visible(f.because)}${facts ? c.dim(` [${facts}]`) : ''}`);
    }
  }
  out.push(`  ${c.underline('Evidence')}`);
  for (const e of d.evidence.slice(0, 6)) {
    out.push(`    ${c.cyan(visible(`${e.source}:${e.line}`))}${e.time ? c.dim(`  ${visible(shortTime(e.time))}`) : ''}`);
    out.push(indent(highlight(c, e), 6));
  }
  if (d.evidence.length > 6) out.push(c.dim(`    … ${d.evidence.length - 6} more evidence lines in --json`));
  out.push(`  ${c.underline('What to do')}`);
  d.remediation.forEach((r, i) => {
    const [first, ...cmds] = visible(r).split('\n');
    out.push(`    ${i + 1}. ${first}`);
    for (const cmd of cmds) out.push(`       ${c.green(cmd.trim())}`);
  });
  out.push(`  ${c.underline('References')}`);
  for (const r of d.references) out.push(`    ${visible(r)}`);
  return out.join('\n');
}

export function renderText(r: Report, opts: { color?: boolean } = {}): string {
  const c = pc.createColors(opts.color ?? pc.isColorSupported);
  const out: string[] = [];
  const files = r.inputs.reduce((a, i) => a + i.files, 0);
  const lines = r.inputs.reduce((a, i) => a + i.lines, 0);
  const bytes = r.inputs.reduce((a, i) => a + i.bytes, 0);
  out.push(c.bold(`cni-doctor ${r.tool.version}`) + c.dim(` — ${r.inputs.length} input${r.inputs.length === 1 ? '' : 's'}, ${files} file${files === 1 ? '' : 's'}, ${groupNum(lines)} lines, ${humanBytes(bytes)}`));
  for (const i of r.inputs) out.push(c.dim(`  ${i.kind.padEnd(16)} ${visible(i.path)}`));
  out.push('');
  if (!r.diagnoses.length) {
    const verdict = noDiagnosisText(r);
    out.push(r.problems.length ? c.yellow(verdict) : c.green(verdict));
  } else {
    out.push(c.bold(`${r.diagnoses.length} diagnos${r.diagnoses.length === 1 ? 'is' : 'es'}, most severe first:`));
    out.push('');
    r.diagnoses.forEach((d, i) => {
      out.push(renderDiagnosis(c, d, true));
      if (i < r.diagnoses.length - 1) out.push('', c.dim('─'.repeat(60)), '');
    });
  }
  const factNames = Object.keys(r.facts);
  if (factNames.length) {
    out.push('', c.bold('Facts'));
    const w = Math.max(...factNames.map((n) => n.length));
    for (const n of factNames) {
      const f = r.facts[n];
      out.push(`  ${visible(n).padEnd(w)}  ${visible(f.value)}  ${c.dim(`(${visible(f.source)})`)}`);
      for (const k of f.conflicts ?? []) out.push(c.yellow(`  ${''.padEnd(w)}  but ${visible(k.value)} in ${visible(k.source)}`));
    }
  }
  const tl = r.timeline.filter((t) => t.time);
  if (tl.length) {
    out.push('', c.bold('Timeline'));
    const shown = tl.length > 30 ? [...tl.slice(0, 15), undefined, ...tl.slice(-15)] : tl;
    for (const t of shown) {
      if (!t) { out.push(c.dim(`  … ${tl.length - 30} more`)); continue; }
      out.push(`  ${visible(shortTime(t.time))}  ${visible(t.kind).padEnd(14)} ${visible(t.text)}${t.source ? c.dim(`  (${visible(t.source)})`) : ''}`);
    }
  }
  if (r.problems.length) {
    out.push('', c.bold(c.yellow('Not read, or read in part')));
    for (const p of r.problems) out.push(c.yellow(`  ${visible(p.source)}: ${visible(p.reason)}`));
  }
  return out.join('\n') + '\n';
}
