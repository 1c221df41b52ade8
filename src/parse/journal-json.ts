// `journalctl -o json` entries rendered as short-iso-precise lines, so the one line parser and the
// klog block join serve journals too. Values may be strings, arrays of byte numbers (non-UTF-8 or
// non-printable), arrays of strings (repeated fields), or null (too long without -a).

type JournalValue = string | number[] | string[] | null | undefined;

function text(v: JournalValue): string | undefined {
  if (v === null) return '[blob data]';
  if (v === undefined) return undefined;
  if (typeof v === 'string') return v;
  if (v.length && typeof v[0] === 'number') return Buffer.from(v as number[]).toString('utf8');
  return (v as string[]).join(' ');
}

export interface JournalEntry { [field: string]: JournalValue }

export function renderJournalEntry(e: JournalEntry): string[] {
  const us = Number(text(e.__REALTIME_TIMESTAMP) ?? NaN);
  const iso = Number.isFinite(us) ? new Date(Math.floor(us / 1000)).toISOString().replace('Z', `${String(us % 1000).padStart(3, '0')}Z`) : '1970-01-01T00:00:00.000000Z';
  const host = text(e._HOSTNAME) ?? 'localhost';
  const ident = text(e.SYSLOG_IDENTIFIER) ?? text(e._COMM) ?? text(e._SYSTEMD_UNIT) ?? 'unknown';
  const pid = text(e._PID);
  const prefix = `${iso} ${host} ${ident.replace(/\s/g, '_')}${pid ? `[${pid}]` : ''}: `;
  const msg = (text(e.MESSAGE) ?? '').replace(/\r?\n$/, '');
  return msg.split('\n').map((l) => prefix + l);
}
