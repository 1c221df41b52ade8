// The ranked diagnoses, one row each: cursor, severity badge, id (and title when there is room),
// how often, how recently, how sure. The order is the store's; the list never re-ranks.
import { Box } from 'ink';
import type { ReactNode } from 'react';
import type { Diagnosis } from '../engine/diagnose.js';
import { SEVERITY, age, compactNum, confidence } from '../present/format.js';
import { Lines, seg, type Row, type Seg } from './Line.js';
import { sanitize, strWidth, truncate } from '../present/text.js';

export interface DiagnosisListProps {
  diagnoses: Diagnosis[];
  selected: number;
  /** rows available; the list scrolls to keep the selection visible */
  rows: number;
  width: number;
  now: number;
  color: boolean;
}

/** ` CRIT ` on a coloured background, or `[CRIT]` without colour: always six cells, always readable. */
export function severityBadge(s: Diagnosis['severity'], color: boolean): Seg {
  const v = SEVERITY[s];
  return color
    ? seg(` ${v.label.padEnd(4)} `, { bg: v.bg, fg: v.fg, bold: true })
    : seg(`[${v.label}]`.padEnd(6), { bold: s === 'critical' });
}

/** First visible index so that `selected` is on screen, roughly centred. */
export function windowStart(n: number, selected: number, rows: number): number {
  if (n <= rows) return 0;
  return Math.min(Math.max(0, selected - Math.floor((rows - 1) / 2)), n - rows);
}

export function listRows(p: DiagnosisListProps): Row[] {
  const { diagnoses: ds, width: w, now } = p;
  const showConf = w >= 64;
  const rows = Math.max(1, p.rows);
  const start = windowStart(ds.length, p.selected, rows);
  const shown = ds.slice(start, start + rows);
  const counts = ds.map((d) => `×${compactNum(d.occurrences)}`);
  const ages = ds.map((d) => age(d, now));
  const countW = Math.max(...counts.map(strWidth));
  const ageW = Math.max(...ages.map(strWidth));
  const gap = showConf ? 2 : 1;
  const right = gap + countW + (ageW ? 1 + ageW : 0) + (showConf ? 2 + 4 : 0);
  const idArea = Math.max(4, w - 2 - 6 - 1 - right);
  const idW = Math.min(Math.max(...ds.map((d) => strWidth(d.id))), idArea);
  return shown.map((d, k) => {
    const i = start + k;
    const sel = i === p.selected;
    const id = truncate(d.id, idArea);
    const row: Row = [seg(sel ? '> ' : '  ', { bold: true, fg: 'cyan' }), severityBadge(d.severity, p.color), seg(' ')];
    row.push(seg(id, { bold: sel, inverse: sel }));
    let used = strWidth(id);
    const titleRoom = idArea - idW - 2;
    if (titleRoom >= 12) {
      row.push(seg(' '.repeat(idW - used + 2)));
      const title = truncate(sanitize(d.title), titleRoom);
      row.push(seg(title, { dim: !sel }));
      used = idW + 2 + strWidth(title);
    }
    row.push(seg(' '.repeat(Math.max(0, idArea - used))));
    row.push(seg(' '.repeat(gap) + counts[i].padStart(countW)));
    if (ageW) row.push(seg(' ' + ages[i].padEnd(ageW), { dim: d.quietFor !== undefined || !!d.resolved }));
    if (showConf) row.push(seg('  ' + confidence(d.confidence), { dim: true }));
    return row;
  });
}

export function DiagnosisList(p: DiagnosisListProps): ReactNode {
  return (
    <Box flexDirection="column">
      <Lines rows={listRows(p)} color={p.color} />
    </Box>
  );
}
