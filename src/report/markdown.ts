// Markdown for pasting into a ticket: the same report, no colour, evidence in code blocks.
// Pattern prose and log text are shown as written: GitHub drops what looks like raw HTML
// (`br-<id>`), turns `*`/`_`/`[…]` into emphasis and links, and a `|` or newline from a file name
// splits a table row, so everything outside a code span or fence is escaped, and what goes into one
// is made unable to close it early.
import { mixedNodesText, nodeHeading, noDiagnosisText, perNodeText, setAsideDetail, setAsideHeadline, setAsideWhy, type Report } from './model.js';
import { visible } from './text.js';
import { notSeenSince, sinceBootText } from '../present/format.js';

/** A code block that no run of backticks in `s` can close; control characters made visible. */
function fence(s: string): string {
  const t = visible(s);
  const longest = Math.max(2, ...(t.match(/`+/g) ?? []).map((m) => m.length));
  const f = '`'.repeat(longest + 1);
  return `${f}\n${t}\n${f}`;
}

/** One line; a newline would end a list item, a heading or a table row. */
function oneLine(s: string): string {
  return s.replace(/\r?\n/g, ' ');
}

/** A code span around any text: delimited by a backtick run the text does not hold, padded where
 *  the text starts or ends with a backtick or a space (CommonMark strips one space a side). In a
 *  table cell `|` still splits the row inside a span, unless backslash-escaped (GFM). */
function code(s: string, inTable = false): string {
  let t = oneLine(visible(s));
  // GFM reads `\|` in a cell as a pipe even inside a span, so a backslash before a pipe cannot be
  // shown there; escaped text can.
  if (inTable && t.includes('\\|')) return cell(s);
  if (inTable) t = t.replace(/\|/g, '\\|');
  if (!t) return '` `';
  const runs = new Set((t.match(/`+/g) ?? []).map((m) => m.length));
  let n = 1;
  while (runs.has(n)) n++;
  const f = '`'.repeat(n);
  const pad = /^[` ]|[` ]$/.test(t) && /[^ ]/.test(t) ? ' ' : '';
  return `${f}${pad}${t}${pad}${f}`;
}

/** Plain text that renders literally. `_` between two letters or digits is left alone: it can
 *  neither open nor close emphasis there, and IP_AUTODETECTION_METHOD stays readable in the source.
 *  `&` only where it could start an entity (`&lt;`, `&#60;`). A line may not open a block either:
 *  heading, list item, setext underline, quote or fence (`lineStart`: nor may the first line). */
function text(s: string, lineStart = false): string {
  const t = visible(s).replace(/[\\`*_[\]<>|~&]/g, (c, i: number, all: string) => {
    if (c === '_' && /[A-Za-z0-9]/.test(all[i - 1] ?? '') && /[A-Za-z0-9]/.test(all[i + 1] ?? '')) return c;
    if (c === '&' && !/^&(?:#|[A-Za-z0-9]+;)/.test(all.slice(i, i + 34))) return c;
    return '\\' + c;
  });
  return t.replace(/(^|\n)([ \t]*)(#|[-+=]|\d{1,9}(?=[.)]))/g, (m, nl: string, sp: string, mark: string) =>
    !nl && !lineStart ? m : /\d/.test(mark) ? `${nl}${sp}${mark}\\` : `${nl}${sp}\\${mark}`);
}

/** Pattern prose: its backtick spans are meant as code (`first-found`, `interface=<regex>`) and
 *  stay code; everything between them is escaped as text. A backtick run with no closing run of the
 *  same length is a literal backtick, as CommonMark reads it. */
function prose(s: string, lineStart = false): string {
  const out: string[] = [];
  let rest = s;
  for (;;) {
    const open = /`+/.exec(rest);
    if (!open) break;
    const after = rest.slice(open.index + open[0].length);
    const close = new RegExp(`(?<!\`)${open[0]}(?!\`)`).exec(after);
    if (!close) {
      out.push(text(rest.slice(0, open.index + open[0].length), lineStart && !out.length));
      rest = after;
      continue;
    }
    out.push(text(rest.slice(0, open.index), lineStart && !out.length), open[0] + visible(after.slice(0, close.index)) + open[0]);
    rest = after.slice(close.index + open[0].length);
  }
  out.push(text(rest, lineStart && !out.length));
  return out.join('');
}

/** A table cell: one line, `|` escaped (text() escapes it; code(…, true) inside spans). */
function cell(s: string): string {
  return text(oneLine(s));
}

/** A link where it is plainly a URL (an autolink takes its text literally); otherwise text. */
function link(s: string): string {
  // eslint-disable-next-line no-control-regex
  return /^[A-Za-z][A-Za-z0-9+.-]{1,31}:[^\s<>\x00-\x1f\x7f-\x9f]+$/.test(s) ? `<${s}>` : text(oneLine(s));
}

export function renderMarkdown(r: Report, title = 'cni-doctor report'): string {
  const out: string[] = [];
  if (r.perNode && r.nodes) {
    out.push(`# ${title}`, '', `> **${text(perNodeText(r.nodes, r.perNode.length))}**`, '');
    for (const n of r.perNode) out.push('---', '', renderMarkdown(n.report, text(nodeHeading(n))));
    return out.join('\n');
  }
  out.push(`# ${title}`, '');
  out.push(`cni-doctor ${text(r.tool.version)}. Inputs:`, '');
  for (const i of r.inputs) out.push(`- ${code(i.path)} (${i.kind}): ${i.files} files, ${i.lines} lines, ${i.bytes} bytes`);
  out.push('');
  if (r.nodes) out.push(`> **${text(mixedNodesText(r.nodes))}**`, '');
  if (!r.diagnoses.length) out.push(`**${noDiagnosisText(r)}**`, '');
  for (const d of r.diagnoses) {
    // a heading's trailing run of # is its closing sequence, not text
    out.push(`## ${d.severity.toUpperCase()}: ${prose(oneLine(d.title)).replace(/(^|[ \t])(#+[ \t]*)$/, '$1\\$2')}`, '');
    out.push(`${code(d.id)} · confidence ${d.confidence.toFixed(2)} · ${d.occurrences} occurrences${d.firstSeen ? ` · first ${text(d.firstSeen)}` : ''}${d.lastSeen ? ` · last ${text(d.lastSeen)}` : ''}`, '');
    if (d.resolved) out.push(`**${text(notSeenSince(d.resolved))}**`, '');
    if (d.sinceBoot) out.push(text(sinceBootText(d)), '');
    out.push(prose(d.summary, true), '');
    out.push('**Root cause.** ' + prose(d.rootCause), '');
    if (d.notThis) out.push('**Not the cause.** ' + prose(d.notThis), '');
    if (d.factors.length) {
      out.push('**Why this confidence**', '');
      for (const f of d.factors) {
        out.push(`- ${f.add >= 0 ? '+' : ''}${f.add.toFixed(2)} ${prose(oneLine(f.because))}${f.facts.length ? ` (${f.facts.map((x) => `${code(x.name)} = ${code(x.value)} from ${code(x.source)}`).join('; ')})` : ''}`);
      }
      out.push('');
    }
    out.push('**Evidence**', '');
    for (const e of d.evidence.slice(0, 8)) {
      out.push(`- ${code(`${e.source}:${e.line}`)}${e.time ? ` at ${text(e.time)}` : ''}`, '');
      out.push(fence(e.text), '');
    }
    out.push(d.resolved ? '**What to do if it comes back**' : '**What to do**', '');
    d.remediation.forEach((step, i) => {
      const [first, ...cmds] = step.split('\n');
      // a list item's text opens a block of its own: `# …` or `- …` there would be a heading or a list
      out.push(`${i + 1}. ${prose(first, true)}`);
      if (cmds.length) out.push('', fence(cmds.map((c) => c.trim().replace(/^\$ /, '')).join('\n')).split('\n').map((l) => `   ${l}`).join('\n'));
    });
    out.push('', '**References**', '');
    for (const ref of d.references) out.push(`- ${link(ref)}`);
    out.push('');
  }
  if (r.setAside) {
    out.push('## Set aside', '', `${text(setAsideHeadline(r.setAside))}. ${text(setAsideWhy(r.setAside))}`, '');
    for (const p of r.setAside.pods) out.push(`- ${code(p.node)} ${code(p.pod)}: ${text(setAsideDetail(p))} (placed by ${code(p.source)})`);
    out.push('');
  }
  if (Object.keys(r.facts).length) {
    out.push('## Facts', '', '| fact | value | source |', '|---|---|---|');
    for (const [n, f] of Object.entries(r.facts)) {
      const note = (x: { note?: string }): string => (x.note ? ` (${cell(x.note)})` : '');
      out.push(`| ${code(n, true)} | ${code(f.value, true)} | ${cell(f.source)}${note(f)}${f.conflicts ? ` (conflicts: ${f.conflicts.map((c) => `${cell(c.value)} in ${cell(c.source)}${note(c)}`).join(', ')})` : ''} |`);
    }
    out.push('');
  }
  const tl = r.timeline.filter((t) => t.time);
  if (tl.length) {
    out.push('## Timeline', '', '| time | event | source |', '|---|---|---|');
    for (const t of tl.slice(0, 60)) out.push(`| ${cell(t.time ?? '')} | ${cell(t.text)} | ${cell(t.source)} |`);
    out.push('');
  }
  if (r.problems.length) {
    out.push('## Not read, or read in part', '');
    for (const p of r.problems) out.push(`- ${code(p.source)}: ${text(oneLine(p.reason))}`);
    out.push('');
  }
  return out.join('\n');
}
