// Timestamps in node logs: some carry a zone, some a year, some neither. Everything becomes epoch ms (UTC).
// Stamps without a zone (felix, journal short, klog) are read as UTC: the node's zone is not in the line.

const MONTHS: Record<string, number> = {
  Jan: 0, Feb: 1, Mar: 2, Apr: 3, May: 4, Jun: 5, Jul: 6, Aug: 7, Sep: 8, Oct: 9, Nov: 10, Dec: 11,
};

/** Reference moment for inferring the year of stamps that lack one (bundle date or file mtime). */
export interface TimeContext {
  refTime: number;
}

const TWO_DAYS = 2 * 86400_000;

/** The year a stamp without one belongs to: the latest of the reference's year, the one after or
 *  the one before that is not more than two days after the reference (a late clock, a zone the mtime
 *  does not share) and in which the date exists (Feb 29). A January line read against a December
 *  mtime is next year's; a December line in a January bundle last year's. */
function withYear(ctx: TimeContext, month: number, day: number, h: number, m: number, s: number, ms: number): number | undefined {
  if (h > 23 || m > 59 || s > 60) return undefined;
  const refYear = new Date(ctx.refTime).getUTCFullYear();
  if (day < 1 || day > 31 || month < 0 || month > 11) return undefined;
  // Feb 29 exists one year in four: the nearest leap year back (up to four years)
  for (let y = refYear + 1; y >= refYear - 4; y--) {
    if (day > daysIn(y, month)) continue;
    const t = Date.UTC(y, month, day, h, m, s, ms);
    if (t <= ctx.refTime + TWO_DAYS) return t;
  }
  return undefined;
}

const DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
function daysIn(y: number, month: number): number {
  return month === 1 && y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0) ? 29 : DAYS[month];
}

function fracMs(frac: string | undefined): number {
  if (!frac) return 0;
  return Number((frac + '00').slice(0, 3));
}

/** `May 26 18:20:48` or `May 26 18:20:48.123456` (journal short, syslog). */
export function parseClassic(mon: string, day: string, hms: string, frac: string | undefined, ctx: TimeContext): number | undefined {
  const month = MONTHS[mon];
  if (month === undefined) return undefined;
  const [h, m, s] = hms.split(':').map(Number);
  return withYear(ctx, month, Number(day), h, m, s, fracMs(frac));
}

/** klog `0526 18:20:48.123456`. */
export function parseKlog(mmdd: string, hms: string, frac: string | undefined, ctx: TimeContext): number | undefined {
  const [h, m, s] = hms.split(':').map(Number);
  return withYear(ctx, Number(mmdd.slice(0, 2)) - 1, Number(mmdd.slice(2, 4)), h, m, s, fracMs(frac));
}

/** RFC 3339 / ISO 8601 with or without zone, any fraction length, `+0000` or `+00:00`, or a space for T. */
const ISO = /^(\d{4})-(\d\d)-(\d\d)[T ](\d\d):(\d\d):(\d\d)(?:[.,](\d+))?(Z|[+-]\d\d:?\d\d)?$/;
export function parseIso(ts: string): number | undefined {
  const m = ISO.exec(ts);
  if (!m) return undefined;
  // a date or time that does not exist (month 13, Feb 30, 25:00) is no time at all, not a rolled-over one
  if (+m[4] > 23 || +m[5] > 59 || +m[6] > 60) return undefined;
  if (+m[2] < 1 || +m[2] > 12 || +m[3] < 1 || +m[3] > daysIn(+m[1], +m[2] - 1)) return undefined;
  let t = Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6], fracMs(m[7]));
  const zone = m[8];
  if (zone && zone !== 'Z') {
    const sign = zone[0] === '-' ? -1 : 1;
    const digits = zone.slice(1).replace(':', '');
    t -= sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2, 4))) * 60_000;
  }
  return t;
}

export function isoString(t: number | undefined): string | undefined {
  return t === undefined || !Number.isFinite(t) ? undefined : new Date(t).toISOString();
}

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, y: 365 * 86_400_000 };

/** `10m` → 600000 ms; compound spans as kubectl prints them too (`5m54s`, `2y45d`). */
export function parseDuration(d: string): number {
  if (!/^(?:\d+(?:ms|[ydhms]))+$/.test(d)) throw new Error(`not a duration: ${d}`);
  let ms = 0;
  for (const [, n, unit] of d.matchAll(/(\d+)(ms|[ydhms])/g)) ms += Number(n) * UNIT_MS[unit];
  return ms;
}
