// Binary systemd journals, read through the real journalctl (`--file` or `-D`), rendered to lines.
import { spawn } from 'node:child_process';
import { Transform, type Readable } from 'node:stream';
import split2 from 'split2';
import { renderJournalEntry, type JournalEntry } from '../parse/journal-json.js';
import type { TimeContext } from '../parse/time.js';
import { toolAvailable } from './decompress.js';
import type { ByteSource } from './origin.js';

export const JOURNAL_MAGIC = Buffer.from('LPKSHHRH', 'latin1');

export function isJournalFile(head: Buffer): boolean {
  return head.length >= 8 && head.subarray(0, 8).equals(JOURNAL_MAGIC);
}

/** JSON lines from journalctl → rendered text lines, tracking the last cursor seen. */
export function journalJsonToLines(onCursor?: (c: string) => void): Transform {
  const render = new Transform({
    objectMode: false,
    transform(line: string, _enc, cb) {
      if (!line) return cb();
      let e: JournalEntry;
      try {
        e = JSON.parse(line) as JournalEntry;
      } catch {
        return cb(); // journalctl prints only JSON on stdout; a torn line at a kill is dropped with its cursor
      }
      if (typeof e.__CURSOR === 'string') onCursor?.(e.__CURSOR);
      cb(null, renderJournalEntry(e).join('\n') + '\n');
    },
  });
  return render;
}

export function journalctlReadable(args: string[]): Readable {
  if (!toolAvailable('journalctl')) {
    throw new Error('journalctl is not installed: install systemd (apt-get install systemd) to read binary journals');
  }
  const child = spawn('journalctl', ['-o', 'json', '-a', '--no-pager', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => { if (stderr.length < 2000) stderr += d.toString(); });
  const out = child.stdout.pipe(split2()).pipe(journalJsonToLines());
  child.on('close', (code) => {
    if (code && code !== 0) out.destroy(new Error(`journalctl: ${stderr.trim().split('\n').pop() || `exit status ${code}`}`));
  });
  child.on('error', (e) => out.destroy(e));
  out.on('close', () => child.kill());
  return out;
}

export function journalSource(file: string, time: TimeContext, source = file): ByteSource {
  return {
    info: { source, path: file, role: 'log', format: 'journal-iso', time },
    readable: () => journalctlReadable(['--file', file]),
  };
}
