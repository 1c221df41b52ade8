// One terminal row built from styled segments. Every view lays its text out into rows that already
// fit the width (see text.ts); `truncate-end` is only a backstop for characters whose width we misjudge.
import { Text } from 'ink';
import type { ReactNode } from 'react';
import { headByWidth, strWidth } from '../present/text.js';

export interface Seg {
  text: string;
  bold?: boolean;
  dim?: boolean;
  inverse?: boolean;
  underline?: boolean;
  /** foreground / background colour; dropped when colour is off */
  fg?: string;
  bg?: string;
}

export type Row = Seg[];

export function seg(text: string, style: Omit<Seg, 'text'> = {}): Seg {
  return { text, ...style };
}

export function Line({ row, color }: { row: Row; color: boolean }): ReactNode {
  const segs = row.filter((s) => s.text);
  if (!segs.length) return <Text> </Text>;
  return (
    <Text wrap="truncate-end">
      {segs.map((s, i) => (
        <Text
          key={i}
          bold={s.bold}
          dimColor={s.dim}
          inverse={s.inverse}
          underline={s.underline}
          color={color ? s.fg : undefined}
          backgroundColor={color ? s.bg : undefined}
        >
          {s.text}
        </Text>
      ))}
    </Text>
  );
}

export function Lines({ rows, color }: { rows: Row[]; color: boolean }): ReactNode {
  return rows.map((r, i) => <Line key={i} row={r} color={color} />);
}

export function rowWidth(row: Row): number {
  return row.reduce((a, s) => a + strWidth(s.text), 0);
}

/** The row cut to `w` cells, ending in "…" when something was cut. */
export function truncateRow(row: Row, w: number): Row {
  if (rowWidth(row) <= w) return row;
  const out: Row = [];
  let left = w - 1;
  for (const s of row) {
    if (left <= 0) break;
    const t = headByWidth(s.text, left);
    if (t) out.push({ ...s, text: t });
    left -= strWidth(t);
    if (t.length < s.text.length) break;
  }
  out.push({ text: '…', dim: true });
  return out;
}

/** A piece of a status row: its full and short forms, and how much it matters (higher stays longer).
 *  An `optional` piece is left out before anything more important is shortened. */
export interface Piece {
  full: Row;
  short?: Row;
  prio: number;
  optional?: boolean;
  /** a form in at most `cells` cells (no narrower than `short`): once the row fits, a shortened piece
   *  with `grow` takes the room left over (a long name cut no more than it must be) */
  grow?: (cells: number) => Row;
}

/** Pieces joined by a separator in `w` cells. Going up from the least important piece, optional ones
 *  are left out and the others take their short form until the row fits; failing that the least
 *  important are left out, and only then is the row truncated. Never wider than `w`. */
export function fitPieces(pieces: Piece[], w: number, sep: Seg = { text: ' · ', dim: true }): Row {
  const state = pieces.map((p) => ({ p, form: p.full, dropped: false }));
  const build = (): Row => {
    const out: Row = [];
    for (const s of state) {
      if (s.dropped) continue;
      if (out.length) out.push(sep);
      out.push(...s.form);
    }
    return out;
  };
  const byPrio = [...state].sort((a, b) => a.p.prio - b.p.prio);
  const grown = (): Row => {
    for (const s of byPrio) {
      if (s.dropped || !s.p.grow || s.form === s.p.full) continue;
      const room = w - rowWidth(row);
      if (room <= 0) break;
      const form = rowWidth(s.p.full) <= rowWidth(s.form) + room ? s.p.full : s.p.grow(rowWidth(s.form) + room);
      if (rowWidth(form) > rowWidth(s.form) && rowWidth(form) <= rowWidth(s.form) + room) {
        s.form = form;
        row = build();
      }
    }
    return row;
  };
  let row = build();
  for (const s of byPrio) {
    if (rowWidth(row) <= w) return grown();
    if (s.p.optional) s.dropped = true;
    else if (s.p.short) s.form = s.p.short;
    else continue;
    row = build();
  }
  for (const s of byPrio) {
    if (rowWidth(row) <= w) return grown();
    if (s.dropped) continue;
    if (state.filter((x) => !x.dropped).length <= 1) break;
    s.dropped = true;
    row = build();
  }
  return truncateRow(row, w);
}
