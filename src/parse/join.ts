// Multi-line records: a klog `err=<` … `>` block (each line its own journal entry), CRI `P` partial
// chunks closed by `F`, and raw continuation lines under a stamped line (felix error values, panics).
// Works on a byte window of a stream so the bulk scanner can assemble a record around a literal hit.
import type { Format } from '../catalog/schema.js';
import { parseLine, STAMPED, isStamped, type ParsedLine } from './formats.js';
import type { TimeContext } from './time.js';

export const MAX_RECORD_LINES = 400;
export const MAX_RECORD_BYTES = 1 << 20;

export interface LogRecord {
  format: Format;
  time?: number;
  host?: string;
  unit?: string;
  level?: string;
  /** the unwrapped message; continuation lines joined with \n, CRI partials joined without */
  message: string;
  /** line count of the record (1 for a single line) */
  lines: number;
  truncated?: boolean;
}

export interface Window {
  buf: Buffer;
  /** first byte that may be read (older context was dropped) */
  lo: number;
  /** end of the readable bytes */
  hi: number;
  /** no more data will come after hi */
  final: boolean;
  format: Format | undefined;
  ctx: TimeContext;
}

export interface Assembled {
  start: number;
  /** end of the last line, excluding its newline */
  end: number;
  /** false when the record may continue past `hi`: wait for more data */
  complete: boolean;
  parsed: ParsedLine[];
  truncated: boolean;
}

const BLOCK_OPEN = /=<\s*$/;
const BLOCK_LINE = /^(?:\t| {2,}\S)/;
// klog closes a block with ` >`, and may go on with more key/values on the same line.
const BLOCK_CLOSE = /^\s*>(?:\s.*)?$/;

class Lines {
  constructor(private w: Window) {}
  /** end of the line starting at s, or -1 if it runs past hi and more data may come */
  endOf(s: number): number {
    const e = this.w.buf.indexOf(10, s);
    if (e === -1 || e >= this.w.hi) return this.w.final ? this.w.hi : -1;
    return e;
  }
  prevStart(s: number): number {
    if (s <= this.w.lo) return -1;
    // s - 2 < 0 would make lastIndexOf search from the end of the buffer
    const p = s >= 2 ? this.w.buf.lastIndexOf(10, s - 2) : -1;
    return p < this.w.lo ? this.w.lo : p + 1;
  }
  text(s: number, e: number): string {
    let t = this.w.buf.toString('utf8', s, e);
    if (t.endsWith('\r')) t = t.slice(0, -1);
    return t;
  }
  /** `row` for an indented line starting with Normal or Warning (a describe event row's shape),
   *  `blank` for white space only, else `other` */
  describeRowLike(s: number, e: number): 'row' | 'blank' | 'other' {
    const b = this.w.buf;
    let i = s;
    while (i < e && (b[i] === 32 || b[i] === 9 || b[i] === 13)) i++;
    if (i >= e) return 'blank';
    if (i === s) return 'other';
    const word = b[i] === 0x4e ? 'Normal' : b[i] === 0x57 ? 'Warning' : '';
    return word && b.toString('latin1', i, i + word.length) === word ? 'row' : 'other';
  }
  parse(s: number, e: number): ParsedLine {
    return parseLine(this.text(s, e), this.w.format === 'cluster-info-dump' ? undefined : this.w.format, this.w.ctx);
  }
}

export function assemble(w: Window, hitStart: number): Assembled {
  const L = new Lines(w);
  const hitEnd = L.endOf(hitStart);
  if (hitEnd === -1) return { start: hitStart, end: w.hi, complete: false, parsed: [], truncated: false };
  const hit = L.parse(hitStart, hitEnd);

  const out = (start: number, end: number, parsed: ParsedLine[], complete = true, truncated = false): Assembled =>
    ({ start, end, complete, parsed, truncated });

  // CRI partials: walk back over P chunks, forward to the closing F.
  if (hit.format === 'cri') {
    const before: [number, ParsedLine][] = [];
    let s = hitStart;
    let bytes = hitEnd - hitStart;
    for (let p = L.prevStart(s); p !== -1 && before.length < MAX_RECORD_LINES && bytes < MAX_RECORD_BYTES; p = L.prevStart(p)) {
      const pl = L.parse(p, s - 1);
      if (pl.format !== 'cri' || !pl.partial) break;
      before.unshift([p, pl]);
      bytes += s - p;
      s = p;
    }
    const parsed = [...before.map(([, pl]) => pl), hit];
    let end = hitEnd;
    let cur = hit;
    let truncated = bytes >= MAX_RECORD_BYTES;
    while (cur.partial && !truncated) {
      if (end >= w.hi) return w.final ? out(s, end, parsed) : out(s, end, parsed, false);
      const ns = end + 1;
      const ne = L.endOf(ns);
      if (ne === -1) return out(s, end, parsed, false);
      const nl = L.parse(ns, ne);
      if (nl.format !== 'cri') break;
      parsed.push(nl);
      bytes += ne - ns;
      end = ne;
      cur = nl;
      if (parsed.length >= MAX_RECORD_LINES || bytes >= MAX_RECORD_BYTES) truncated = true;
    }
    return out(s, end, parsed, true, truncated);
  }

  // klog structured block: header ends with `=<`, value lines start with a tab, closed by ` >`.
  let blockStart = -1;
  let header: ParsedLine | undefined;
  if (BLOCK_OPEN.test(hit.msg)) {
    blockStart = hitStart;
    header = hit;
  } else if (BLOCK_LINE.test(hit.msg) || BLOCK_CLOSE.test(hit.msg)) {
    let s = hitStart;
    for (let n = 0; n < MAX_RECORD_LINES; n++) {
      const p = L.prevStart(s);
      if (p === -1) break;
      const pl = L.parse(p, s - 1);
      if (BLOCK_OPEN.test(pl.msg)) { blockStart = p; header = pl; break; }
      if (!BLOCK_LINE.test(pl.msg)) break;
      s = p;
    }
  }
  if (blockStart !== -1 && header) {
    const parsed: ParsedLine[] = [header];
    let end = L.endOf(blockStart);
    let truncated = false;
    for (;;) {
      if (end >= w.hi) return out(blockStart, end, parsed, w.final);
      const ns = end + 1;
      const ne = L.endOf(ns);
      if (ne === -1) return out(blockStart, end, parsed, false);
      const nl = L.parse(ns, ne);
      if (BLOCK_CLOSE.test(nl.msg)) { parsed.push(nl); end = ne; break; }
      if (!BLOCK_LINE.test(nl.msg)) break;
      parsed.push(nl);
      end = ne;
      if (parsed.length >= MAX_RECORD_LINES || end - blockStart >= MAX_RECORD_BYTES) { truncated = true; break; }
    }
    return out(blockStart, end, parsed, true, truncated);
  }

  // kubectl describe's Events table: a multi-line message (calico-node's readiness output, the
  // confd line then "calico/node is not ready: BIRD is not ready: …") goes on at column 0 under its
  // row, so the row, its `(x40 over 20m)` and the continuation lines are one event.
  const row = hit.format === 'describe-events' ? hitStart : hit.format === 'plain' ? describeRowAbove(L, hitStart) : -1;
  if (row !== -1) {
    const parsed: ParsedLine[] = row === hitStart ? [hit] : [L.parse(row, L.endOf(row))];
    let end = L.endOf(row);
    for (let n = 0; n < DESCRIBE_MORE; n++) {
      if (end >= w.hi) return out(row, end, parsed, w.final);
      const ns = end + 1;
      const ne = L.endOf(ns);
      if (ne === -1) return out(row, end, parsed, false);
      const t = L.text(ns, ne);
      // a blank line ends the object; the next row (or anything a format knows) starts its own record
      if (!t.trim() || parseLine(t, undefined, w.ctx).format !== 'plain') break;
      parsed.push({ format: 'plain', msg: t });
      end = ne;
    }
    if (row === hitStart || end >= hitEnd) return out(row, end, parsed);
  }

  // Raw continuation lines under a stamped line (felix `error=` values with newlines, Go panics).
  if (w.format && STAMPED.has(w.format)) {
    let s = hitStart;
    const parsed: ParsedLine[] = [hit];
    if (hit.format === 'plain') {
      for (let n = 0, p = L.prevStart(s); p !== -1 && n < 50; n++, p = L.prevStart(p)) {
        const t = L.text(p, s - 1);
        if (!t.trim()) break;
        const pl = L.parse(p, s - 1);
        parsed.unshift(pl);
        s = p;
        if (pl.format !== 'plain') break;
      }
      if (parsed[0].format === 'plain') return out(hitStart, hitEnd, [hit]); // no stamped head: a lone line
    }
    let end = hitEnd;
    for (let n = 0; n < 50; n++) {
      if (end >= w.hi) return out(s, end, parsed, w.final);
      const ns = end + 1;
      const ne = L.endOf(ns);
      if (ne === -1) return out(s, end, parsed, false);
      const t = L.text(ns, ne);
      // Only raw text continues a record: a line any format recognises starts its own.
      if (!t.trim() || isStamped(t, w.ctx) || parseLine(t, undefined, w.ctx).format !== 'plain') break;
      parsed.push({ format: 'plain', msg: t });
      end = ne;
    }
    return out(s, end, parsed);
  }
  return out(hitStart, hitEnd, [hit]);
}

/** lines of a describe event's message below its row */
const DESCRIBE_MORE = 20;

/** The start of the describe event row a raw line may continue, or -1: no blank line between them,
 *  at most DESCRIBE_MORE lines up. Looked at by bytes, since every raw candidate line of any file
 *  comes here (parsing 20 lines above each cost a bundle 8 %); the caller's walk down from the row
 *  checks that the lines between are raw. */
function describeRowAbove(L: Lines, s: number): number {
  for (let n = 0, p = L.prevStart(s); p !== -1 && n < DESCRIBE_MORE; n++, p = L.prevStart(p)) {
    const kind = L.describeRowLike(p, s - 1);
    if (kind === 'blank') return -1;
    if (kind === 'row') return L.parse(p, s - 1).format === 'describe-events' ? p : -1;
    s = p;
  }
  return -1;
}

/** Fold the physical lines of an assembled record into one record. */
export function toRecord(a: Assembled): LogRecord {
  const head = a.parsed[0];
  let message = head.msg;
  for (let i = 1; i < a.parsed.length; i++) {
    const prev = a.parsed[i - 1];
    message += (prev.format === 'cri' && prev.partial ? '' : '\n') + a.parsed[i].msg;
  }
  return {
    format: head.format, time: head.time, host: head.host, unit: head.unit, level: head.level,
    message, lines: a.parsed.length, truncated: a.truncated || undefined,
  };
}

/** True when no record can span the boundary between these two consecutive lines: `line` starts a
 *  record of its own, whatever comes before or after it. Used to cut a file for parallel scanning. */
export function startsRecord(prev0: string, line0: string, format: Format, ctx: TimeContext): boolean {
  // As assemble() reads lines: without a trailing CR.
  const [prev, line] = [prev0.replace(/\r$/, ''), line0.replace(/\r$/, '')];
  const fmt = format === 'cluster-info-dump' ? undefined : format;
  const cur = parseLine(line, fmt, ctx);
  // A raw line may continue the record above it (felix error values, panics).
  if (cur.format === 'plain') return false;
  if (BLOCK_LINE.test(cur.msg) || BLOCK_CLOSE.test(cur.msg)) return false;
  const before = parseLine(prev, fmt, ctx);
  if (BLOCK_OPEN.test(before.msg)) return false;
  if (before.format === 'cri' && before.partial) return false;
  return true;
}
