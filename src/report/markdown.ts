// Markdown for pasting into a ticket: the same report, no colour, evidence in code blocks.
import type { Report } from './model.js';

function fence(s: string): string {
  const longest = Math.max(2, ...(s.match(/`+/g) ?? []).map((m) => m.length));
  const f = '`'.repeat(longest + 1);
  return `${f}\n${s}\n${f}`;
}

export function renderMarkdown(r: Report): string {
  const out: string[] = [];
  out.push(`# cni-doctor report`, '');
  out.push(`cni-doctor ${r.tool.version}. Inputs:`, '');
  for (const i of r.inputs) out.push(`- \`${i.path}\` (${i.kind}): ${i.files} files, ${i.lines} lines, ${i.bytes} bytes`);
  out.push('');
  if (!r.diagnoses.length) out.push('**No known failure found in these logs.**', '');
  for (const d of r.diagnoses) {
    out.push(`## ${d.severity.toUpperCase()}: ${d.title}`, '');
    out.push(`\`${d.id}\` · confidence ${d.confidence.toFixed(2)} · ${d.occurrences} occurrences${d.firstSeen ? ` · first ${d.firstSeen}` : ''}${d.lastSeen ? ` · last ${d.lastSeen}` : ''}`, '');
    out.push(d.summary, '');
    out.push('**Root cause.** ' + d.rootCause, '');
    if (d.notThis) out.push('**Not the cause.** ' + d.notThis, '');
    if (d.factors.length) {
      out.push('**Why this confidence**', '');
      for (const f of d.factors) {
        out.push(`- ${f.add >= 0 ? '+' : ''}${f.add.toFixed(2)} ${f.because}${f.facts.length ? ` (${f.facts.map((x) => `\`${x.name}\` = \`${x.value}\` from \`${x.source}\``).join('; ')})` : ''}`);
      }
      out.push('');
    }
    out.push('**Evidence**', '');
    for (const e of d.evidence.slice(0, 8)) {
      out.push(`- \`${e.source}:${e.line}\`${e.time ? ` at ${e.time}` : ''}`, '');
      out.push(fence(e.text), '');
    }
    out.push('**What to do**', '');
    d.remediation.forEach((step, i) => {
      const [first, ...cmds] = step.split('\n');
      out.push(`${i + 1}. ${first}`);
      if (cmds.length) out.push('', fence(cmds.map((c) => c.trim().replace(/^\$ /, '')).join('\n')).split('\n').map((l) => `   ${l}`).join('\n'));
    });
    out.push('', '**References**', '');
    for (const ref of d.references) out.push(`- ${ref}`);
    out.push('');
  }
  if (Object.keys(r.facts).length) {
    out.push('## Facts', '', '| fact | value | source |', '|---|---|---|');
    for (const [n, f] of Object.entries(r.facts)) {
      out.push(`| \`${n}\` | \`${f.value}\` | ${f.source}${f.conflicts ? ` (conflicts: ${f.conflicts.map((c) => `${c.value} in ${c.source}`).join(', ')})` : ''} |`);
    }
    out.push('');
  }
  const tl = r.timeline.filter((t) => t.time);
  if (tl.length) {
    out.push('## Timeline', '', '| time | event | source |', '|---|---|---|');
    for (const t of tl.slice(0, 60)) out.push(`| ${t.time} | ${t.text.replace(/\|/g, '\\|')} | ${t.source} |`);
    out.push('');
  }
  if (r.problems.length) {
    out.push('## Not read, or read in part', '');
    for (const p of r.problems) out.push(`- \`${p.source}\`: ${p.reason}`);
    out.push('');
  }
  return out.join('\n');
}
