// Status at the top: what is followed, how much was read and how fast, whether the scanner keeps up,
// pause and replay state, the node's key facts, and one line for the sources' newest problem (or, when none, their newest routine event, dim).
import { Box } from 'ink';
import type { ReactNode } from 'react';
import type { LiveFact, LiveModel, LiveNote } from '../present/live-model.js';
import { coarse, compactNum, groupNum } from '../present/format.js';
import { headByWidth, sanitize, strWidth, tailByWidth, truncate } from '../present/text.js';
import { Lines, fitPieces, seg, truncateRow, type Piece, type Row } from './Line.js';

export type HeaderProps = Pick<
  LiveModel,
  'sources' | 'lines' | 'linesPerSec' | 'keepingUp' | 'backlog' | 'paused' | 'mode' | 'speed' | 'facts' | 'notes' | 'upFor' | 'now' | 'finished'
> & { width: number; color: boolean; /** one row only: a very short pane */ compact?: boolean };

/** Rows the header takes for this model. */
export function headerHeight(p: Pick<LiveModel, 'notes'>, compact = false): number {
  return compact ? 1 : 2 + (p.notes.length ? 1 : 0);
}

/** What is read. A replay's one recording is what the pane is about: its name is shortened after the
 *  counts are, and a name cut short takes whatever room the row has left. */
function sourcesPiece(sources: string[], replay: boolean): Piece {
  if (!sources.length) return { full: [seg('no sources', { fg: 'yellow' })], prio: 50 };
  const more = sources.length > 1 ? ` +${sources.length - 1}` : '';
  const first = sanitize(sources[0]);
  const one = sources.length === 1;
  return {
    full: [seg(first), seg(more, { dim: true })],
    short: [seg(one ? truncate(first, 18) : `${sources.length} sources`)],
    grow: one ? (cells) => [seg(truncate(first, cells))] : undefined,
    prio: replay ? 88 : 50,
  };
}

function speedText(speed: number | undefined): string {
  if (speed === undefined) return '';
  return `×${Number.isInteger(speed) ? speed : speed.toFixed(1)}`;
}

export function statusRow(p: HeaderProps): Row {
  const pieces: Piece[] = [];
  if (p.paused) pieces.push({ full: [seg('[PAUSED]', { inverse: true, bold: true, fg: 'yellow' })], prio: 100 });
  pieces.push({ full: [seg('cni-doctor', { bold: true, fg: 'cyan' })], prio: 1, optional: true });
  if (p.mode === 'replay') {
    // The mode once (the sources list names the recording only); when it has played to its end, say so.
    const sp = speedText(p.speed);
    if (p.finished) pieces.push({ full: [seg('replay done', { bold: true, fg: 'green' })], short: [seg('done', { bold: true, fg: 'green' })], prio: 95 });
    else pieces.push({ full: [seg(`replay${sp ? ' ' + sp : ''}`, { fg: 'magenta' })], short: sp ? [seg('replay', { fg: 'magenta' })] : undefined, prio: 86 });
  } else if (p.finished) {
    pieces.push({ full: [seg('input ended', { bold: true, fg: 'yellow' })], short: [seg('ended', { bold: true, fg: 'yellow' })], prio: 95 });
  }
  pieces.push(sourcesPiece(p.sources, p.mode === 'replay'));
  pieces.push({ full: [seg(`${groupNum(p.lines)} lines`)], short: [seg(`${compactNum(p.lines)} ln`)], prio: 70 });
  // Nothing more is read once the input has ended: no rate, no "keeping up".
  if (p.finished) {
    pieces.push({ full: [seg(`up ${coarse(p.upFor)}`, { dim: true })], prio: 5, optional: true });
    return fitPieces(pieces, p.width);
  }
  pieces.push({ full: [seg(`${compactNum(p.linesPerSec)} lines/s`)], short: [seg(`${compactNum(p.linesPerSec)}/s`)], prio: 60 });
  if (p.keepingUp) pieces.push({ full: [seg('keeping up', { fg: 'green' })], short: [seg('ok', { fg: 'green' })], prio: 85 });
  else {
    pieces.push({
      full: [seg(`behind (${groupNum(p.backlog)} queued)`, { bold: true, fg: 'yellow' })],
      short: [seg(`behind ${compactNum(p.backlog)}`, { bold: true, fg: 'yellow' })],
      prio: 90,
    });
  }
  pieces.push({ full: [seg(`up ${coarse(p.upFor)}`, { dim: true })], prio: 5, optional: true });
  return fitPieces(pieces, p.width);
}

function onOff(v: string): string {
  const t = v.trim().toLowerCase();
  if (['true', '1', 'yes', 'on', 'enabled'].includes(t)) return 'on';
  if (['false', '0', 'no', 'off', 'disabled'].includes(t)) return 'off';
  return v;
}

export function factsRow(facts: Record<string, LiveFact>, width: number): Row {
  const pieces: Piece[] = [];
  const f = (name: string): string | undefined => {
    // A value one of several nodes gave is not this node's: the header shows no value rather than it.
    const v = facts[name]?.used === false ? undefined : facts[name]?.value;
    return v === undefined || v === '' ? undefined : sanitize(v);
  };
  const kernel = f('kernel.release');
  const ipv6 = f('ipv6.enabled');
  const mk8s = f('microk8s.version');
  const calico = f('calico.version');
  if (kernel) pieces.push({ full: [seg('kernel ', { dim: true }), seg(kernel, { bold: true })], short: [seg(kernel, { bold: true })], prio: 40 });
  if (ipv6) pieces.push({ full: [seg('ipv6 ', { dim: true }), seg(onOff(ipv6))], short: [seg('v6 ', { dim: true }), seg(onOff(ipv6))], prio: 30 });
  if (mk8s) pieces.push({ full: [seg('microk8s ', { dim: true }), seg(mk8s)], short: [seg('mk8s ', { dim: true }), seg(mk8s)], prio: 20 });
  if (calico) pieces.push({ full: [seg('calico ', { dim: true }), seg(calico)], short: [seg('cal ', { dim: true }), seg(calico)], prio: 10 });
  if (!pieces.length) return truncateRow([seg('no node facts seen yet', { dim: true })], width);
  return fitPieces(pieces, width, seg('  '));
}

/** A note cut to `w` cells: a long path gives up its middle before the event loses its words
 *  (`/var/log/pods/kube…/calico-node/0.log: rotated, …`, not `/var/log/pods/kube-system_calico-node-abc12_1/calico-node/0.log: r…`). */
export function fitNote(text: string, w: number): string {
  if (strWidth(text) <= w) return text;
  const cut = text.indexOf(': ');
  if (cut <= 0) return truncate(text, w);
  const subject = text.slice(0, cut);
  const rest = text.slice(cut);
  // the subject keeps at least its last 24 cells (a file's name) and the event at least 24
  const room = w - Math.min(strWidth(rest), Math.max(24, w - strWidth(subject)));
  if (room < 12) return truncate(text, w);
  const tail = Math.min(strWidth(subject), Math.max(Math.floor(room * 0.6), 1));
  const head = room - tail - 1;
  const short = head > 0 && strWidth(subject) > room ? `${headByWidth(subject, head)}…${tailByWidth(subject, tail)}` : subject;
  return truncate(short + rest, w);
}

export function noteRow(notes: LiveNote[], width: number): Row | undefined {
  if (!notes.length) return undefined;
  // The newest problem is the one to act on, however many rotations came after it; a routine event
  // is shown dim, and only while there is no problem. A problem a later note of the same source
  // settles ("waiting for it", then "appeared"; "permission denied", then "readable now") is over.
  const subject = (n: LiveNote): string => n.text.slice(0, Math.max(0, n.text.indexOf(': ')));
  const problems = notes.filter((n, i) => !n.routine && !(subject(n) && notes.slice(i + 1).some((m) => m.routine && subject(m) === subject(n))));
  const of = problems.length ? problems : notes;
  const shown = of[of.length - 1];
  const more = of.length > 1 ? ` (+${of.length - 1} earlier)` : '';
  const text = fitNote(sanitize(shown.text).replace(/\s+/g, ' '), Math.max(1, width - 2 - more.length));
  return shown.routine
    ? truncateRow([seg('· ', { dim: true }), seg(text, { dim: true }), seg(more, { dim: true })], width)
    : truncateRow([seg('! ', { bold: true, fg: 'yellow' }), seg(text, { fg: 'yellow' }), seg(more, { dim: true })], width);
}

export function Header(p: HeaderProps): ReactNode {
  const rows: Row[] = [statusRow(p)];
  if (!p.compact) {
    rows.push(factsRow(p.facts, p.width));
    const prob = noteRow(p.notes, p.width);
    if (prob) rows.push(prob);
  }
  return (
    <Box flexDirection="column">
      <Lines rows={rows} color={p.color} />
    </Box>
  );
}
