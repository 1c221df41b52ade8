// Following the systemd journal through the real `journalctl -f -o json -a`. The last __CURSOR is
// kept; if journalctl dies it is restarted with --after-cursor, so nothing is lost or read twice.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { accessSync, closeSync, constants, openSync, readdirSync, readFileSync, readSync, statSync } from 'node:fs';
import path from 'node:path';
import split2 from 'split2';
import { renderJournalEntry, type JournalEntry } from '../parse/journal-json.js';
import { toolAvailable } from './decompress.js';
import { isJournalFile } from './journal.js';

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

/** journalctl checks its arguments and opens its files well within this */
const FIRST_START_MS = 1500;
/** A journalctl that ran this long was not crash-looping: the give-up count and the restart delay
 *  start again (a DaemonSet runs for months; its 21st occasional restart must not end it). */
const STABLE_MS = Number(process.env.CNI_DOCTOR_JOURNAL_STABLE_MS) || 60_000;
/** restarts in a row (each within STABLE_MS of its start) before giving up */
const MAX_RESTARTS = 20;
const PERMISSION_HINT = /insufficient permissions|not seeing messages from other users|Permission denied/i;
const PERMISSION_FIX = 'journalctl cannot read the system journal: add yourself to group systemd-journal (sudo usermod -aG systemd-journal $USER, then log in again) or run with sudo';
const MACHINE_ID_DIR = /^[0-9a-f]{32}$/;
const JOURNAL_NAME = /\.journal~?$/;

function errCode(e: unknown): string | undefined {
  return (e as NodeJS.ErrnoException).code;
}

/** Why --journal-file FILE cannot be followed, or undefined if it can. journalctl itself would only
 *  say "Failed to open files", and only after the follower had announced it was watching. */
export function journalFileProblem(file: string): string | undefined {
  let fd: number;
  try {
    if (statSync(file).isDirectory()) return `--journal-file ${file} is a directory: follow it with --journal-dir ${file}`;
    fd = openSync(file, 'r');
  } catch (e) {
    if (errCode(e) === 'ENOENT') return `--journal-file ${file}: no such file: pass the path of a .journal file (journald keeps them in /var/log/journal/<machine-id>/)`;
    if (errCode(e) === 'EACCES') return `--journal-file ${file}: permission denied: run with sudo, or add yourself to group systemd-journal (sudo usermod -aG systemd-journal $USER, then log in again)`;
    return `--journal-file ${file}: ${(e as Error).message}`;
  }
  try {
    const head = Buffer.alloc(8);
    const n = readSync(fd, head, 0, 8, 0);
    if (!isJournalFile(head.subarray(0, n))) return `--journal-file ${file} is not a systemd journal file (no LPKSHHRH header): follow a text log with --file ${file}`;
  } catch (e) {
    return `--journal-file ${file}: ${(e as Error).message}`;
  } finally {
    closeSync(fd);
  }
  return undefined;
}

function hasJournalFiles(dir: string): boolean {
  try {
    return readdirSync(dir).some((n) => JOURNAL_NAME.test(n));
  } catch {
    return false;
  }
}

/** Directories below DIR (a few levels down) that hold journal files, for a hint. */
function journalDirsBelow(dir: string, depth: number, out: string[]): string[] {
  if (depth === 0 || out.length >= 3) return out;
  let subs: string[];
  try {
    subs = readdirSync(dir, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => path.join(dir, d.name));
  } catch {
    return out;
  }
  for (const s of subs) {
    if (out.length >= 3) break;
    if (hasJournalFiles(s)) out.push(s);
    else journalDirsBelow(s, depth - 1, out);
  }
  return out;
}

/** Why --journal-dir DIR cannot be followed, or undefined if it can. `journalctl -D` reads only
 *  DIR/*.journal and DIR/<32-hex machine id>/*.journal; given anything else it waits forever on
 *  nothing (or, without --merge, fails with a puzzling "Data from the specified boot (+0) is not
 *  available"). */
export function journalDirProblem(dir: string): string | undefined {
  try {
    const st = statSync(dir);
    if (!st.isDirectory()) {
      return `--journal-dir ${dir} is a file, not a directory: ${journalFileProblem(dir) ? 'pass the directory that holds the .journal files' : `follow it with --journal-file ${dir}`}`;
    }
    accessSync(dir, constants.R_OK | constants.X_OK);
  } catch (e) {
    if (errCode(e) === 'ENOENT') return `--journal-dir ${dir}: no such directory: pass the directory that holds the .journal files (on a node: /var/log/journal)`;
    if (errCode(e) === 'EACCES') return PERMISSION_FIX;
    return `--journal-dir ${dir}: ${(e as Error).message}`;
  }
  const names = readdirSync(dir);
  // journald's own layout: a machine-id directory counts even while empty, its files are on the way.
  if (names.some((n) => JOURNAL_NAME.test(n) || MACHINE_ID_DIR.test(n))) return undefined;
  const below = journalDirsBelow(dir, 3, []);
  if (below.length) {
    return `--journal-dir ${dir} holds no journal files itself nor in a 32-hex machine-id directory, which is all journalctl -D reads: pass --journal-dir ${below[0]}${below.length > 1 ? ` (also found: ${below.slice(1).join(', ')})` : ''}`;
  }
  return `--journal-dir ${dir} holds no journal files (*.journal, directly or in a 32-hex machine-id directory): pass the directory journald or systemd-journal-remote writes to (on a node: /var/log/journal)`;
}

/** Whether this host keeps a journal at all: journal files in journald's own directories (persistent
 *  or volatile), directly or in a machine-id directory. `journalctl -f` on a host without says nothing
 *  and waits for ever; a watch of it would end "no known failure" having read nothing. */
export function hostHasJournal(dirs: string[], machineId: string | undefined): boolean {
  for (const d of dirs) {
    let names: string[];
    try {
      names = readdirSync(d);
    } catch {
      continue;
    }
    if (names.some((n) => JOURNAL_NAME.test(n))) return true;
    // journalctl without --merge reads this machine's directory only (a container whose machine ID
    // is not the host's sees nothing in the host's)
    for (const n of names.filter((x) => MACHINE_ID_DIR.test(x) && (!machineId || x === machineId))) {
      try {
        if (readdirSync(path.join(d, n)).some((x) => JOURNAL_NAME.test(x))) return true;
      } catch { /* unreadable: journalctl says so itself */ }
    }
  }
  return false;
}

function localMachineId(): string | undefined {
  try {
    const id = readFileSync('/etc/machine-id', 'utf8').trim();
    return MACHINE_ID_DIR.test(id) ? id : undefined;
  } catch {
    return undefined;
  }
}

export class JournalFollower {
  private child: ChildProcess | undefined;
  cursor: string | undefined;
  private closed = false;
  private restarts = 0;
  /** restarts since journalctl last ran for STABLE_MS */
  private inARow = 0;
  entries = 0;
  private paused = false;
  /** any byte on journalctl's stdout yet: until then, a journalctl that exits is misconfigured, not unlucky */
  private output = false;
  /** why there may be nothing to read: what journalctl said as it last exited, or that the host has
   *  no journal; for a watch that ends with no entry read */
  private said = '';
  private told = new Set<string>();

  /** journalctl complained ("No journal files were found.", a boot not in the journal) and gave no
   *  entry: the watch read nothing, which is not "no known failure". */
  get complaint(): string | undefined {
    return this.entries === 0 && this.said ? this.said : undefined;
  }
  private machineId: string | undefined;
  private ev: JournalEvents;

  constructor(private opts: JournalFollowOptions, ev: JournalEvents) {
    // One reason only: the first one is the cause, a later one (journalctl exiting after it was
    // killed for that cause) would overwrite it.
    let failed = false;
    this.ev = { ...ev, fatal: (m) => { if (failed) return; failed = true; this.closed = true; ev.fatal(m); } };
    this.unitRes = this.opts.units.map((u) =>
    new RegExp(`^${u.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}${/\.[a-z]+$/.test(u) && !u.endsWith('*') ? '' : '(\\.service)?'}$`));
  }

  /** history asked for: journals from elsewhere, --since, --from-start */
  private get history(): boolean {
    return !!this.opts.dir || !!this.opts.files?.length || !!this.opts.since || this.opts.fromStart;
  }

  /** which journals: copied ones (-D, --file), or the local journal when neither is given */
  private sourceArgs(): string[] {
    return [...(this.opts.dir ? ['-D', this.opts.dir] : []), ...(this.opts.files ?? []).flatMap((f) => ['--file', f])];
  }

  args(): string[] {
    const a = ['-f', '-o', 'json', '-a', '--no-pager', ...this.sourceArgs()];
    // Since systemd 250, -f silently implies -b (the last boot only), whatever --no-tail, --since,
    // --after-cursor or --boot=all say (systemd#21711, #36102; only recent releases let --boot=all
    // lift it). The one spelling every version honours is --merge: then no boot match is added. With -D or --file the
    // journals are named, so --merge changes nothing else there; on the local journal it would also
    // open other machines' journals kept beside it (journal-remote, containers), hence the match.
    // The restart after a kill keeps the same flags, or it would resume in the last boot only.
    if (this.history) {
      a.push('-m');
      if (!this.opts.dir && !this.opts.files?.length && this.machineId) a.push(`_MACHINE_ID=${this.machineId}`);
    }
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
    const problem = (this.opts.dir ? journalDirProblem(this.opts.dir) : undefined) ?? (this.opts.files ?? []).map(journalFileProblem).find(Boolean);
    if (problem) {
      this.ev.fatal(problem);
      return;
    }
    if (this.history && !this.opts.dir && !this.opts.files?.length) this.machineId = localMachineId();
    if (!this.opts.dir && !this.opts.files?.length && !hostHasJournal(['/var/log/journal', '/run/log/journal'], localMachineId())) {
      this.said = 'no journal files of this machine in /var/log/journal or /run/log/journal (is systemd-journald running here? in a container, is the host\'s /etc/machine-id mounted?)';
      this.ev.note(`journal: ${this.said}: follow files with --file, or pass --journal-dir`);
    }
    // A --since journalctl cannot parse is known before any view starts (the follower itself would
    // only fail after start() returned, once the UI or a stats line was already out): ask journalctl.
    if (this.opts.since) {
      const pre = ['-q', '--no-pager', '-n', '0', `--since=${this.opts.since}`, ...this.sourceArgs()];
      const r = spawnSync('journalctl', pre, { encoding: 'utf8', timeout: FIRST_START_MS, stdio: ['ignore', 'ignore', 'pipe'] });
      const said = (r.stderr ?? '').trim().split('\n').pop() ?? '';
      if (r.status !== null && r.status !== 0 && said && !PERMISSION_HINT.test(said)) {
        this.ev.fatal(this.startFailure(said));
        return;
      }
    }
    this.spawn();
  }

  setPaused(p: boolean): void {
    this.paused = p;
    if (p) this.child?.stdout?.pause();
    else this.child?.stdout?.resume();
  }

  private spawn(): void {
    const started = Date.now();
    const child = spawn('journalctl', this.args(), { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    // stderr's unfinished line, and its last finished one
    let stderr = '';
    let lastLine = '';
    child.stderr!.on('data', (d: Buffer) => {
      stderr += d.toString();
      if (PERMISSION_HINT.test(stderr)) {
        this.ev.fatal(PERMISSION_FIX);
        child.kill();
        return;
      }
      // Said once each, as it comes (a warning while it goes on is news, not a failure: only what it
      // says when it exits counts against a watch that read nothing).
      const done = stderr.lastIndexOf('\n');
      if (done < 0) return;
      for (const line of stderr.slice(0, done).split('\n').map((l) => l.trim()).filter(Boolean)) {
        lastLine = line;
        if (this.told.size < 20 && !this.told.has(line)) { this.told.add(line); this.ev.note(`journalctl: ${line}`); }
      }
      stderr = stderr.slice(done + 1);
    });
    child.stdout!.once('data', () => { this.output = true; });
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
      const said = stderr.trim() || lastLine;
      if (said && !PERMISSION_HINT.test(said)) this.said = `journalctl said: ${said}`;
      // Dying at its very first start, at once, before a single byte, with a reason of its own is how
      // journalctl rejects its arguments (a --since it cannot parse, files it cannot open): a restart
      // would fail the same way twenty times over. A quiet journal followed from now also gives no
      // byte for a long while, so a death later on (a corrupt journal file met while following) is
      // retried like signals and silent deaths.
      if (this.restarts === 0 && !this.output && !signal && code !== 0 && said && Date.now() - started < FIRST_START_MS) {
        this.ev.fatal(this.startFailure(said));
        return;
      }
      this.restarts++;
      this.inARow = Date.now() - started >= STABLE_MS ? 1 : this.inARow + 1;
      const why = signal ? `killed by ${signal}` : `exited with status ${code}${said ? `: ${said}` : ''}`;
      if (this.inARow > MAX_RESTARTS) {
        this.ev.fatal(`journalctl keeps dying (${why}, ${MAX_RESTARTS + 1} times in a row); giving up`);
        return;
      }
      this.ev.note(`journalctl ${why}; restarting after the last entry read`);
      setTimeout(() => { if (!this.closed) this.spawn(); }, Math.min(5000, 100 * this.inARow));
    });
  }

  private startFailure(said: string): string {
    if (this.opts.since && /timestamp|time|date/i.test(said)) {
      return `journalctl cannot read --since ${this.opts.since} (${said}): give a time such as --since "2025-05-01 18:00:00", --since 2025-05-01, --since -2h or --since yesterday`;
    }
    const what = this.opts.dir ? `--journal-dir ${this.opts.dir}` : this.opts.files?.length ? `--journal-file ${this.opts.files.join(', ')}` : 'the system journal';
    return `journalctl cannot follow ${what} (${said}): check the journal options (journalctl ${this.args().join(' ')} shows the same error)`;
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
