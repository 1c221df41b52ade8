// One terminal row built from styled segments. Every view lays its text out into rows that already
// fit the width (see text.ts); `truncate-end` is only a backstop for characters whose width we misjudge.
import { Text } from 'ink';
import type { ReactNode } from 'react';

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

export function rowText(row: Row): string {
  return row.map((s) => s.text).join('');
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
