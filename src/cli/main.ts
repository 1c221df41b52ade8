#!/usr/bin/env node
// Argument parsing and wiring only: each verb lives in its own module.
// Verbs are imported when they run, so `--help` starts fast.
import { Command, CommanderError, Option } from 'commander';
import type { Catalog } from '../catalog/load.js';
import { toolVersion } from './version.js';
import { fail } from './fail.js';
import { registerExport } from './export.js';
import { boundHeap, leanHeap } from '../runtime/heap.js';
import { LIMITS, sizeArg } from '../sources/bundle/limits.js';

async function catalogFrom(dirs: string[] | undefined, opts: { checkRegexes?: boolean } = {}): Promise<Catalog> {
  if (!dirs?.length) {
    // The common case reads the build-time JSON and never loads the YAML and schema libraries.
    const { builtinPatternDir, readCachedCatalog } = await import('../catalog/builtin-cache.js');
    const dir = builtinPatternDir();
    const cached = readCachedCatalog(dir);
    if (cached) return { ...cached, dirs: [dir] };
  }
  const { CatalogError, loadCatalog } = await import('../catalog/load.js');
  let cat: Catalog;
  try {
    // Without --patterns the cache was just found missing or stale: do not hash the YAML again.
    cat = loadCatalog(dirs ?? [], { cache: !!dirs?.length });
  } catch (e) {
    if (e instanceof CatalogError) fail(`bad pattern file ${e.message}`);
    throw e;
  }
  if (dirs?.length && opts.checkRegexes !== false) {
    // The built-in regexes are linted at build time; a user's are checked before any scan runs
    // them, because one that backtracks catastrophically hangs the scan instead of failing it.
    const { unsafeRegex } = await import('../catalog/lint.js');
    const builtin = cat.dirs[0];
    const bad = unsafeRegex(cat, (f) => !f.startsWith(`${builtin}/`));
    if (bad) fail(`bad pattern file ${bad.file}${bad.line ? `:${bad.line}` : ''}: ${bad.id}: ${bad.problem} (patterns lint checks a whole directory)`);
  }
  return cat;
}

const patterns = (): Promise<typeof import('./patterns.js')> => import('./patterns.js');

function bytes(v: string): number {
  const m = /^(\d+(?:\.\d+)?)([KMGT]i?B?)?$/i.exec(v.trim());
  if (!m) throw new CommanderError(2, 'cni-doctor.bytes', `not a size: ${v} (e.g. 512M, 2G)`);
  const mult = { K: 1024, M: 1024 ** 2, G: 1024 ** 3, T: 1024 ** 4 }[(m[2] ?? '').charAt(0).toUpperCase() as 'K'] ?? 1;
  const n = Math.floor(Number(m[1]) * mult);
  // 0 would read as "no limit" to the readers; a limit of nothing is no use either.
  if (n < 1) throw new CommanderError(2, 'cni-doctor.bytes', `a size limit must be at least 1 byte, not ${v} (to read everything, leave the option out)`);
  return n;
}

function jobsArg(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new CommanderError(2, 'cni-doctor.jobs', `--jobs takes a whole number ≥ 1, not ${v}`);
  return n;
}

const collect = (v: string, prev: string[] = []): string[] => [...prev, v];

const EXIT_CODES = `
Exit codes:
  0  no known failure (or only ones no longer current: not seen since a later boot)
  1  a current diagnosis of severity warning or worse
  2  a usage error, or an input not read or read only in part (named on stderr);
     a diagnosis found in the rest still gives 1`;

export function program(): Command {
  const prog = new Command('cni-doctor')
    .description('Which known CNI failure is this node in, why, and what to do — from its own logs.')
    .version(toolVersion())
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();

  prog.command('analyze')
    .description('analyze log files, directories, support bundles (microk8s inspect, sosreport), journals, or - for stdin')
    .argument('<paths...>', 'files, directories, bundles, or - for stdin')
    .option('--json', 'print the JSON report')
    .addOption(new Option('--format <format>', 'report format').choices(['text', 'json', 'markdown']).default('text'))
    .option('--patterns <dir>', 'add a directory of pattern files (same id replaces the built-in one)', collect)
    .option('--no-color', 'no colour (NO_COLOR is honoured too)')
    .option('--max-entry-bytes <size>', `read at most this much of one bundle entry, e.g. 512M or 4G (default: ${sizeArg(LIMITS.entryBytes)})`, bytes)
    .option('--max-total-bytes <size>', `read at most this much decompressed data from one archive, e.g. 64G (default: ${sizeArg(LIMITS.totalBytes)})`, bytes)
    .option('--jobs <n>', '1: scan every file on the main thread; 2 or more (the default with 2 cores): scan a log of 512 MiB or more with few hits as two halves at once', jobsArg)
    .action(async (paths: string[], o) => {
      // stdin can be read only once; a second - would wait for bytes that never come.
      if (paths.filter((p) => p === '-').length > 1) throw new CommanderError(2, 'cni-doctor.args', '- (stdin) can be given only once: pass it once, or save the stream to a file and name that file');
      if (o.json && o.format !== 'text' && o.format !== 'json') throw new CommanderError(2, 'cni-doctor.args', `--json and --format ${o.format} ask for two reports: give one of them`);
      const cat = await catalogFrom(o.patterns);
      const { runAnalyze } = await import('./analyze.js');
      process.exitCode = await runAnalyze(paths, cat, { json: o.json, format: o.format, color: o.color === false ? false : undefined, maxEntryBytes: o.maxEntryBytes, maxTotalBytes: o.maxTotalBytes, jobs: o.jobs });
    })
    .addHelpText('after', EXIT_CODES);

  prog.command('watch')
    .description('follow a live node (journal, files, stdin) or replay a recording, and show the diagnosis as it changes')
    .argument('[stdin]', '- to read stdin (e.g. journalctl -f | cni-doctor watch -)')
    .option('--journal', 'follow the systemd journal (the default when journalctl exists and no other source is given)')
    .option('--unit <glob>', 'journal units to follow (repeatable; default snap.microk8s.*)', collect)
    .option('--no-kernel', 'leave kernel messages out of the journal follow')
    .option('--journal-dir <dir>', 'follow journal files copied from elsewhere (journalctl -D)')
    .option('--journal-file <file>', 'follow one journal file (repeatable)', collect)
    .option('--since <time>', 'read journal history from this time first (journalctl --since)')
    .option('--file <path>', 'follow a log file; globs pick up new files (repeatable)', collect)
    .option('--from-start', 'read followed files (and journals) from their start, not from now')
    .option('--replay <path>', 'replay a recorded log, directory or bundle at its original pace')
    .option('--speed <n>', 'replay speed factor (1: the recording\'s own pace; 60: an hour a minute; 0: as fast as possible)', (v) => Number(v), 1)
    .option('--json', 'JSON Lines events instead of the UI')
    .option('--no-tui', 'plain lines even on a terminal')
    .option('--headless', 'no UI: JSON Lines on stdout (for DaemonSets); stdin or a replay ending ends it, unless --metrics is serving')
    .option('--metrics <addr>', 'serve Prometheus metrics, e.g. :9464')
    .option('--bell', 'ring the terminal bell once when a new critical diagnosis appears')
    .option('--patterns <dir>', 'add a directory of pattern files', collect)
    .action(async (stdin: string | undefined, o) => {
      if (stdin !== undefined && stdin !== '-') throw new CommanderError(2, 'cni-doctor.args', `watch takes - (stdin) or options, not ${stdin}: did you mean --file ${stdin} or --replay ${stdin}?`);
      if (!Number.isFinite(o.speed) || o.speed < 0) throw new CommanderError(2, 'cni-doctor.args', '--speed must be a number ≥ 0');
      // A replay plays its recording with the recording's own times; silently ignoring these misleads.
      if (o.replay && o.since) throw new CommanderError(2, 'cni-doctor.args', '--since selects journal history; a replay plays the whole recording: drop --since (or cut the recording first)');
      if (o.replay && stdin === '-') throw new CommanderError(2, 'cni-doctor.args', '--replay and - (stdin) cannot be combined: replay a recording, or pipe the log into watch -');
      leanHeap();
      const { runWatch } = await import('./watch.js');
      process.exitCode = await runWatch(await catalogFrom(o.patterns), {
        stdin: stdin === '-', journal: o.journal, units: o.unit ?? ['snap.microk8s.*'], kernel: o.kernel !== false,
        journalDir: o.journalDir, journalFiles: o.journalFile ?? [], since: o.since, files: o.file ?? [], fromStart: !!o.fromStart,
        replay: o.replay, speed: o.speed, json: !!o.json, tui: o.tui !== false, headless: !!o.headless, metrics: o.metrics, bell: !!o.bell,
      });
      // The final report is out and every source was closed. A handle some dependency still holds
      // (a file watcher closed in the middle of its scan) must not keep an ended watch running after
      // q or SIGTERM; but what a slow reader of a pipe has not taken yet is still written first (a
      // pipe is asynchronous: exiting with it buffered lost the final report).
      const exitWhenWritten = (): void => {
        if (process.stdout.writableLength || process.stderr.writableLength) setTimeout(exitWhenWritten, 100).unref();
        else process.exit();
      };
      setTimeout(exitWhenWritten, 1000).unref();
    })
    .addHelpText('after', `${EXIT_CODES}\n  (at the end of the watch: q, Ctrl-C, SIGTERM, or the end of stdin or a replay)`);

  const pat = prog.command('patterns').description('list, show, test and lint the knowledge base');
  const patOpts = (c: Command): Command => c.option('--json', 'JSON output').option('--patterns <dir>', 'add a directory of pattern files', collect);
  patOpts(pat.command('list').description('every known failure class')).action(async (o) => { process.exitCode = (await patterns()).patternsList(await catalogFrom(o.patterns), !!o.json); });
  patOpts(pat.command('show').argument('<id>').description('one failure class in full')).action(async (id: string, o) => { process.exitCode = (await patterns()).patternsShow(await catalogFrom(o.patterns), id, !!o.json); });
  patOpts(pat.command('test').description('run every positive and negative example through the scanner')).action(async (o) => { process.exitCode = (await patterns()).patternsTest(await catalogFrom(o.patterns), !!o.json); });
  patOpts(pat.command('lint').description('RE2 syntax, backtracking shapes, literals, references, examples')).action(async (o) => { process.exitCode = await (await patterns()).patternsLint(await catalogFrom(o.patterns, { checkRegexes: false }), !!o.json); });
  pat.command('schema').description('print the JSON Schema of pattern files').option('--write', 'write patterns/schema.json').action(async (o) => { process.exitCode = (await patterns()).patternsSchema(!!o.write); });
  pat.command('cache').description('parse and validate the built-in patterns once, for fast start-up (run by the build)').action(async () => {
    const { writeCatalogCache, CatalogError } = await import('../catalog/load.js');
    try {
      writeCatalogCache();
    } catch (e) {
      if (e instanceof CatalogError) fail(`bad pattern file ${e.message}`);
      throw e;
    }
  });
  registerExport(prog, catalogFrom);
  return prog;
}

export async function main(argv: string[]): Promise<void> {
  boundHeap();
  // `cni-doctor … | head` closes the pipe early: that is not an error.
  process.stdout.on('error', (e: NodeJS.ErrnoException) => { if (e.code === 'EPIPE' || e.code === 'EIO') process.exit(process.exitCode ?? 0); else throw e; });
  // The same for stderr (`2>&1 | head`): the notes are lost with the reader, the exit code is not.
  process.stderr.on('error', (e: NodeJS.ErrnoException) => { if (e.code !== 'EPIPE' && e.code !== 'EIO') throw e; });
  try {
    await program().parseAsync(argv);
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.exitCode === 0) process.exit(0);
      if (e.code.startsWith('cni-doctor.')) process.stderr.write(`cni-doctor: ${e.message}\n`);
      process.exit(2);
    }
    fail((e as Error).message);
  }
}

await main(process.argv);
