// Real journal files for tests: journal export format piped through systemd-journal-remote.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';

export const JOURNAL_REMOTE = ['/lib/systemd/systemd-journal-remote', '/usr/lib/systemd/systemd-journal-remote'].find((p) => existsSync(p));

export interface Entry { unit?: string; ident: string; message: string; transport?: string; usec: number }

let seq = 0;
export function exportFormat(entries: Entry[], boot = '0123456789abcdef0123456789abcdef'): Buffer {
  const parts: Buffer[] = [];
  for (const e of entries) {
    seq++;
    const fields: [string, string][] = [
      ['__CURSOR', `s=1;i=${seq}`], ['__REALTIME_TIMESTAMP', String(e.usec)], ['__MONOTONIC_TIMESTAMP', String(seq * 1000)],
      ['_BOOT_ID', boot], ['_HOSTNAME', 'node1'], ['_TRANSPORT', e.transport ?? 'stdout'], ['SYSLOG_IDENTIFIER', e.ident], ['_PID', '2187'],
    ];
    if (e.unit) fields.push(['_SYSTEMD_UNIT', e.unit]);
    for (const [k, v] of fields) parts.push(Buffer.from(`${k}=${v}\n`));
    if (e.message.includes('\n')) {
      // Binary-safe field: name, newline, 64-bit little-endian length, data.
      const data = Buffer.from(e.message);
      const len = Buffer.alloc(8);
      len.writeBigUInt64LE(BigInt(data.length));
      parts.push(Buffer.from('MESSAGE\n'), len, data, Buffer.from('\n'));
    } else parts.push(Buffer.from(`MESSAGE=${e.message}\n`));
    parts.push(Buffer.from('\n'));
  }
  return Buffer.concat(parts);
}

export function writeJournal(file: string, entries: Entry[]): void {
  if (!JOURNAL_REMOTE) throw new Error('systemd-journal-remote is not installed: apt-get install systemd-journal-remote');
  execFileSync(JOURNAL_REMOTE, ['-o', file, '-'], { input: exportFormat(entries), stdio: ['pipe', 'ignore', 'pipe'] });
}
