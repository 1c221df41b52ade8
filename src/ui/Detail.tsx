// The selected diagnosis: summary, root cause, evidence with the matched text highlighted, what to
// do (with exact commands) and references. Laid out into rows that fit the width; the view shows a
// window of them. Collapsed, each section is capped so the whole story fits a small pane; expanded,
// nothing is cut and the window scrolls. The evidence view lists every evidence line kept.
import { Box } from 'ink';
import { memo, type ReactNode } from 'react';
import { LIKELY_CAUSE, type Diagnosis } from '../engine/diagnose.js';
import type { Evidence } from '../engine/events.js';
import { SEVERITY, clock, clockDated, compactNum, confidence, isoDay, notSeenSince, sinceBootText } from '../present/format.js';
import { Lines, fitPieces, rowWidth, seg, truncateRow, type Row, type Seg } from './Line.js';
import { clipAround, hardWrap, limitLines, sanitize, strWidth, tailByWidth, truncate, wrapAround, wrapWords, type Part } from '../present/text.js';

export interface DetailOptions {
  width: number;
  /** everything, uncut (enter) */
  expanded: boolean;
  /** the evidence view (e) */
  evidence: boolean;
  /** rows on screen: collapsed, spare rows go to the summary and the root cause */
  height?: number;
  /** today's date (YYYY-MM-DD; a replay's: the recording's), so that a time on another day shows its date */
  today?: string;
}

interface Caps { summary: number; cause: number }
const COLLAPSED: Caps = { summary: 2, cause: 3 };
const FULL: Caps = { summary: Infinity, cause: Infinity };

const GUTTER = 7;
const HIT: Omit<Seg, 'text'> = { inverse: true, bold: true, fg: 'yellow' };
/** rows of one evidence record shown in full before it is cut */
const MAX_EVIDENCE_ROWS = 24;

function gutter(label: string, lines: Row[], w: number): Row[] {
  return lines.map((l, i) => truncateRow([seg(i === 0 ? label.padEnd(GUTTER) : ' '.repeat(GUTTER), { bold: true }), ...l], w));
}

function prose(text: string, w: number, max: number, style: Omit<Seg, 'text'> = {}): Row[] {
  const lines = wrapWords(sanitize(text), w);
  return limitLines(lines, max, w).map((l) => [seg(l, style)]);
}

function partsRow(parts: Part[]): Row {
  return parts.map((p) => seg(p.text, p.hit ? HIT : {}));
}

/** The evidence text: one row clipped around the match, or every line wrapped (full). */
export function evidenceTextRows(e: Evidence, w: number, full: boolean): Row[] {
  const text = sanitize(e.text, true);
  const lines = text.split('\n');
  const offsets: number[] = [];
  let o = 0;
  for (const l of lines) {
    offsets.push(o);
    o += l.length + 1;
  }
  const local = (j: number): [number, number] | undefined => {
    if (!e.match) return undefined;
    const s = Math.max(e.match[0], offsets[j]) - offsets[j];
    const t = Math.min(e.match[1], offsets[j] + lines[j].length) - offsets[j];
    return t > s ? [s, t] : undefined;
  };
  if (!full) {
    let j = 0;
    if (e.match) while (j + 1 < lines.length && offsets[j + 1] <= e.match[0]) j++;
    return [partsRow(clipAround(lines[j], local(j), w))];
  }
  const rows: Row[] = [];
  for (let j = 0; j < lines.length; j++) for (const parts of wrapAround(lines[j], local(j), w)) rows.push(partsRow(parts));
  if (rows.length > MAX_EVIDENCE_ROWS) {
    const more = rows.length - (MAX_EVIDENCE_ROWS - 1);
    return [...rows.slice(0, MAX_EVIDENCE_ROWS - 1), [seg(truncate(`… ${more} more rows`, w), { dim: true })]];
  }
  return rows;
}

function evidenceHead(e: Evidence, w: number, note?: { shown: number; of: number }): Row {
  const extra = e.text.includes('\n') ? ` +${e.text.split('\n').length - 1} lines` : '';
  const src = sanitize(e.source);
  const at = e.line ? `:${e.line}` : '';
  // Shorten the time, then the note, and only then the source — from its start, so that the file
  // name and line number stay.
  const times = [clock(e.time, true), clock(e.time)].filter((t, i, a) => t && a.indexOf(t) === i);
  const notes = note ? [` (${note.shown} of ${note.of}, e: all)`, ` (${note.shown}/${note.of})`] : [''];
  const build = (s: string, t: string, n: string): Row => [seg(s + at, { fg: 'cyan' }), seg(t ? `  ${t}` : '', { dim: true }), seg(extra + n, { dim: true })];
  for (const t of times.length ? times : ['']) {
    for (const n of notes) {
      const row = build(src, t, n);
      if (rowWidth(row) <= w) return row;
    }
  }
  const t = times[times.length - 1] ?? '';
  const n = notes[notes.length - 1];
  const room = w - strWidth(at) - (t ? t.length + 2 : 0) - strWidth(extra + n);
  return truncateRow(build(room >= 8 ? '…' + tailByWidth(src, room - 1) : '', t, n), w);
}

/** The evidence record shown collapsed: the most recent one that carries a match. */
export function keyEvidence(d: Diagnosis): Evidence | undefined {
  for (let i = d.evidence.length - 1; i >= 0; i--) if (d.evidence[i].match) return d.evidence[i];
  return d.evidence[d.evidence.length - 1];
}

function metaRow(d: Diagnosis, w: number, today?: string): Row {
  const sev = SEVERITY[d.severity];
  // Times alone only when first, last and today are one day (a recording spanning days shows dates).
  const first = isoDay(d.firstSeen);
  const last = isoDay(d.lastSeen);
  return fitPieces(
    [
      { full: [seg(`${d.severity} ${d.kind}`, { fg: sev.bg, bold: true })], short: [seg(d.severity, { fg: sev.bg, bold: true })], prio: 50 },
      { full: [seg(`confidence ${confidence(d.confidence)}`)], short: [seg(`conf ${confidence(d.confidence)}`)], prio: 60 },
      { full: [seg(`seen ${compactNum(d.occurrences)}×`)], short: [seg(`${compactNum(d.occurrences)}×`)], prio: 40 },
      ...(d.firstSeen ? [{ full: [seg(`first ${clock(d.firstSeen, true)}`, { dim: true })], short: [seg(`first ${clockDated(d.firstSeen, [last, today])}`, { dim: true })], prio: 20 }] : []),
      ...(d.lastSeen && d.lastSeen !== d.firstSeen
        ? [{ full: [seg(`last ${clock(d.lastSeen, true)}`, { dim: true })], short: [seg(`last ${clockDated(d.lastSeen, [first, today])}`, { dim: true })], prio: 30 }]
        : []),
    ],
    w,
  );
}

/** A command in lines of at most `w` cells that still paste as one: broken at spaces, each line but
 *  the last ending in a shell line continuation (" \\"); only a word longer than a line is cut. */
/** The summary as the detail shows it: the engine's summary ends with the likely cause for reports;
 *  here the Likely row says it. */
function shownSummary(d: Diagnosis): string {
  const at = d.likelyCause ? d.summary.indexOf(`${LIKELY_CAUSE}${d.likelyCause} (`) : -1;
  return at >= 0 ? d.summary.slice(0, at) : d.summary;
}

export function wrapCommand(cmd: string, w: number): string[] {
  if (strWidth(cmd) <= w) return [cmd];
  const room = Math.max(4, w - 2);
  const out: string[] = [];
  let cur = '';
  for (const word of cmd.split(' ')) {
    const next = cur ? `${cur} ${word}` : word;
    if (strWidth(next) <= room) { cur = next; continue; }
    if (cur) out.push(cur);
    if (strWidth(word) <= room) { cur = word; continue; }
    const parts = hardWrap(word, room);
    out.push(...parts.slice(0, -1));
    cur = parts[parts.length - 1];
  }
  if (cur) out.push(cur);
  return out.map((l, i) => (i < out.length - 1 ? `${l} \\` : l));
}

function remediationRows(d: Diagnosis, w: number, full: boolean): Row[] {
  const inner = w - GUTTER;
  const rows: Row[] = [];
  d.remediation.forEach((step, i) => {
    const [text, ...rest] = step.split('\n');
    const num = `${i + 1}. `;
    const textLines = full ? wrapWords(sanitize(text), inner - num.length) : limitLines(wrapWords(sanitize(text), inner - num.length), 1, inner - num.length);
    textLines.forEach((l, k) => rows.push([seg(k === 0 ? num : ' '.repeat(num.length)), seg(l)]));
    for (const c of rest) {
      const cmd = sanitize(c.replace(/^\s*\$\s?/, ''));
      if (!cmd.trim()) continue;
      const pre = ' '.repeat(num.length) + '$ ';
      if (!full) rows.push([seg(pre, { dim: true }), seg(truncate(cmd, inner - pre.length), { fg: 'green' })]);
      else {
        wrapCommand(cmd, inner - pre.length).forEach((l, k) =>
          rows.push([seg(k === 0 ? pre : ' '.repeat(pre.length), { dim: true }), seg(l, { fg: 'green' })]),
        );
      }
    }
  });
  // no longer current: the steps are for when it comes back, not for now
  return gutter(d.resolved ? 'Later' : 'Do', rows, w);
}

function referenceRows(d: Diagnosis, w: number, full: boolean): Row[] {
  if (!d.references.length) return [];
  const inner = w - GUTTER;
  if (!full) {
    const more = d.references.length > 1 ? ` (+${d.references.length - 1} more)` : '';
    return gutter('Refs', [[seg(truncate(sanitize(d.references[0]), Math.max(8, inner - more.length)), { underline: true }), seg(more, { dim: true })]], w);
  }
  const rows: Row[] = [];
  for (const r of d.references) for (const l of hardWrap(sanitize(r), inner)) rows.push([seg(l, { underline: true })]);
  return gutter('Refs', rows, w);
}

function diagnosisRows(d: Diagnosis, w: number, full: boolean, caps: Caps = full ? FULL : COLLAPSED, today?: string): Row[] {
  const inner = w - GUTTER;
  const rows: Row[] = [];
  const title = sanitize(d.title);
  if (full) for (const l of wrapWords(title, w)) rows.push([seg(l, { bold: true })]);
  else rows.push([seg(truncate(title, w), { bold: true })]);
  rows.push(metaRow(d, w, today));
  // no longer current: said before anything else about it (two lines at most)
  if (d.resolved) rows.push(...prose(notSeenSince(d.resolved, true), w, 2, { fg: 'green', bold: true }));
  if (d.sinceBoot) rows.push(...prose(sinceBootText(d, true), w, 2, { dim: true }));
  rows.push(...prose(shownSummary(d), w - 2, caps.summary).map((r) => [seg('  '), ...r]));
  if (d.likelyCause) rows.push(...gutter('Likely', [[seg('caused by '), seg(d.likelyCause, { bold: true })]], w));
  rows.push(...gutter('Cause', prose(d.rootCause, inner, caps.cause), w));
  if (full && d.notThis) rows.push(...gutter('Not it', prose(d.notThis, inner, Infinity), w));
  if (full && d.factors.length) {
    const f: Row[] = [];
    for (const x of d.factors) {
      const sign = x.add >= 0 ? '+' : '';
      const lines = wrapWords(`${sign}${x.add.toFixed(2)} ${sanitize(x.because)}`, inner);
      for (const l of lines) f.push([seg(l)]);
      const facts = x.facts.map((k) => `${k.name} = ${k.value} (${k.source})`).join('; ');
      if (facts) for (const l of wrapWords(sanitize(facts), inner - 2)) f.push([seg('  ' + l, { dim: true })]);
    }
    rows.push(...gutter('Conf', f, w));
  }
  const shown = full ? d.evidence.slice(-3) : [keyEvidence(d)].filter((e): e is Evidence => !!e);
  if (shown.length) {
    const ev: Row[] = [];
    const note = d.evidence.length > shown.length ? { shown: shown.length, of: d.evidence.length } : undefined;
    shown.forEach((e, i) => {
      ev.push(evidenceHead(e, inner, i === 0 ? note : undefined));
      ev.push(...evidenceTextRows(e, inner, false));
    });
    rows.push(...gutter('Seen', ev, w));
  }
  if (d.remediation.length) rows.push(...remediationRows(d, w, full));
  rows.push(...referenceRows(d, w, full));
  return rows;
}

function evidenceViewRows(d: Diagnosis, w: number, full: boolean): Row[] {
  const n = d.evidence.length;
  // Evidence keeps the first and the latest lines of each signal, not every occurrence: say so.
  const kept = d.occurrences > n ? ` (kept of ${d.occurrences} seen)` : '';
  const rows: Row[] = [truncateRow([seg(`${n} evidence line${n === 1 ? '' : 's'}${kept}`, { bold: true }), seg(` for ${d.id}`, { dim: true })], w)];
  if (!n) rows.push([seg('  (this diagnosis rests on facts only)', { dim: true })]);
  for (const e of d.evidence) {
    rows.push(evidenceHead(e, w));
    rows.push(...evidenceTextRows(e, w - 2, full).map((r) => [seg('  '), ...r]));
  }
  return rows;
}

/** Every row of the detail for `d`, each within `width` cells. */
export function detailRows(d: Diagnosis, o: DetailOptions): Row[] {
  const w = Math.max(GUTTER + 8, o.width);
  let rows: Row[];
  if (o.evidence) rows = evidenceViewRows(d, w, o.expanded);
  else if (o.expanded) rows = diagnosisRows(d, w, true, FULL, o.today);
  else {
    rows = diagnosisRows(d, w, false, COLLAPSED, o.today);
    let spare = (o.height ?? 0) - rows.length;
    if (spare > 0) {
      // Room to spare: give it to the summary, then to the root cause.
      const caps = { ...COLLAPSED };
      const summary = wrapWords(sanitize(shownSummary(d)), w - 2).length;
      const cause = wrapWords(sanitize(d.rootCause), w - GUTTER).length;
      const s = Math.min(spare, Math.max(0, summary - caps.summary));
      caps.summary += s;
      spare -= s;
      caps.cause += Math.min(spare, Math.max(0, cause - caps.cause));
      if (caps.summary !== COLLAPSED.summary || caps.cause !== COLLAPSED.cause) rows = diagnosisRows(d, w, false, caps, o.today);
    }
  }
  return o.width < w ? rows.map((r) => truncateRow(r, o.width)) : rows;
}

/** First row index that still shows a full window (the last row of the window is the scroll hint). */
export function maxScroll(total: number, height: number): number {
  return total > height ? Math.max(0, total - (height - 1)) : 0;
}

export interface DetailProps {
  rows: Row[];
  height: number;
  scroll: number;
  width: number;
  expanded: boolean;
  color: boolean;
}

/** Memoised: a store tick that changes only counters or ages does not lay the detail out again. */
export const Detail = memo(function Detail({ rows, height, scroll, width, expanded, color }: DetailProps): ReactNode {
  if (height <= 0) return null;
  let shown: Row[];
  if (rows.length <= height) shown = rows;
  else {
    const from = Math.min(Math.max(0, scroll), maxScroll(rows.length, height));
    const body = rows.slice(from, from + height - 1);
    const below = rows.length - from - body.length;
    const hint = below > 0
      ? fitPieces(
          [
            { full: [seg(`… ${below} more row${below === 1 ? '' : 's'}`, { dim: true })], short: [seg(`… +${below}`, { dim: true })], prio: 50 },
            ...(expanded ? [] : [{ full: [seg('enter', { bold: true }), seg(' full detail', { dim: true })], short: [seg('⏎', { bold: true }), seg(' more', { dim: true })], prio: 40 }]),
            { full: [seg('space', { bold: true }), seg('/', { dim: true }), seg('b', { bold: true }), seg(' scroll', { dim: true })], prio: 30 },
          ],
          width,
          seg('  '),
        )
      : truncateRow([seg(`— end — `, { dim: true }), seg('b', { bold: true }), seg(' scroll up', { dim: true })], width);
    shown = [...body, hint];
  }
  return (
    <Box flexDirection="column">
      <Lines rows={shown} color={color} />
    </Box>
  );
});
