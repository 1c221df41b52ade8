// What the body shows before any known failure has been seen.
import { Box } from 'ink';
import type { ReactNode } from 'react';
import { Lines, seg, truncateRow, type Row } from './Line.js';
import { coarse, groupNum } from '../present/format.js';
import { sanitize, wrapWords } from '../present/text.js';

export interface EmptyStateProps {
  sources: string[];
  lines: number;
  paused: boolean;
  upFor: number;
  width: number;
  height: number;
  color: boolean;
}

export function emptyRows(p: EmptyStateProps): Row[] {
  const n = p.sources.length;
  const w = p.width;
  const rows: Row[] = [[seg(' ')]];
  const head = n ? `No known failure seen yet — watching ${n} source${n === 1 ? '' : 's'}` : 'No known failure seen yet — no sources are being followed';
  for (const l of wrapWords(head, w - 2)) rows.push([seg('  '), seg(l, { bold: true, fg: 'green' })]);
  const note = `${groupNum(p.lines)} lines scanned in ${coarse(p.upFor)}. A diagnosis shows up here as soon as a known failure pattern matches.`;
  for (const l of wrapWords(note, w - 2)) rows.push([seg('  '), seg(l, { dim: true })]);
  if (p.paused) rows.push([seg('  '), seg('Paused', { inverse: true, bold: true }), seg(' — press p to resume reading.')]);
  if (n) rows.push([seg(' ')]);
  for (const s of p.sources) rows.push([seg('  · ', { dim: true }), seg(sanitize(s))]);
  const fit = rows.map((r) => truncateRow(r, w));
  const h = Math.max(0, p.height);
  if (fit.length <= h) return fit;
  // Too tall: the list of sources is cut first, and says how many it left out.
  const firstSource = fit.length - p.sources.length;
  const hidden = fit.length - (h - 1);
  if (h >= 2 && p.sources.length && h - 1 > firstSource) {
    return [...fit.slice(0, h - 1), truncateRow([seg(`  … ${hidden} more source${hidden === 1 ? '' : 's'}`, { dim: true })], w)];
  }
  return fit.slice(0, h);
}

export function EmptyState(p: EmptyStateProps): ReactNode {
  return (
    <Box flexDirection="column">
      <Lines rows={emptyRows(p)} color={p.color} />
    </Box>
  );
}
