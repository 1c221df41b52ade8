// Following the systemd journal through the real `journalctl -f -o json -a`. The last __CURSOR is
// kept; if journalctl dies it is restarted with --after-cursor, so nothing is lost or read twice.
import { spawn, type ChildProcess } from 'node:child_process';
import split2 from 'split2';
import { renderJournalEntry, type JournalEntry } from '../parse/journal-json.js';
import { toolAvailable } from './decompress.js';

export interface JournalFollowOptions {
  units: string[];
  kernel: boolean;
  dir?: string;
  files?: string[];
  since?: string;
  /** read what is already there first (journals copied from elsewhere) */
  fromStart: boolean;
}

export interface JournalEvents {
  lines(text: string): void;
  note(msg: string): void;
  /** fatal: journalctl cannot run or cannot read (permissions); the message says how to fix it */
  fatal(msg: string): void;
}

const PERMISSION_HINT = /insufficient permissions|not seeing messages from other users|Permission denied/i;

export class JournalFollower {
  private child: ChildProcess | undefined;
  cursor: string | undefined;
  private closed = false;
  private restarts = 0;
  entries = 0;
  private paused = false;

  constructor(private opts: JournalFollowOptions, private ev: JournalEvents) {
    this.unitRes = this.opts.units.map((u) =>
    new RegExp(`^${u.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}${/\.[a-z]+$/.test(u) && !u.endsWith('*') ? '' : '(\\.service)?'}$`));
  }

  args(): string[] {
    const a = ['-f', '-o', 'json', '-a', '--no-pager'];
    if (this.opts.dir) a.push('-D', this.opts.dir);
    for (const f of this.opts.files ?? []) a.push('--file', f);
    if (this.cursor) a.push(`--after-cursor=${this.cursor}`, '--no-tail');
    else if (this.opts.since) a.push(`--since=${this.opts.since}`, '--no-tail');
    else if (this.opts.fromStart) a.push('--no-tail');
    else a.push('-n', '0');
    return a;
  }

  /** Units are matched here rather than by journalctl: its `-u GLOB` cannot be OR-ed with the kernel,
   *  and units that appear later (a snap refresh) are then still caught. */
  private wanted(e: JournalEntry): boolean {
    if (!this.unitRes.length && !this.opts.kernel) return true;
    if (this.opts.kernel && e._TRANSPORT === 'kernel') return true;
    const unit = typeof e._SYSTEMD_UNIT === 'string' ? e._SYSTEMD_UNIT : '';
    return this.unitRes.some((r) => r.test(unit));
  }

  private unitRes: RegExp[];

  async start(): Promise<void> {
    if (!toolAvailable('journalctl')) {
      this.ev.fatal('journalctl is not installed: install systemd (apt-get install systemd), or follow files with --file');
      return;
    }
    this.spawn();
  }

  setPaused(p: boolean): void {
    this.paused = p;
    if (p) this.child?.stdout?.pause();
    else this.child?.stdout?.resume();
  }

  private spawn(): void {
    const child = spawn('journalctl', this.args(), { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => {
      stderr += d.toString();
      if (PERMISSION_HINT.test(stderr)) {
        this.ev.fatal('journalctl cannot read the system journal: add yourself to group systemd-journal (sudo usermod -aG systemd-journal $USER, then log in again) or run with sudo');
        child.kill();
      }
    });
    const lines = child.stdout!.pipe(split2());
    lines.on('data', (line: string) => {
      if (!line) return;
      let e: JournalEntry;
      try {
        e = JSON.parse(line) as JournalEntry;
      } catch {
        return; // a line torn by a kill: its cursor was not taken, so it is read again after the restart
      }
      if (typeof e.__CURSOR === 'string') this.cursor = e.__CURSOR;
      if (!this.wanted(e)) return;
      this.entries++;
      this.ev.lines(renderJournalEntry(e).join('\n') + '\n');
    });
    if (this.paused) child.stdout!.pause();
    child.on('error', (e) => this.ev.fatal(`journalctl: ${e.message}`));
    child.on('close', (code, signal) => {
      if (this.closed || this.child !== child) return;
      this.restarts++;
      const why = signal ? `killed by ${signal}` : `exited with status ${code}${stderr ? `: ${stderr.trim().split('\n').pop()}` : ''}`;
      if (this.restarts > 20) {
        this.ev.fatal(`journalctl keeps dying (${why}); giving up`);
        return;
      }
      this.ev.note(`journalctl ${why}; restarting after the last entry read`);
      setTimeout(() => { if (!this.closed) this.spawn(); }, Math.min(5000, 100 * this.restarts));
    });
  }

  /** for tests: the running journalctl's pid */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  close(): void {
    this.closed = true;
    this.child?.kill();
  }
}
