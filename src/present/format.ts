// Short human forms for numbers, durations, times and severities, shared by every view (the live UI,
// the text and Markdown reports, the plain live lines).
import type { Diagnosis } from '../engine/diagnose.js';

/** 1,234,567. Not toLocaleString: its first call loads ICU data, 30 ms of a 250 ms start. */
export function groupNum(n: number): string {
  return String(Math.round(n)).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

/** 950, 12.3k, 456k, 1.2M */
export function compactNum(n: number): string {
  const v = Math.round(n);
  if (v < 1000) return String(v);
  if (v < 10_000) return `${(v / 1000).toFixed(1)}k`;
  if (v < 1_000_000) return `${Math.round(v / 1000)}k`;
  if (v < 10_000_000) return `${(v / 1_000_000).toFixed(1)}M`;
  return `${Math.round(v / 1_000_000)}M`;
}

const DAYS_PER_YEAR = 365.25;

/** 45s, 12m, 3h5m, 12d, 1.5y, 12y: never more than six characters, so an age fits the list's
 *  column however old the logs are (a bundle replayed a year later is quiet for ~500,000 min). */
export function duration(ms: number): string {
  const s = Number.isFinite(ms) ? Math.max(0, Math.floor(ms / 1000)) : 0;
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m`;
  const h = Math.floor(m / 60);
  if (h < 24) return m % 60 ? `${h}h${m % 60}m` : `${h}h`;
  const d = Math.floor(h / 24);
  if (d < DAYS_PER_YEAR) return `${d}d`;
  const y = d / DAYS_PER_YEAR;
  // one decimal while it says something (1.5y), whole years after; floored, as every unit above is
  return y < 10 ? `${(Math.floor(y * 10) / 10).toFixed(1)}y` : `${Math.floor(y)}y`;
}

/** A span as the live screen shows it: minutes at the finest, so that it changes (and the pane is
 *  redrawn) at most once a minute, never a seconds counter ticking. */
export function coarse(ms: number): string {
  return ms < 60_000 ? '<1m' : duration(ms);
}

/** "quiet 12m" when the store says it went quiet, "gone at boot" when a later boot ended it, else "2m ago" from lastSeen, else "". */
export function age(d: Pick<Diagnosis, 'quietFor' | 'lastSeen' | 'resolved'>, now: number): string {
  // not seen since a later boot, with the logs going on past it: no longer current
  if (d.resolved) return 'gone at boot';
  if (d.quietFor !== undefined) return `quiet ${coarse(d.quietFor)}`;
  if (!d.lastSeen) return '';
  const t = Date.parse(d.lastSeen);
  if (Number.isNaN(t)) return '';
  return `${coarse(now - t)} ago`;
}

/** "2025-05-26 18:09:40" (long) or "18:09:40" (short) from an ISO time; the input when not ISO. */
export function clock(iso: string | undefined, long = false): string {
  if (!iso) return '';
  const m = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2}:\d{2})/.exec(iso);
  if (!m) return iso;
  return long ? `${m[1]} ${m[2]}` : m[2];
}

/** "2025-05-26" from an ISO time (its own digits, as clock shows them), or undefined */
export function isoDay(iso: string | undefined): string | undefined {
  return iso ? /^(\d{4}-\d{2}-\d{2})T/.exec(iso)?.[1] : undefined;
}

/** The short form of a time: "18:09:40" when its date is the date of every other end given (the other
 *  end of a span, then today), else with the date — "05-27 18:09:40", and the year too when it is not
 *  today's (the last end given). */
export function clockDated(iso: string | undefined, others: (string | undefined)[]): string {
  const day = isoDay(iso);
  const days = others.filter((o): o is string => !!o);
  if (!day || days.every((o) => o === day)) return clock(iso);
  const year = days[days.length - 1].slice(0, 4);
  return year !== day.slice(0, 4) ? clock(iso, true) : `${day.slice(5)} ${clock(iso)}`;
}

/** A diagnosis no longer current, in a sentence (reports) or a few words (the live views):
 *  "Not seen since the boot at 2025-05-26 18:52:10 UTC (booted kernel 6.8.0-55-generic): the logs go
 *  on for 1h13m after it without this failure." / "not seen since boot 18:52:10 (booted kernel …)" */
export function notSeenSince(r: NonNullable<Diagnosis['resolved']>, short = false): string {
  if (short) return `not seen since boot ${clock(r.since)} (${r.by})`;
  const after = Date.parse(r.logsUntil) - Date.parse(r.since);
  return `Not seen since the boot at ${clock(r.since, true)} UTC (${r.by}): the logs go on for ${duration(after)} after it without this failure.`;
}

/** A diagnosis whose hits came on both sides of a boot, in a sentence (reports) or a few words (the
 *  live views): "86 of the 87 since the boot at 2025-05-26 17:52:08 UTC (booted kernel
 *  6.8.0-57-generic), the first at 18:06:29; 1 before it." / "86× since boot 17:52:08 (booted …)" */
export function sinceBootText(d: Pick<Diagnosis, 'occurrences' | 'sinceBoot'>, short = false): string {
  const b = d.sinceBoot!;
  if (short) return `${b.occurrences}× since boot ${clock(b.since)} (${b.by})`;
  const untimed = d.occurrences - b.occurrences - b.before;
  return `${b.occurrences} of the ${d.occurrences} since the boot at ${clock(b.since, true)} UTC (${b.by}), the first at ${clockDated(b.firstSeen, [isoDay(b.since)])}; ${b.before} before it${untimed > 0 ? `, ${untimed} whose time is not kept (listing rows, or minutes older than the two weeks kept)` : ''}.`;
}

export function confidence(c: number): string {
  return c.toFixed(2);
}

export type Severity = Diagnosis['severity'];

/** Badge text is always present, so meaning never rests on colour. */
export const SEVERITY: Record<Severity, { label: string; bg: string; fg: string }> = {
  critical: { label: 'CRIT', bg: 'red', fg: 'whiteBright' },
  error: { label: 'ERR', bg: 'magenta', fg: 'whiteBright' },
  warning: { label: 'WARN', bg: 'yellow', fg: 'black' },
  info: { label: 'INFO', bg: 'blue', fg: 'whiteBright' },
};

/** https://no-color.org: NO_COLOR present and not empty turns colour off (styles like inverse stay). */
export function colorFromEnv(env: NodeJS.ProcessEnv = process.env): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  if (env.FORCE_COLOR === '0' || env.FORCE_COLOR === 'false') return false;
  return true;
}
