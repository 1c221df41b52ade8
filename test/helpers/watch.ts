// Run `cni-doctor watch` as a real process and wait for conditions on its JSON Lines (never sleeps).
import { spawn, type ChildProcess } from 'node:child_process';
import { after } from 'node:test';
import { CLI, ROOT, UNPRIVILEGED } from './util.js';

// Every watch still running when a test file's tests are done is killed: a test that failed before
// stopping its watch must not leave it holding the file's process open (CI would hang, not fail).
const running = new Set<ChildProcess>();
after(() => { for (const c of running) c.kill('SIGKILL'); });

export interface WatchEvent { type: string; diagnosis?: { id: string; occurrences: number; confidence: number }; name?: string; value?: string; message?: string; lines?: number }

export class WatchProcess {
  readonly child: ChildProcess;
  events: WatchEvent[] = [];
  stderr = '';
  private waiters: (() => void)[] = [];
  exited: Promise<number | null>;

  constructor(args: string[], opts: { env?: NodeJS.ProcessEnv; unprivileged?: boolean } = {}) {
    this.child = spawn(process.execPath, [CLI, 'watch', '--json', '--no-tui', ...args], {
      cwd: ROOT, env: { ...process.env, NO_COLOR: '1', ...opts.env }, stdio: ['pipe', 'pipe', 'pipe'], ...(opts.unprivileged ? UNPRIVILEGED : {}),
    });
    running.add(this.child);
    this.child.on('exit', () => running.delete(this.child));
    let buf = '';
    this.child.stdout!.on('data', (d: Buffer) => {
      buf += d.toString();
      let i;
      while ((i = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        if (line.trim()) this.events.push(JSON.parse(line) as WatchEvent);
      }
      this.waiters.forEach((w) => w());
    });
    this.child.stderr!.on('data', (d: Buffer) => { this.stderr += d.toString(); this.waiters.forEach((w) => w()); });
    this.exited = new Promise((r) => this.child.on('close', (c) => { this.waiters.forEach((w) => w()); r(c); }));
  }

  /** latest occurrences of a diagnosis, 0 if not seen */
  count(id: string): number {
    const ds = this.events.filter((e) => e.type === 'diagnosis' && e.diagnosis?.id === id);
    return ds.length ? ds[ds.length - 1].diagnosis!.occurrences : 0;
  }

  waitFor(what: string, pred: () => boolean, timeoutMs = 15_000): Promise<void> {
    return new Promise((resolve, reject) => {
      const check = (): void => {
        if (pred()) { cleanup(); resolve(); }
      };
      const t = setTimeout(() => { cleanup(); reject(new Error(`timed out waiting for ${what}; events: ${JSON.stringify(this.events.map((e) => e.diagnosis ? `${e.diagnosis.id}=${e.diagnosis.occurrences}` : e.type))}; stderr: ${this.stderr}`)); }, timeoutMs);
      const cleanup = (): void => { clearTimeout(t); this.waiters = this.waiters.filter((w) => w !== check); };
      this.waiters.push(check);
      check();
    });
  }

  /** The exit code once the watch ends; one still running after `ms` is killed and the test fails
   *  naming what it waited for. (An await without a deadline hangs the whole run until CI's time is
   *  up, and CI then says nothing of where.) */
  exit(what = 'the watch to exit', ms = 20_000): Promise<number | null> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => { this.child.kill('SIGKILL'); reject(new Error(`timed out after ${ms} ms waiting for ${what}; stderr: ${this.stderr}`)); }, ms);
    });
    return Promise.race([this.exited, late]).finally(() => clearTimeout(timer));
  }

  stop(): Promise<number | null> {
    this.child.kill('SIGTERM');
    return this.exit('the watch to end after SIGTERM', 15_000);
  }
}

/** A watch started for a test: killed when the test ends, returned once its first stats line shows
 *  it is reading. */
export async function startedWatch(t: { after(fn: () => void): void }, args: string[], opts: { env?: NodeJS.ProcessEnv } = {}): Promise<WatchProcess> {
  const w = new WatchProcess(args, opts);
  t.after(() => w.child.kill('SIGKILL'));
  await w.waitFor('start', () => w.events.some((e) => e.type === 'stats'));
  return w;
}
