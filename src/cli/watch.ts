// `cni-doctor watch`: wiring of live sources → live engine → a view (Ink UI, plain lines, JSON Lines).
import { createElement } from 'react';
import fg from 'fast-glob';
import picomatch from 'picomatch';
import { closeSync, existsSync, openSync } from 'node:fs';
import path from 'node:path';
import { ReadStream as TtyReadStream } from 'node:tty';
import { watch as chokidarWatch, type FSWatcher } from 'chokidar';
import type { Catalog } from '../catalog/load.js';
import { LiveEngine } from '../engine/live.js';
import type { StreamInfo } from '../engine/scanner.js';
import { COMPRESSED_NAME, FileFollower, FollowRegistry } from '../sources/follow.js';
import { fallbackLayout } from '../sources/bundle/layouts.js';
import { JournalFollower } from '../sources/journal-live.js';
import { replay } from '../sources/replay.js';
import { InputError, planInput, type InputPlan } from '../sources/inputs.js';
import { readCompressedHint, toolAvailable } from '../sources/decompress.js';
import { HEADLESS_COUNT_EVERY_MS, LinePrinter } from '../report/live-lines.js';
import { buildReport, exitCode } from '../report/model.js';
import { renderText } from '../report/text.js';
import { WatchStore } from './watch-store.js';
import { toolVersion } from './version.js';

export interface WatchOptions {
  stdin: boolean;
  journal?: boolean;
  units: string[];
  kernel: boolean;
  journalDir?: string;
  journalFiles: string[];
  since?: string;
  files: string[];
  fromStart: boolean;
  replay?: string;
  speed: number;
  json: boolean;
  tui: boolean;
  headless: boolean;
  metrics?: string;
  bell: boolean;
}

const QUIET_MS = 500;

function info(source: string, p: string): StreamInfo {
  return { source, path: p, role: 'log', time: { refTime: Date.now() } };
}

export async function runWatch(catalog: Catalog, o: WatchOptions): Promise<number> {
  const engine = new LiveEngine(catalog);
  const stops: (() => Promise<void> | void)[] = [];
  const followers: FileFollower[] = [];
  const journals: JournalFollower[] = [];
  // A directory the globs cannot list (another pod's, unreadable) is skipped, not the end of the watch.
  const LIST = { onlyFiles: true, absolute: true, suppressErrors: true } as const;
  /** the --file globs, and those some file matched at some time (followers are let go of once their
   *  file is deleted: the glob is remembered here) */
  const globs = o.files.map((f) => path.resolve(f)).filter((p) => fg.isDynamicPattern(p));
  const globMatchers = globs.map((g) => [g, picomatch(g)] as const);
  const matchedGlobs = new Set<string>();
  /** globs that matched compressed files, which are not followed */
  const onlyCompressed = new Set<string>();
  let paused = false;
  let resume: (() => void) | undefined;
  const sources: string[] = [];
  let finished = false;
  let fatal: string | undefined;

  const useJournal = o.journal ?? (!o.stdin && !o.files.length && !o.replay && !o.journalDir && !o.journalFiles.length ? toolAvailable('journalctl') : false);
  const wantsJournal = useJournal || !!o.journalDir || o.journalFiles.length > 0;
  if (!wantsJournal && !o.stdin && !o.files.length && !o.replay) {
    process.stderr.write('cni-doctor: nothing to watch: journalctl is not installed here; pass --file PATH, --journal-dir DIR, --replay FILE or - for stdin\n');
    return 2;
  }
  // A replay's input is planned before anything starts: one that cannot be opened (missing, unreadable,
  // not a log) is exit 2 at once with one line on stderr, like analyze — never a UI that opens to fail.
  let plan: InputPlan | undefined;
  if (o.replay) {
    try {
      plan = await planInput(o.replay, catalog);
    } catch (e) {
      const m = (e as Error).message;
      process.stderr.write(`cni-doctor: ${e instanceof InputError ? m : `${o.replay}: ${m}`}\n`);
      return 2;
    }
  }
  if (wantsJournal) sources.push(o.journalDir ? `journal dir ${o.journalDir}` : o.journalFiles.length ? `journal ${o.journalFiles.join(', ')}` : `journal: ${o.units.join(', ')}${o.kernel ? ' + kernel' : ''}`);
  if (o.stdin) sources.push('stdin');
  // The header says "replay" once (the mode); the source is the recording's name.
  const replayAt = sources.length;
  if (o.replay) sources.push(path.basename(o.replay));

  const store = new WatchStore(engine, catalog, {
    sources,
    mode: o.replay ? 'replay' : 'live',
    speed: o.replay ? o.speed : undefined,
    backlog: () => followers.reduce((a, f) => a + f.backlog, 0),
    files: o.files.length ? () => followers.length : undefined,
    setPaused: (p) => {
      paused = p;
      for (const f of followers) f.setPaused(p);
      for (const j of journals) j.setPaused(p);
      if (!p) { resume?.(); resume = undefined; }
    },
  });
  const note = (m: string, routine = false): void => store.note(m, routine);
  /** inputs that could not be read, or only in part: in the final report, and exit 2 if nothing is found */
  const unreadable: string[] = [];
  const cannotRead = (source: string, reason: string): void => {
    note(`${source}: ${reason}`);
    engine.event({ type: 'problem', source, reason });
    if (!unreadable.includes(source)) unreadable.push(source);
  };
  let printer: LinePrinter | undefined;
  let ink: { unmount(): void; waitUntilExit(): Promise<unknown> } | undefined;
  let quit!: () => void;
  const quitP = new Promise<void>((r) => { quit = r; });
  // Installed before any source or view starts: a signal that comes while they start (a note has
  // already been printed) ends the watch like any other, instead of killing it without a report.
  // SIGHUP too: a closed pane or a dropped SSH session ends the watch with its final report (where
  // output still goes somewhere: a file, a pipe), not with the last update lost.
  const onSignal = (): void => quit();
  const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
  for (const sig of SIGNALS) process.on(sig, onSignal);
  const unhook = (): void => { for (const sig of SIGNALS) process.off(sig, onSignal); };

  let metrics: { close(): Promise<void> } | undefined;
  if (o.metrics) {
    const { startMetrics } = await import('./watch-metrics.js');
    metrics = await startMetrics(o.metrics, engine, catalog, toolVersion(), () => store.lag());
    stops.push(() => metrics?.close());
  }

  const tick = setInterval(() => { engine.settle(QUIET_MS); store.tick(); }, 1000);
  const settle = setInterval(() => engine.settle(QUIET_MS), QUIET_MS);
  stops.push(() => { clearInterval(tick); clearInterval(settle); });

  // Sources.
  const ending: Promise<void>[] = [];
  if (wantsJournal) {
    const j = new JournalFollower({ units: o.units, kernel: o.kernel, dir: o.journalDir, files: o.journalFiles, since: o.since, fromStart: o.fromStart || !!o.journalDir || o.journalFiles.length > 0 }, {
      lines: (text) => engine.feed('journal', { source: 'journal', path: 'journal', role: 'log', format: 'journal-iso', time: { refTime: Date.now() } }, text),
      note,
      fatal: (m) => { fatal = m; quit(); },
    });
    journals.push(j);
    await j.start();
    stops.push(() => j.close());
    // A bad --journal-file, --journal-dir or --since is known by now: say so, never "watching".
    if (fatal) {
      for (const s of stops.reverse()) await s();
      unhook();
      process.stderr.write(`cni-doctor: ${fatal}\n`);
      return 2;
    }
  }
  if (o.files.length) {
    const patterns = o.files.map((f) => path.resolve(f));
    const byName = fallbackLayout(catalog);
    const seen = new Set<string>();
    // One file under two followed names (a glob matching rotated names, a hard link) is read once.
    const registry = new FollowRegistry();
    // Compressed rotations matching a glob are never followed (read them with analyze): said once.
    let skippedCompressed = false;
    /** globs that matched nothing at start, said so as a problem */
    const awaited = new Set<string>();
    const follow = async (file: string, fromStart: boolean, byGlob = false): Promise<FileFollower | undefined> => {
      const compressed = byGlob && COMPRESSED_NAME.test(file);
      for (const [g, matches] of byGlob ? globMatchers : []) {
        if (matchedGlobs.has(g) || !matches(file)) continue;
        if (compressed) { onlyCompressed.add(g); continue; }
        matchedGlobs.add(g);
        // settles the "no file matches it yet" problem (the same subject: the glob)
        if (awaited.has(g)) note(`${g}: matched ${file}`, true);
      }
      if (seen.has(file)) return undefined;
      if (compressed) {
        if (!skippedCompressed) note(`${file}: compressed, not followed; compressed files matching the glob are skipped (${readCompressedHint(file)})`, true);
        skippedCompressed = true;
        return undefined;
      }
      seen.add(file);
      // One engine source per file under the name: line numbers and unfinished lines stay per file.
      const id = (gen: number): string => `${file}#${gen}`;
      // A format the name implies (rsyslog's files escape control characters: only `syslog` reads them back).
      const inf: StreamInfo = { ...info(file, file), format: byName.roleOf(path.basename(file))?.format };
      // A glob-matched file deleted and drained is let go of (its poll and watcher with it); one that
      // comes back under the name is picked up again from its start.
      const gone = (): void => {
        const i = followers.indexOf(f);
        if (i >= 0) followers.splice(i, 1);
        seen.delete(file);
        if (!finished && existsSync(file)) void follow(file, true, true);
      };
      const firstLines = new Map<number, number>();
      // Evidence names the file where its line is now (app.log.1 after a rotation), with the same number.
      const movedTo = new Map<number, string>();
      const infoOf = (gen: number): StreamInfo => firstLines.has(gen) || movedTo.has(gen) ? { ...inf, firstLine: firstLines.get(gen), source: movedTo.get(gen) ?? inf.source } : inf;
      const f = new FileFollower(file, {
        begin: (gen, firstLine) => firstLines.set(gen, firstLine),
        data: (b, gen) => engine.feed(id(gen), infoOf(gen), b),
        end: (gen) => { firstLines.delete(gen); movedTo.delete(gen); engine.end(id(gen)); },
        draining: (gen, ms) => engine.hold(id(gen), ms), note, gone,
        moved: (gen, to) => { movedTo.set(gen, to); engine.rename(id(gen), to); },
      }, { fromStart, registry, byGlob });
      followers.push(f);
      await f.start().catch((e: Error) => note(`${file}: ${e.message}`));
      if (paused) f.setPaused(true);
      return f;
    };
    const refused: string[] = [];
    for (const p of patterns) {
      if (fg.isDynamicPattern(p)) {
        for (const m of await fg(p, LIST)) await follow(m, o.fromStart, true);
      } else if (COMPRESSED_NAME.test(p)) {
        refused.push(`--file ${p} is compressed: live following reads plain text as it is written; ${readCompressedHint(p)}`);
      } else {
        // A FIFO, socket, device or directory named on the command line is refused at once.
        const f = await follow(p, o.fromStart);
        if (f?.problem?.kind === 'not-regular') refused.push(`--file ${p} ${f.problem.message}`);
      }
    }
    if (refused.length) {
      for (const f of followers) await f.close();
      for (const s of stops.reverse()) await s();
      unhook();
      for (const r of refused) process.stderr.write(`cni-doctor: ${r}\n`);
      return 2;
    }
    // New files matching a glob are picked up, from their start.
    if (globs.length) {
      const isMatch = picomatch(globs);
      const bases = [...new Set(globs.map((g) => picomatch.scan(g).base || '/'))];
      // Only what a glob can reach is watched: under /var/log/pods that is calico-node's directories,
      // not every pod's (each write elsewhere cost a re-listing; an unreadable file there, a crash).
      const reachable = globPrefixes(globs);
      const w: FSWatcher = chokidarWatch(bases, { ignoreInitial: true, persistent: true, depth: 8, ignored: (p: string) => !reachable(path.resolve(p)) });
      w.on('add', (p) => { if (isMatch(path.resolve(p))) void follow(path.resolve(p), true, true); });
      // chokidar lists a new directory before it watches it: a file created in between (kubelet
      // creates a pod's directory and its first log at once) gets no 'add'. The globs are run again.
      let relist: NodeJS.Timeout | undefined;
      w.on('addDir', () => {
        if (relist || finished) return;
        relist = setTimeout(() => {
          relist = undefined;
          void (async () => { for (const g of globs) for (const m of await fg(g, LIST)) if (!finished) await follow(m, true, true); })()
            .catch((e: Error) => note(`watching for new files: ${e.message}`));
        }, 200);
      });
      stops.push(() => { clearTimeout(relist); return w.close(); });
      // Watching starts once the watcher is ready: a file created before then is found by a second look.
      await new Promise<void>((r) => { w.once('ready', () => r()); w.once('error', () => r()); });
      // A directory the watcher cannot read (permissions) is said once; the followers say the rest.
      const told = new Set<string>();
      w.on('error', (e: unknown) => {
        // A file a glob matches is its follower's to report (it says when it is readable again).
        const at = (e as { path?: string }).path;
        if (at && isMatch(path.resolve(at))) return;
        const msg = e instanceof Error ? e.message : String(e);
        if (!told.has(msg)) { told.add(msg); note(`watching for new files: ${msg}`); }
      });
      for (const g of globs) for (const m of await fg(g, LIST)) await follow(m, true, true);
      // A glob that matches nothing yet is said at once (a mistyped DaemonSet glob is a problem to
      // alert on), and settled by its first match.
      for (const g of globs) if (!matchedGlobs.has(g)) { awaited.add(g); note(`${g}: ${onlyCompressed.has(g) ? 'only compressed files match it' : 'no file matches it'} yet; waiting for one`); }
    }
    sources.push(...[...seen].map((f) => `file ${f}`));
    if (!seen.size) sources.push(...patterns.map((p) => `file ${p} (waiting)`));
    stops.push(async () => { for (const f of followers) await f.close(); });
  }
  if (o.stdin) {
    // Bytes, as a followed file's: the scanner splits lines, cuts one longer than its buffer with a
    // note and keeps invalid UTF-8 as it came (split2 re-split a growing string per chunk: a 16 MB
    // line took 35 s and memory without bound).
    const stdinInfo = info('stdin', 'stdin');
    const onData = (b: Buffer): void => engine.feed('stdin', stdinInfo, b);
    ending.push(new Promise<void>((resolve) => {
      process.stdin.on('data', onData);
      process.stdin.on('end', () => { engine.end('stdin'); resolve(); });
      process.stdin.on('error', (e: Error) => { note(`stdin: ${e.message}`); resolve(); });
    }));
    // On quit, stdin is let go of at once: a producer that keeps writing (a FIFO, `journalctl -f |`)
    // must neither keep the process alive nor feed the engine after the final report.
    stops.push(() => {
      process.stdin.off('data', onData);
      process.stdin.destroy();
    });
  }
  let replayed = 0;
  if (o.replay && plan) {
    ending.push(replay(plan, o.speed, {
      feed: (id, inf, text) => engine.feed(id, inf, text),
      waitWhilePaused: () => (paused ? new Promise<void>((r) => { resume = r; }) : Promise.resolve()),
      stopped: () => finished,
      note,
      unreadable: cannotRead,
    }).then((n) => { replayed = n; }, (e: Error) => {
      const m = e.message.startsWith(`${o.replay}: `) ? e.message.slice(o.replay!.length + 2) : e.message;
      cannotRead(o.replay!, m);
    }));
  }
  // Views start once every source is open: "watching" then means no line from now on is missed.
  const wantsUi = !!process.stdout.isTTY && o.tui && !o.json && !o.headless;
  // The UI reads its keys from the terminal. Where stdin is a pipe (`journalctl -f | cni-doctor watch -`),
  // from the controlling terminal, /dev/tty; without one (cron, setsid, a container without -t) plain lines.
  let keys: TtyReadStream | undefined;
  if (wantsUi && !process.stdin.isTTY) keys = openTerminal();
  const tty = wantsUi && (!!process.stdin.isTTY || !!keys);
  if (tty) {
    // Ink renders only the final frame when it thinks it runs under CI (CI=true is common in
    // shells on build hosts and in containers). A user at a terminal asked for the live UI.
    for (const k of ['CI', 'CONTINUOUS_INTEGRATION']) delete process.env[k];
    const { render } = await import('ink');
    const { App } = await import('../ui/App.js');
    ink = render(createElement(App, { store, onQuit: () => quit(), bell: o.bell }), { exitOnCtrlC: false, ...(keys ? { stdin: keys } : {}) });
  } else {
    printer = new LinePrinter(store, (s) => process.stdout.write(s + '\n'), o.json || o.headless, o.headless ? HEADLESS_COUNT_EVERY_MS : undefined);
  }
  store.publish();

  // Finite inputs (stdin, replay) end the watch when they end, unless a UI is open, others run, or
  // metrics are served (a scraper still reads the last state; a replay feeding a dashboard).
  const endless = wantsJournal || o.files.length > 0 || !!ink || (o.headless && !!o.metrics);
  if (ending.length) {
    void Promise.all(ending).then(() => {
      if (finished) return;
      engine.finish();
      store.tick();
      // Only where no other source goes on (a replay, stdin alone): the view then says the input ended.
      if (!wantsJournal && !o.files.length) store.inputEnded();
      store.publish();
      if (!endless) quit();
    });
  }
  await quitP;
  finished = true;
  for (const s of stops.reverse()) await s();
  engine.finish();
  store.publish();
  if (ink) {
    ink.unmount();
    await ink.waitUntilExit().catch(() => undefined);
  }
  // The terminal opened for keys is let go of (Ink has put it back out of raw mode on unmount).
  keys?.destroy();
  printer?.flush();
  // Nothing is printed after the final flush and stats line.
  printer?.close();
  store.close();
  unhook();
  if (fatal) {
    process.stderr.write(`cni-doctor: ${fatal}\n`);
    return 2;
  }
  // A followed file that could not be read by the end is an input not read, as in analyze; so is a
  // name that never held a file, a glob nothing matched, and a journal journalctl found nothing in
  // (each read nothing: that is not "no known failure", exit 0).
  for (const f of followers) {
    if (f.problem) cannotRead(f.path, f.problem.message.replace(/; still trying$/, ''));
    else if (!f.opened) cannotRead(f.path, 'no such file while watched');
  }
  for (const g of globs) {
    if (matchedGlobs.has(g)) continue;
    cannotRead(g, onlyCompressed.has(g) ? `it matched only compressed files, which watch does not follow (${readCompressedHint(g)})` : 'no file matched while watched');
  }
  for (const j of journals) if (j.complaint) cannotRead('journal', `no entry read; ${j.complaint}`);
  const st = engine.state.stats;
  // A replay is of the kind analyze names (a microk8s inspect tarball, a directory), with its files.
  const kind = o.stdin ? 'stdin' : o.replay ? plan?.kind ?? 'file' : wantsJournal ? 'journal' : 'file';
  // Files alone: the kind says "file" already (it read "file  file /var/log/syslog").
  const named = sources.map((s, i) => (o.replay && i === replayAt ? `replay ${o.replay}` : kind === 'file' && !o.replay ? s.replace(/^file /, '') : s));
  engine.event({ type: 'input', input: { path: named.join(', '), kind, files: o.replay ? replayed || 1 : Math.max(1, followers.length), lines: st.lines, bytes: st.bytes } });
  const report = buildReport(engine.state, catalog, toolVersion());
  if (!tty && !o.json && !o.headless) process.stdout.write('\n' + renderText(report, { color: false }));
  // As analyze: each input not read, or read in part, named on stderr with its reason.
  for (const p of report.problems) process.stderr.write(`cni-doctor: ${p.source}: ${p.reason}\n`);
  // The same code whichever view ran: a script cannot tell the UI from plain lines.
  return exitCode(report, unreadable);
}

/** The controlling terminal for reading keys, or undefined when there is none (or it cannot be read). */
function openTerminal(): TtyReadStream | undefined {
  let fd: number;
  try {
    fd = openSync('/dev/tty', 'r');
  } catch {
    return undefined;
  }
  try {
    return new TtyReadStream(fd);
  } catch {
    closeSync(fd);
    return undefined;
  }
}

/** Can a path be one of the globs' matches, or a directory on the way to one? Segment by segment
 *  against each glob's leading segments; `**` lets anything below through. */
export function globPrefixes(globs: string[]): (p: string) => boolean {
  const parts = globs.map((g) => path.resolve(g).split('/').map((seg) => (seg === '**' ? null : seg === '' ? (s: string) => s === '' : picomatch(seg, { dot: true }))));
  return (p) => {
    const segs = p.split('/');
    return parts.some((gs) => {
      for (let i = 0; i < segs.length; i++) {
        if (i >= gs.length) return false;
        const m = gs[i];
        if (m === null) return true;
        if (!m(segs[i])) return false;
      }
      return true;
    });
  };
}

