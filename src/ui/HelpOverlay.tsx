// The key reference, shown in place of the list and detail while `?` is held open.
import { Box } from 'ink';
import type { ReactNode } from 'react';
import { Lines, rowWidth, seg, truncateRow, type Row, type Seg } from './Line.js';
import { severityBadge } from './DiagnosisList.js';
import type { Severity } from '../present/format.js';

export const KEYS: Array<[string, string]> = [
  ['↑ ↓  j k', 'select a diagnosis'],
  ['enter', 'expand / collapse the detail'],
  ['e', 'evidence: the first and latest matched lines'],
  ['space  b', 'scroll the detail (PgDn PgUp)'],
  ['p', 'pause / resume reading input'],
  ['?  esc', 'close this help'],
  ['q  ctrl-c', 'quit'],
];

/** Rows of segments laid out word by word into rows of `width` cells, continuing at `indent`. */
function flow(items: Row[], width: number, indent = 0): Row[] {
  const rows: Row[] = [];
  let cur: Row = [];
  let used = 0;
  for (const item of items) {
    const w = rowWidth(item);
    if (used > indent && used + w > width) {
      rows.push(cur);
      cur = indent ? [seg(' '.repeat(indent))] : [];
      used = indent;
    }
    cur.push(...item);
    used += w;
  }
  if (cur.length) rows.push(cur);
  return rows;
}

export function helpRows(width: number, color: boolean): Row[] {
  const kw = Math.max(...KEYS.map(([k]) => k.length)) + 2;
  const rows: Row[] = [[seg('Keys', { bold: true, underline: true })]];
  for (const [k, what] of KEYS) {
    const words = what.split(' ').map((w, i): Row => [seg((i ? ' ' : '') + w)]);
    rows.push(...flow([[seg('  ' + k.padEnd(kw), { bold: true })], ...words], width, 2 + kw));
  }
  rows.push([seg(' ')]);
  const sev: Row[] = [[seg('Severity', { bold: true })]];
  (['critical', 'error', 'warning', 'info'] as Severity[]).forEach((s) => sev.push([seg(' '), severityBadge(s, color), seg(` ${s}`)]));
  rows.push(...flow(sev, width, 8));
  const words = (text: string, style: Omit<Seg, 'text'> = {}): Row[] => text.split(' ').map((w, i) => [seg((i ? ' ' : '') + w, style)]);
  rows.push(...flow([...words('In evidence,'), [seg(' '), seg('highlighted', { inverse: true, bold: true, fg: 'yellow' })], ...words(' text is what the pattern matched.')], width));
  rows.push(...flow(words('> marks the selected diagnosis; "quiet 12m": no new evidence for 12 minutes.', { dim: true }), width));
  return rows.map((r) => truncateRow(r, width));
}

/** The help in `height` rows: when it does not fit, the last row says so (a larger pane shows it all). */
export function fitHelp(rows: Row[], height: number, width: number): Row[] {
  const h = Math.max(0, height);
  if (rows.length <= h) return rows;
  if (h === 0) return [];
  return [...rows.slice(0, h - 1), truncateRow([seg(`… ${rows.length - h + 1} more lines: a taller pane shows them`, { dim: true })], width)];
}

export function HelpOverlay({ width, height, color }: { width: number; height: number; color: boolean }): ReactNode {
  return (
    <Box flexDirection="column">
      <Lines rows={fitHelp(helpRows(width, color), height, width)} color={color} />
    </Box>
  );
}
