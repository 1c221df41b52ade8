// The key hints at the bottom, shortened or left out as the pane narrows.
import { memo, type ReactNode } from 'react';
import { Line, fitPieces, seg, type Piece, type Row } from './Line.js';

export interface FooterProps {
  width: number;
  expanded: boolean;
  evidence: boolean;
  paused: boolean;
  help: boolean;
  /** the detail has more rows than fit */
  scrollable: boolean;
  hasDiagnoses: boolean;
  color: boolean;
}

function key(k: string, label: string, prio: number, short?: [string, string]): Piece {
  return {
    full: [seg(k, { bold: true }), seg(' ' + label, { dim: true })],
    short: short ? [seg(short[0], { bold: true }), seg(short[1] ? ' ' + short[1] : '', { dim: true })] : undefined,
    prio,
  };
}

export function footerRow(p: FooterProps): Row {
  const pieces: Piece[] = [];
  if (p.help) return fitPieces([key('any key', 'closes the help', 70, ['any key', 'closes']), key('q', 'quit', 80)], p.width, seg('  '));
  if (p.hasDiagnoses) {
    pieces.push(key('↑↓/jk', 'select', 60, ['jk', 'sel']));
    pieces.push(key('enter', p.expanded ? 'collapse' : 'expand', 50, ['⏎', p.expanded ? 'less' : 'more']));
    pieces.push(key('e', p.evidence ? 'detail' : 'evidence', 40, ['e', p.evidence ? 'detail' : 'evid']));
    if (p.scrollable) pieces.push(key('space/b', 'scroll', 20, ['spc/b', '']));
  }
  pieces.push(key('p', p.paused ? 'resume' : 'pause', 55, ['p', p.paused ? 'run' : 'pause']));
  pieces.push(key('?', 'help', 65));
  pieces.push(key('q', 'quit', 80));
  return fitPieces(pieces, p.width, seg('  '));
}

export const Footer = memo(function Footer(p: FooterProps): ReactNode {
  return <Line row={footerRow(p)} color={p.color} />;
});
