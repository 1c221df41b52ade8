// One parser per line format in shared/reference/log-formats.md. A parser recognises the wrapper
// (prefix) of one physical line and returns its parts; it never matches signals.
import type { Format } from '../catalog/schema.js';
import { parseClassic, parseDuration, parseIso, parseKlog, type TimeContext } from './time.js';

export interface ParsedLine {
  format: Format;
  time?: number;
  host?: string;
  /** syslog identifier, unit, container or component */
  unit?: string;
  level?: string;
  /** the payload after the outer wrapper (journal/syslog/CRI prefixes removed) */
  msg: string;
  /** CRI `P` chunk: the message continues on the next line without a newline */
  partial?: boolean;
}

type LineParser = (line: string, ctx: TimeContext) => ParsedLine | undefined;

const CLASSIC = /^([A-Z][a-z]{2}) ([ 0-9]\d) (\d\d:\d\d:\d\d)(?:\.(\d+))? (\S+) ([^\s[:]+)(?:\[(\d+)\])?: ?(.*)$/s;
const ISO_SYSLOG = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:?\d\d)) (\S+) ([^\s[:]+)(?:\[(\d+)\])?: ?(.*)$/s;
const KLOG = /^([IWEF])(\d{4}) (\d\d:\d\d:\d\d)(?:\.(\d+))?\s+\d+ ([^\]\s]+)\] ?(.*)$/s;
const CRI = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:\d\d)) (stdout|stderr) ([PF])(?: (.*))?$/s;
const LOGRUS = /^time="([^"]+)" level=(\w+) (.*)$/s;
const FELIX = /^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(?:\.\d+)?) \[([A-Z]+)\]\[(\d+)\] (.*)$/s;
const DESCRIBE = /^\s+(Normal|Warning)\s+(\w+)\s+(\S+(?: \(x\d+ over \S+\))?)\s+(\S+(?:, \S+)*)\s+(.*)$/s;
const DESCRIBE_REPEAT = /^\s*(?:Normal|Warning)\s+\w+\s+\S+ \(x(\d+) over (\S+)\)/;
/** Kubernetes merges repeats into one event; a count beyond this is not a log's (a forged row). */
const MAX_REPEAT = 1_000_000;

/** A `kubectl describe` event row aggregates repeats: `2m (x12 over 9m)` is 12 events spread over
 *  the last 9 minutes (kubectl's HumanDuration: `5m54s`, `3h2m`, `2d`, `2y45d`). */
export function describeRepeat(row: string): { count: number; overMs: number } | undefined {
  const m = DESCRIBE_REPEAT.exec(row);
  if (!m) return undefined;
  let overMs: number;
  try {
    overMs = parseDuration(m[2]);
  } catch {
    return undefined; // not kubectl's span: the row counts once
  }
  const count = Math.min(Number(m[1]), MAX_REPEAT);
  return count > 1 && Number.isFinite(overMs) ? { count, overMs } : undefined;
}

const GET_EVENTS = /^(?:(\S+)\s+)?(\S+)\s+(Normal|Warning)\s+(\w+)\s+([a-z.]+\/\S+)\s+(.*)$/s;

const LEADING_STAMP = /^(\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(?:[.,]\d+)?(?:Z|[+-]\d\d:?\d\d)?)[\s\]]/;

// rsyslog ($EscapeControlCharactersOnReceive, on by default) writes each control character of a
// message as '#' and three octal digits, so the tab that opens every line of a klog `err=<` block
// arrives as `#011`. Read back, a syslog copy is the same text as the journal entry it copies: the
// block joins, and de-duplication across copies sees one entry. Only control characters are undone
// (printable `#123` was never an escape; 8-bit escaping is off by default and would need the bytes
// re-decoded as UTF-8); rsyslog does not escape '#' itself, so a literal `#011` typed into a syslog
// message cannot be told apart. Other formats never go through this.
const RSYSLOG_ESCAPE = /#([0-3][0-7][0-7])/g;

function controlChar(seq: string, octal: string): string {
  const c = parseInt(octal, 8);
  return c < 0x20 || c === 0x7f ? String.fromCharCode(c) : seq;
}

/** A syslog message with rsyslog's control-character escapes read as the characters they stand for. */
function unescapeRsyslog(msg: string): string {
  return msg.includes('#') ? msg.replace(RSYSLOG_ESCAPE, controlChar) : msg;
}

const KLOG_LEVEL: Record<string, string> = { I: 'info', W: 'warning', E: 'error', F: 'fatal' };

const parsers: Record<Exclude<Format, 'plain' | 'cluster-info-dump' | 'json'>, LineParser> = {
  journal(line, ctx) {
    const m = CLASSIC.exec(line);
    if (!m) return undefined;
    return { format: 'journal', time: parseClassic(m[1], m[2], m[3], m[4], ctx), host: m[5], unit: m[6], msg: m[8] };
  },
  syslog(line, ctx) {
    const p = parsers.journal(line, ctx) ?? parsers['journal-iso'](line, ctx);
    return p && { ...p, format: 'syslog', msg: unescapeRsyslog(p.msg) };
  },
  'journal-iso'(line) {
    const m = ISO_SYSLOG.exec(line);
    if (!m) return undefined;
    return { format: 'journal-iso', time: parseIso(m[1]), host: m[2], unit: m[3], msg: m[5] };
  },
  klog(line, ctx) {
    const m = KLOG.exec(line);
    if (!m) return undefined;
    return { format: 'klog', time: parseKlog(m[2], m[3], m[4], ctx), level: KLOG_LEVEL[m[1]], unit: m[5], msg: line };
  },
  cri(line) {
    const m = CRI.exec(line);
    if (!m) return undefined;
    return { format: 'cri', time: parseIso(m[1]), unit: m[2], msg: m[4] ?? '', partial: m[3] === 'P' };
  },
  logrus(line) {
    const m = LOGRUS.exec(line);
    if (!m) return undefined;
    return { format: 'logrus', time: parseIso(m[1]), level: m[2].toLowerCase(), msg: line };
  },
  felix(line) {
    const m = FELIX.exec(line);
    if (!m) return undefined;
    return { format: 'felix', time: parseIso(m[1]), level: m[2].toLowerCase(), msg: line };
  },
  'describe-events'(line) {
    const m = DESCRIBE.exec(line);
    if (!m) return undefined;
    return { format: 'describe-events', level: m[1] === 'Warning' ? 'warning' : 'info', unit: m[4], msg: line.trim() };
  },
  'get-events'(line) {
    const m = GET_EVENTS.exec(line);
    if (!m) return undefined;
    return { format: 'get-events', level: m[3] === 'Warning' ? 'warning' : 'info', unit: m[5], msg: line.trim() };
  },
};

/** Formats whose lines open with a recognisable stamp; anything else in such a file continues the previous record. */
export const STAMPED: ReadonlySet<Format> = new Set(['felix', 'klog', 'journal', 'journal-iso', 'syslog', 'cri', 'logrus']);

const ORDER: (keyof typeof parsers)[] = ['cri', 'felix', 'journal-iso', 'journal', 'klog', 'logrus', 'describe-events', 'get-events'];

/** Parse with the file's format first, then every other, then plain text. Wrapped messages (a klog
 *  line inside a journal entry, a felix line inside a CRI line) get their inner level too. */
export function parseLine(line: string, format: Format | undefined, ctx: TimeContext): ParsedLine {
  let p: ParsedLine | undefined;
  if (format && format in parsers) p = parsers[format as keyof typeof parsers](line, ctx);
  if (!p) {
    for (const f of ORDER) {
      if (f === format) continue;
      p = parsers[f](line, ctx);
      if (p) break;
    }
  }
  if (!p) {
    // dpkg.log, apt and many tools open with a bare `YYYY-MM-DD HH:MM:SS`: keep the time.
    const m = LEADING_STAMP.exec(line);
    return { format: 'plain', msg: line, time: m ? parseIso(m[1]) : undefined };
  }
  if (!p.level && (p.format === 'journal' || p.format === 'journal-iso' || p.format === 'syslog' || p.format === 'cri')) {
    const inner = parsers.klog(p.msg, ctx) ?? parsers.felix(p.msg, ctx) ?? parsers.logrus(p.msg, ctx);
    if (inner) p.level = inner.level;
  }
  return p;
}

/** Does this line open with a stamp of any known format? (used to find where a record ends) */
export function isStamped(line: string, ctx: TimeContext): boolean {
  for (const f of ['felix', 'klog', 'journal', 'journal-iso', 'cri', 'logrus'] as const) if (parsers[f](line, ctx)) return true;
  return false;
}

/** Pick the format most lines of a sample parse as; `plain` when none reaches a third. */
export function detectFormat(sample: string[], ctx: TimeContext): Format {
  const counts = new Map<Format, number>();
  let n = 0;
  for (const line of sample) {
    if (!line.trim()) continue;
    n++;
    for (const f of ORDER) {
      if (parsers[f](line, ctx)) {
        counts.set(f, (counts.get(f) ?? 0) + 1);
        break;
      }
    }
  }
  let best: Format = 'plain';
  let bestN = 0;
  for (const [f, c] of counts) if (c > bestN) [best, bestN] = [f, c];
  return bestN * 3 >= n && bestN > 0 ? best : 'plain';
}
