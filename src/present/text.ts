// Terminal-cell text helpers for every view (the live UI, the text report): width, truncation with "…", word and hard wrapping,
// and clipping a long log line around its matched text. Pure functions; no Ink, no React.
import { eastAsianWidth } from 'get-east-asian-width';

/** Cells a code point takes in a terminal: 0 for controls, combining marks and zero-width
 *  characters, else what Unicode's East Asian Width says (2 for wide and fullwidth, emoji included).
 *  VS16 (U+FE0F) asks for the emoji presentation of the narrow symbol before it (⚠️), which
 *  terminals draw 2 cells wide: it counts the missing cell. */
export function charWidth(cp: number): number {
  if (cp < 0x20 || (cp >= 0x7f && cp < 0xa0)) return 0;
  if ((cp >= 0x300 && cp <= 0x36f) || (cp >= 0x200b && cp <= 0x200f) || (cp >= 0xfe00 && cp <= 0xfe0e)) return 0;
  if (cp === 0xfe0f) return 1;
  return eastAsianWidth(cp);
}

export function strWidth(s: string): number {
  let w = 0;
  for (const ch of s) w += charWidth(ch.codePointAt(0)!);
  return w;
}

/** Log text may carry tabs, escape sequences or other controls; a terminal must not interpret them.
 *  Each UTF-16 unit maps to exactly one unit, so match offsets stay valid. */
export function sanitize(s: string, keepNewlines = false): string {
  // Bidirectional embeddings, overrides and isolates (U+202A–202E, U+2066–2069) would reorder the
  // text around them on screen: shown as ? like the other controls.
  // eslint-disable-next-line no-control-regex
  return s.replace(/[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]/g, (c) => (c === '\t' ? ' ' : keepNewlines && c === '\n' ? c : '?'));
}

/** The longest prefix of `s` that fits in `w` cells. */
export function headByWidth(s: string, w: number): string {
  if (w <= 0) return '';
  let out = '';
  let used = 0;
  for (const ch of s) {
    const cw = charWidth(ch.codePointAt(0)!);
    if (used + cw > w) break;
    out += ch;
    used += cw;
  }
  return out;
}

/** The longest suffix of `s` that fits in `w` cells. */
export function tailByWidth(s: string, w: number): string {
  if (w <= 0) return '';
  const chars = [...s];
  let used = 0;
  let i = chars.length;
  while (i > 0) {
    const cw = charWidth(chars[i - 1].codePointAt(0)!);
    if (used + cw > w) break;
    used += cw;
    i--;
  }
  return chars.slice(i).join('');
}

/** `s` cut to `w` cells, ending in "…" when something was cut. */
export function truncate(s: string, w: number): string {
  if (w <= 0) return '';
  if (strWidth(s) <= w) return s;
  return headByWidth(s, w - 1) + '…';
}

/** Ends `s` with "…" (to say "there is more") while keeping it within `w` cells. */
export function withEllipsis(s: string, w: number): string {
  const t = s.replace(/[\s…]+$/, '');
  return strWidth(t) + 1 <= w ? t + '…' : headByWidth(t, w - 1) + '…';
}

/** Chunks of at most `w` cells, cut anywhere (log lines, commands, URLs). */
export function hardWrap(s: string, w: number): string[] {
  if (w <= 0) return [];
  const out: string[] = [];
  let cur = '';
  let used = 0;
  for (const ch of s) {
    const cw = charWidth(ch.codePointAt(0)!);
    if (used + cw > w && cur) {
      out.push(cur);
      cur = '';
      used = 0;
    }
    cur += ch;
    used += cw;
  }
  if (cur || !out.length) out.push(cur);
  return out;
}

/** Prose wrapped at word boundaries into lines of at most `w` cells; whitespace runs collapse. */
export function wrapWords(text: string, w: number): string[] {
  if (w <= 0) return [];
  const words = text.trim().split(/\s+/).filter(Boolean);
  const out: string[] = [];
  let cur = '';
  for (const word of words) {
    const ww = strWidth(word);
    if (!cur) {
      if (ww <= w) cur = word;
      else {
        const parts = hardWrap(word, w);
        out.push(...parts.slice(0, -1));
        cur = parts[parts.length - 1];
      }
    } else if (strWidth(cur) + 1 + ww <= w) {
      cur += ' ' + word;
    } else {
      out.push(cur);
      if (ww <= w) cur = word;
      else {
        const parts = hardWrap(word, w);
        out.push(...parts.slice(0, -1));
        cur = parts[parts.length - 1];
      }
    }
  }
  if (cur) out.push(cur);
  return out;
}

/** At most `max` lines; when lines were dropped the last kept one ends in "…". */
export function limitLines(lines: string[], max: number, w: number): string[] {
  if (max <= 0) return [];
  if (lines.length <= max) return lines;
  const kept = lines.slice(0, max);
  kept[max - 1] = withEllipsis(kept[max - 1], w);
  return kept;
}

export interface Part { text: string; hit: boolean }

/** One line of log text in `w` cells, the window placed so that the matched range stays visible;
 *  "…" marks cut text on either side. `match` is [start, end) in UTF-16 units of `text`. */
export function clipAround(text: string, match: [number, number] | undefined, w: number): Part[] {
  if (w <= 0) return [];
  if (!match || match[1] <= match[0] || match[0] < 0 || match[0] >= text.length) {
    return [{ text: truncate(text, w), hit: false }];
  }
  const [s, e] = [match[0], Math.min(match[1], text.length)];
  const prefix = text.slice(0, s);
  const hit = text.slice(s, e);
  const suffix = text.slice(e);
  const parts = (pre: string, h: string, post: string): Part[] =>
    [{ text: pre, hit: false }, { text: h, hit: true }, { text: post, hit: false }].filter((p) => p.text);
  if (strWidth(text) <= w) return parts(prefix, hit, suffix);
  const hw = strWidth(hit);
  // The match alone does not fit: keep both of its ends (a regex's distinctive literal is often at
  // the end, its context at the start), joined by a highlighted "…".
  if (hw >= w - 1) {
    const lead = prefix ? '…' : '';
    const room = w - lead.length;
    if (room < 5) return parts(lead, truncate(hit, room), '');
    const head = headByWidth(hit, Math.floor((room - 1) / 3));
    return parts(lead, head + '…' + tailByWidth(hit, room - 1 - strWidth(head)), '');
  }
  const pw = strWidth(prefix);
  let pre: string;
  if (pw + hw <= w - 1 || pw + hw + strWidth(suffix) <= w) pre = prefix;
  else {
    // Keep up to a third of the spare room as left context, the rest for what follows the match.
    const room = Math.max(1, Math.floor((w - hw) / 3));
    pre = '…' + tailByWidth(prefix, room - 1);
  }
  const post = truncate(suffix, w - strWidth(pre) - hw);
  return parts(pre, hit, post);
}

/** Log text wrapped at `w` cells with the matched range marked on every line it spans. A line breaks
 *  after its last space (a word is not cut: "iptables-res" / "tore"); only a run without a space
 *  wider than `w` is cut anywhere. A space the break falls on is not carried to the next line. */
export function wrapAround(text: string, match: [number, number] | undefined, w: number): Part[][] {
  if (w <= 0) return [];
  const [s, e] = match && match[1] > match[0] ? match : [-1, -1];
  const chars: { ch: string; cw: number; at: number }[] = [];
  let at = 0;
  for (const ch of text) {
    chars.push({ ch, cw: charWidth(ch.codePointAt(0)!), at });
    at += ch.length;
  }
  // Each line as [from, to) over chars.
  const spans: [number, number][] = [];
  let start = 0;
  let used = 0;
  /** the last space of the current line with something before it */
  let space = -1;
  for (let k = 0; k < chars.length; k++) {
    const c = chars[k];
    if (used + c.cw > w && used > 0) {
      if (c.ch === ' ') {
        // The break falls on a space: it ends the line and is not shown.
        spans.push([start, k]);
        start = k + 1;
        used = 0;
        space = -1;
        continue;
      }
      const cut = space > start ? space + 1 : k;
      spans.push([start, cut]);
      start = cut;
      used = 0;
      for (let j = cut; j < k; j++) used += chars[j].cw;
      space = -1;
    }
    if (c.ch === ' ' && k > start) space = k;
    used += c.cw;
  }
  if (start < chars.length || !spans.length) spans.push([start, chars.length]);
  return spans.map(([from, to]) => {
    const line: Part[] = [];
    for (let k = from; k < to; k++) {
      const { ch, at: i } = chars[k];
      const hit = i >= s && i < e;
      const last = line[line.length - 1];
      if (last && last.hit === hit) last.text += ch;
      else line.push({ text: ch, hit });
    }
    return line;
  });
}
