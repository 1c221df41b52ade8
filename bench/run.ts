// The speed benchmark (npm run bench): analyze against grep -E / rg over the same regexes on a plain
// journal-style log, and against the bare decompressor on bundles; start-up time; and a correctness
// check of every analyze run against the generator's sidecar (a fast wrong answer fails the bench).
//
//   npm run bench -- [--size 256M|1G[,…]] [--runs 5] [--only plain|bundles|startup[,…]]
//                    [--bundle-size 256M] [--seed 42] [--episodes 40] [--profile] [--build] [--strict]
//
// Every measured command runs under /usr/bin/time -f '%e %M' (peak RSS of the largest process in the
// tree, which includes an `xz -dc` child of analyze); wall time is taken around the spawn. Methods on
// one input alternate run by run (A B C, B C A, …) after one unmeasured warm-up each (page cache warm),
// and the median is reported. Results go to stdout and bench/out/results.json.
import { execFileSync, spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadCatalog } from '../src/catalog/load.js';
import { MARKERS } from '../src/engine/matcher.js';
import { BENCH_DIR, OUT_DIR, ensureInspect, ensurePlain, ensureSosreport, parseSize, sizeLabel, DEFAULT_PARAMS, type Sidecar } from './generate.js';
import { catalogRegexes, translateAll, writePatternFiles } from './patterns.js';
import { formatSummary, summariseProfile, type ProfileSummary } from './profile.js';

const ROOT = path.resolve(BENCH_DIR, '..');
const CLI = path.join(ROOT, 'dist', 'src', 'cli', 'main.js');
const TIME = '/usr/bin/time';
const TMP = path.join(OUT_DIR, 'tmp');

// ---------------------------------------------------------------------------------------------------
// Options

interface Opts {
  sizes: number[];
  runs: number;
  only: Set<'plain' | 'bundles' | 'startup'>;
  bundleSize: number;
  seed: number;
  episodes: number;
  profile: boolean;
  build: boolean;
  strict: boolean;
}

function usage(msg?: string): never {
  if (msg) process.stderr.write(`bench: ${msg}\n`);
  process.stderr.write('usage: npm run bench -- [--size 256M|1G[,…]] [--runs N] [--only plain|bundles|startup[,…]] [--bundle-size 256M] [--seed N] [--episodes N] [--profile] [--build] [--strict]\n');
  process.exit(2);
}

function parseOpts(argv: string[]): Opts {
  const o: Opts = { sizes: [1 << 30], runs: 5, only: new Set(['plain', 'bundles', 'startup']), bundleSize: 256 << 20, seed: DEFAULT_PARAMS.seed, episodes: DEFAULT_PARAMS.episodes, profile: false, build: false, strict: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const val = (): string => {
      const v = argv[++i];
      if (v === undefined) usage(`${a} needs a value`);
      return v;
    };
    try {
      switch (a) {
        case '--size': o.sizes = val().split(',').map(parseSize); break;
        case '--runs': o.runs = Number(val()); if (!(o.runs >= 1)) usage('--runs must be ≥ 1'); break;
        case '--only': {
          const v = val().split(',');
          for (const x of v) if (!['plain', 'bundles', 'startup'].includes(x)) usage(`--only takes plain, bundles or startup, not ${x}`);
          o.only = new Set(v as ('plain' | 'bundles' | 'startup')[]);
          break;
        }
        case '--bundle-size': o.bundleSize = parseSize(val()); break;
        case '--seed': o.seed = Number(val()); break;
        case '--episodes': o.episodes = Number(val()); break;
        case '--profile': o.profile = true; break;
        case '--build': o.build = true; break;
        case '--strict': o.strict = true; break;
        case '--help': case '-h': usage();
        // falls through (usage exits)
        default: usage(`unknown option ${a}`);
      }
    } catch (e) {
      usage((e as Error).message);
    }
  }
  return o;
}

// ---------------------------------------------------------------------------------------------------
// Measuring

interface Sample { wall: number; timeWall: number; rssKB: number; cpu: number; code: number | null }

/** Run `cmd` under /usr/bin/time; stdout to `stdoutFile` (or /dev/null). */
function measure(cmd: string[], stdoutFile?: string, env?: NodeJS.ProcessEnv): Sample {
  const timeOut = path.join(TMP, 'time.txt');
  const outFd = openSync(stdoutFile ?? '/dev/null', 'w');
  const errFd = openSync(path.join(TMP, 'stderr.txt'), 'w');
  try {
    const t0 = process.hrtime.bigint();
    const r = spawnSync(TIME, ['-f', '%e %M %U %S', '-o', timeOut, ...cmd], { stdio: ['ignore', outFd, errFd], env: { ...process.env, ...env } });
    const wall = Number(process.hrtime.bigint() - t0) / 1e9;
    if (r.error) throw r.error;
    const last = readFileSync(timeOut, 'utf8').trim().split('\n').pop() ?? '';
    const [e, m, u, sy] = last.split(' ').map(Number);
    return { wall, timeWall: e, rssKB: m, cpu: u + sy, code: r.status };
  } finally {
    closeSync(outFd);
    closeSync(errFd);
  }
}

/** A felix log in which every line is the headline failure (one per 10 ms). */
function denseLog(size: number): string {
  const lines: string[] = [];
  let n = 0;
  for (let i = 0; n < size; i++) {
    const t = new Date(Date.UTC(2025, 4, 26, 18, 0, 0) + i * 10).toISOString();
    const l = `May 26 ${t.slice(11, 19)} node-3 calico-node[1234]: ${t.replace('T', ' ').slice(0, 23)} [ERROR][83] felix/table.go 1454: Failed to execute ip(6)tables-restore command error=exit status 2 errorOutput="ip6tables-restore v1.8.9 (nf_tables): unknown option \\"--set-mark\\"\\n" input="" ipVersion=0x6 output="" table="mangle"\n`;
    lines.push(l);
    n += l.length;
  }
  return lines.join('');
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

function loadavg(): string {
  return os.loadavg().map((x) => x.toFixed(2)).join(' ');
}

interface Method {
  name: string;
  cmd: string[];
  /** stdout is kept (analyze's JSON, grep's count) */
  keepStdout?: boolean;
  env?: NodeJS.ProcessEnv;
  /** called with each measured run's stdout file; returns a problem or undefined */
  check?: (stdout: string, s: Sample) => string | undefined;
}

interface MethodResult {
  name: string;
  cmd: string;
  walls: number[];
  median: number;
  min: number;
  max: number;
  mbps: number;
  /** median user+sys CPU seconds of the process tree (less sensitive to a busy machine than wall time) */
  cpu: number;
  /** per-round wall ratio against the input's baseline method (runs adjacent in time), median */
  paired?: number;
  rssMB: number;
  output?: string;
  problems: string[];
}

/** Methods alternate: round r runs them rotated by r; one unmeasured warm-up round first. */
function bench(methods: Method[], runs: number, bytes: number, label: string, baseline = 1): MethodResult[] {
  const samples = methods.map(() => [] as Sample[]);
  const problems = methods.map(() => [] as string[]);
  const outputs: (string | undefined)[] = methods.map(() => undefined);
  for (let round = -1; round < runs; round++) {
    const order = methods.map((_, i) => (i + Math.max(round, 0)) % methods.length);
    for (const i of order) {
      const m = methods[i];
      const outFile = m.keepStdout ? path.join(TMP, `out-${i}.txt`) : undefined;
      const s = measure(m.cmd, outFile, m.env);
      const out = outFile ? readFileSync(outFile, 'utf8') : undefined;
      const problem = m.check ? m.check(out ?? '', s) : s.code !== 0 ? `exit status ${s.code}` : undefined;
      if (problem) problems[i].push(`${round < 0 ? 'warm-up' : `run ${round + 1}`}: ${problem}`);
      if (round >= 0) samples[i].push(s);
      outputs[i] = out;
      process.stderr.write(`  ${label} ${round < 0 ? 'warm-up' : `run ${round + 1}/${runs}`} ${m.name.padEnd(24)} ${s.wall.toFixed(3)} s  cpu ${s.cpu.toFixed(2)} s  ${(s.rssKB / 1024).toFixed(0)} MiB  load ${os.loadavg()[0].toFixed(1)}${problem ? `  PROBLEM: ${problem}` : ''}\n`);
    }
  }
  return methods.map((m, i) => {
    const walls = samples[i].map((s) => s.wall);
    const med = median(walls);
    return {
      name: m.name, cmd: m.cmd.map((c) => (c.includes(' ') ? `'${c}'` : c)).join(' ').replace(ROOT + '/', ''),
      walls: walls.map((w) => Math.round(w * 1000) / 1000), median: med, min: Math.min(...walls), max: Math.max(...walls),
      mbps: bytes / 1e6 / med, cpu: median(samples[i].map((s) => s.cpu)),
      paired: i === baseline ? 1 : median(samples[i].map((s, r) => s.wall / samples[baseline][r].wall)), rssMB: Math.max(...samples[i].map((s) => (s.rssKB * 1024) / 1e6)),
      output: outputs[i]?.length && outputs[i]!.length < 200 ? outputs[i]!.trim() : undefined, problems: problems[i],
    };
  });
}

// ---------------------------------------------------------------------------------------------------
// Correctness

interface Report {
  diagnoses: { id: string; occurrences: number }[];
  facts: Record<string, { value: string }>;
  stats: { lines: number; bytes: number; records: number; regexRuns: number };
  problems?: { source: string; reason: string }[];
}

interface Check { ok: boolean; problems: string[]; warnings: string[]; got: Record<string, number>; stats?: Report['stats'] }

export function checkReport(json: string, sc: Sidecar, exitCode: number | null): Check {
  const problems: string[] = [];
  const warnings: string[] = [];
  let r: Report;
  try {
    r = JSON.parse(json) as Report;
  } catch {
    return { ok: false, problems: [`output is not JSON (exit ${exitCode}): ${json.slice(0, 200)}`], warnings, got: {} };
  }
  const got: Record<string, number> = {};
  for (const d of r.diagnoses ?? []) got[d.id] = d.occurrences;
  const want = sc.expect.diagnoses;
  for (const [id, n] of Object.entries(want)) {
    if (!(id in got)) problems.push(`missing diagnosis ${id} (want ${n} occurrences)`);
    else if (got[id] !== n) problems.push(`${id}: ${got[id]} occurrences, want ${n}`);
  }
  for (const id of Object.keys(got)) if (!(id in want)) problems.push(`unexpected diagnosis ${id} (${got[id]} occurrences)`);
  const wantExit = Object.keys(want).length ? 1 : 0;
  if (exitCode !== wantExit) problems.push(`exit status ${exitCode}, want ${wantExit}`);
  for (const [k, v] of Object.entries(sc.expect.facts)) {
    if (r.facts?.[k]?.value !== v) warnings.push(`fact ${k} = ${r.facts?.[k]?.value ?? '(absent)'}, the log says ${v}`);
  }
  for (const p of r.problems ?? []) warnings.push(`report problem: ${p.source}: ${p.reason}`);
  return { ok: problems.length === 0, problems, warnings, got, stats: r.stats };
}

// ---------------------------------------------------------------------------------------------------
// Output

function fmtS(s: number): string {
  return s < 10 ? s.toFixed(3) : s.toFixed(2);
}

function table(headers: string[], rows: string[][]): string {
  const w = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]): string => cells.map((c, i) => (i === 0 ? c.padEnd(w[i]) : c.padStart(w[i]))).join('  ');
  return [line(headers), w.map((n) => '-'.repeat(n)).join('  '), ...rows.map(line)].join('\n');
}

interface InputResult {
  input: string;
  kind: string;
  file: string;
  bytes: number;
  fileBytes: number;
  lines: number;
  generatedSeconds: number;
  compressSeconds?: number;
  loadBefore: string;
  loadAfter: string;
  methods: MethodResult[];
  baseline: string;
  correctness: { ok: boolean; runsChecked: number; problems: string[]; warnings: string[]; expected: Record<string, number>; got: Record<string, number> };
  analyzeStats?: Report['stats'];
}

function printInput(r: InputResult): void {
  const base = r.methods.find((m) => m.name === r.baseline)!;
  const rg = r.methods.find((m) => m.name.startsWith('rg'));
  const b = r.baseline.split(' ')[0];
  const headers = ['method', 'wall s (median)', 'min–max', 'MB/s', `× ${b}`, `× ${b} paired`, ...(rg && r.baseline !== rg.name ? ['× rg'] : []), 'CPU s', `CPU × ${b}`, 'peak RSS MB'];
  const rows = r.methods.map((m) => [
    m.name, fmtS(m.median), `${fmtS(m.min)}–${fmtS(m.max)}`, m.mbps.toFixed(0), (m.median / base.median).toFixed(2), (m.paired ?? 1).toFixed(2),
    ...(rg && r.baseline !== rg.name ? [(m.median / rg.median).toFixed(2)] : []), fmtS(m.cpu), (m.cpu / base.cpu).toFixed(2), m.rssMB.toFixed(0),
  ]);
  process.stdout.write(`\n== ${r.input}: ${(r.bytes / 1e6).toFixed(1)} MB${r.kind !== 'plain' ? ` decompressed (${(r.fileBytes / 1e6).toFixed(1)} MB on disk)` : ''}, ${r.lines} lines; load ${r.loadBefore} → ${r.loadAfter}\n`);
  process.stdout.write(table(headers, rows) + '\n');
  const a = r.analyzeStats;
  if (a) process.stdout.write(`analyze: ${a.records} candidate records, ${a.regexRuns} regex runs (${((a.regexRuns / a.lines) * 100).toFixed(3)}% of lines)\n`);
  const c = r.correctness;
  process.stdout.write(`correctness (${c.runsChecked} analyze runs): ${c.ok ? 'OK' : 'FAILED'} — want ${JSON.stringify(c.expected)}${c.ok ? '' : `, got ${JSON.stringify(c.got)}`}\n`);
  for (const p of c.problems.slice(0, 10)) process.stdout.write(`  ✗ ${p}\n`);
  for (const w of [...new Set(c.warnings)].slice(0, 5)) process.stdout.write(`  ! ${w}\n`);
  for (const m of r.methods) for (const p of m.problems.slice(0, 3)) if (m.name !== 'analyze') process.stdout.write(`  ! ${m.name}: ${p}\n`);
}

// ---------------------------------------------------------------------------------------------------
// Main

function gitState(): string {
  try {
    const head = execFileSync('git', ['-C', ROOT, 'rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['-C', ROOT, 'status', '--porcelain', '--', 'src', 'patterns'], { encoding: 'utf8' }).trim();
    return `${head}${dirty ? ' (src/patterns modified)' : ''}`;
  } catch {
    return 'unknown';
  }
}

function newestMtime(dir: string): number {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (!e.isFile()) continue;
    const p = path.join(e.parentPath ?? (e as unknown as { path: string }).path, e.name);
    t = Math.max(t, statSync(p).mtimeMs);
  }
  return t;
}

function freeBytes(dir: string): number {
  const out = execFileSync('df', ['-B1', '--output=avail', dir], { encoding: 'utf8' }).trim().split('\n').pop()!;
  return Number(out.trim());
}

function have(cmd: string): boolean {
  return spawnSync('bash', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}

async function main(): Promise<void> {
  const o = parseOpts(process.argv.slice(2));
  mkdirSync(TMP, { recursive: true });
  if (!existsSync(TIME)) usage(`${TIME} (GNU time) is needed for peak RSS: apt-get install time`);
  for (const t of ['grep', 'xz', 'gzip', 'zcat', 'tar']) if (!have(t)) usage(`${t} is needed`);
  const hasRg = have('rg');

  if (o.build) {
    process.stderr.write('bench: npm run build …\n');
    execFileSync('npm', ['run', '--silent', 'build'], { cwd: ROOT, stdio: 'inherit' });
  }
  if (!existsSync(CLI)) usage(`${path.relative(ROOT, CLI)} is missing: run npm run build (or pass --build)`);
  const stale = newestMtime(path.join(ROOT, 'src')) > statSync(CLI).mtimeMs;
  if (stale) process.stderr.write('bench: WARNING: src/ is newer than dist/: the figures are for the last build (pass --build)\n');

  // Disk: only what is not cached yet.
  const need = (o.only.has('plain') ? o.sizes.reduce((a, b) => a + b, 0) : 0) + (o.only.has('bundles') ? o.bundleSize * 1.3 : 0);
  const free = freeBytes(ROOT);
  if (free < need * 1.2 + (2 << 30)) usage(`not enough disk under ${ROOT}: ${(free / 2 ** 30).toFixed(1)} GiB free, up to ${((need * 1.2) / 2 ** 30).toFixed(1)} GiB needed`);

  // grep/rg patterns from the catalog
  const catalog = loadCatalog([]);
  const { regexes, notCounted } = catalogRegexes(catalog, MARKERS);
  const { translated, skipped } = translateAll(regexes);
  const pf = writePatternFiles(OUT_DIR, translated);
  process.stdout.write(`cni-doctor bench — ${new Date().toISOString()}, git ${gitState()}${stale ? ' [dist older than src]' : ''}, node ${process.version}, ${os.cpus().length} CPUs, load ${loadavg()}\n`);
  process.stdout.write(`patterns: ${regexes.length} regexes analyze may run on a plain log → ${translated.length} in ${path.relative(ROOT, pf.grep)} (ERE) and ${path.relative(ROOT, pf.rg)} (rg); ${skipped.length} cannot translate${skipped.length ? ` (${skipped.map((s) => `${s.source}: ${s.reason}`).join('; ')})` : ''}; not counted: ${notCounted.length} (also-regexes run only after a match, file-bound fact rules)\n`);
  process.stdout.write(`runs: median of ${o.runs} after 1 warm-up, methods alternating; machine shared (timings are noisy)\n`);

  const inputs: InputResult[] = [];
  let correctnessOk = true;
  const analyzeMethod = (file: string, sc: Sidecar, checks: Check[], extra: string[] = [], as?: { name: string; env: NodeJS.ProcessEnv }): Method => ({
    name: as?.name ?? ['analyze', ...extra].join(' '), cmd: [process.execPath, CLI, 'analyze', file, '--json', ...extra], keepStdout: true, env: { NO_COLOR: '1', ...as?.env },
    check(out, s) {
      const c = checkReport(out, sc, s.code);
      checks.push(c);
      return c.ok ? undefined : c.problems.join('; ');
    },
  });
  const finishInput = (label: string, sc: Sidecar, bytes: number, methods: MethodResult[], baseline: string, checks: Check[], loadBefore: string): InputResult => {
    const measured = checks.slice(1);
    const bad = checks.filter((c) => !c.ok);
    const r: InputResult = {
      input: label, kind: sc.kind, file: path.relative(ROOT, sc.file), bytes, fileBytes: sc.fileBytes, lines: sc.stats.lines,
      generatedSeconds: sc.generatedSeconds, compressSeconds: sc.compressSeconds, loadBefore, loadAfter: loadavg(), methods, baseline,
      correctness: {
        ok: bad.length === 0 && checks.length > 0, runsChecked: checks.length, problems: [...new Set(bad.flatMap((c) => c.problems))],
        warnings: [...new Set(checks.flatMap((c) => c.warnings))], expected: sc.expect.diagnoses, got: (bad[0] ?? measured[0] ?? checks[0])?.got ?? {},
      },
      analyzeStats: checks[checks.length - 1]?.stats,
    };
    if (!r.correctness.ok) correctnessOk = false;
    inputs.push(r);
    printInput(r);
    return r;
  };

  if (o.only.has('plain')) {
    for (const size of o.sizes) {
      const sc = ensurePlain({ size, seed: o.seed, episodes: o.episodes });
      const checks: Check[] = [];
      const methods: Method[] = [
        analyzeMethod(sc.file, sc, checks),
        // The same scan without the worker thread: what splitting the file buys.
        analyzeMethod(sc.file, sc, checks, ['--jobs', '1']),
        { name: 'grep -c -E -f', cmd: ['grep', '-c', '-E', '-f', pf.grep, sc.file], keepStdout: true, env: { LC_ALL: 'C' }, check: (_o, s) => (s.code === 0 || s.code === 1 ? undefined : `exit status ${s.code}`) },
        ...(hasRg ? [{ name: 'rg -c -f', cmd: ['rg', '-c', '-f', pf.rg, sc.file], keepStdout: true, check: (_o: string, s: Sample) => (s.code === 0 || s.code === 1 ? undefined : `exit status ${s.code}`) }] : []),
      ];
      const lb = loadavg();
      // paired ratios against grep, as the table's header says (the default baseline is the second method)
      const res = bench(methods, o.runs, sc.fileBytes, `plain ${sizeLabel(size)}`, methods.findIndex((m) => m.name.startsWith('grep')));
      finishInput(`plain journal ${sizeLabel(size)}`, sc, sc.fileBytes, res, 'grep -c -E -f', checks, lb);
    }
  }

  if (o.only.has('bundles')) {
    const sos = ensureSosreport({ size: o.bundleSize, seed: o.seed, episodes: o.episodes });
    const insp = ensureInspect({ size: o.bundleSize, seed: o.seed, episodes: o.episodes });
    for (const [sc, dec] of [[sos, ['xz', '-dc']], [insp, ['zcat']]] as const) {
      const checks: Check[] = [];
      const name = `${dec.join(' ')} > /dev/null`;
      const lb = loadavg();
      // For xz, also: what any reader at the other end of the program's pipe costs (cat), and the design
      // before the in-process liblzma decoder, analyze reading that pipe.
      const floor: Method[] = dec[0] === 'xz' ? [
        { name: `${dec.join(' ')} | cat`, cmd: ['sh', '-c', `${dec.join(' ')} "$0" | cat > /dev/null`, sc.file] },
        analyzeMethod(sc.file, sc, checks, [], { name: 'analyze via xz -dc pipe', env: { CNI_DOCTOR_NO_LIBLZMA: '1' } }),
      ] : [];
      const res = bench([analyzeMethod(sc.file, sc, checks), { name, cmd: [...dec, sc.file] }, ...floor], o.runs, sc.tarBytes!, sc.kind);
      finishInput(`${sc.kind} ${sizeLabel(o.bundleSize)} (${path.basename(sc.file)})`, sc, sc.tarBytes!, res, name, checks, lb);
    }
  }

  // Memory on the worst input for it: every line a failure, so every line is an event to reduce.
  let dense: { bytes: number; wall: number; rssMB: number } | undefined;
  if (o.only.has('plain')) {
    const file = path.join(OUT_DIR, 'all-failures-64M.log');
    if (!existsSync(file)) writeFileSync(file, denseLog(64 << 20));
    const s = measure([process.execPath, CLI, 'analyze', file, '--json']);
    dense = { bytes: statSync(file).size, wall: s.wall, rssMB: (s.rssKB * 1024) / 1e6 };
    process.stderr.write(`  dense 64M: ${s.wall.toFixed(2)} s, ${dense.rssMB.toFixed(0)} MB peak RSS\n`);
  }

  let startup: { walls: number[]; median: number; cpu: number; rssMB: number; nodeAlone: { median: number; cpu: number } } | undefined;
  if (o.only.has('startup')) {
    // --help alternating with a bare `node -e 0`, to show what node itself costs on this machine right now.
    const help: Sample[] = [];
    const bare: Sample[] = [];
    measure([process.execPath, CLI, '--help']);
    measure([process.execPath, '-e', '0']);
    for (let i = 0; i < 10; i++) {
      const s = measure([process.execPath, CLI, '--help']);
      if (s.code !== 0) throw new Error(`--help exited ${s.code}`);
      help.push(s);
      bare.push(measure([process.execPath, '-e', '0']));
    }
    const walls = help.map((s) => s.wall);
    const rss = Math.max(...help.map((s) => (s.rssKB * 1024) / 1e6));
    startup = {
      walls: walls.map((w) => Math.round(w * 1000) / 1000), median: median(walls), cpu: median(help.map((s) => s.cpu)), rssMB: rss,
      nodeAlone: { median: median(bare.map((s) => s.wall)), cpu: median(bare.map((s) => s.cpu)) },
    };
    const ms = (x: number): string => (x * 1000).toFixed(0);
    process.stdout.write(`\n== start-up: node dist/src/cli/main.js --help, median of 10: ${ms(startup.median)} ms wall (min ${ms(Math.min(...walls))}, max ${ms(Math.max(...walls))}), ${ms(startup.cpu)} ms CPU, peak RSS ${rss.toFixed(0)} MB; bare \`node -e 0\` alternating: ${ms(startup.nodeAlone.median)} ms wall, ${ms(startup.nodeAlone.cpu)} ms CPU\n`);
  }

  // Targets (from the "Speed" issue)
  interface Target { target: string; measured: string; result: 'PASS' | 'MISS' | 'n/a'; note?: string }
  const targets: Target[] = [];
  const plain = inputs.filter((i) => i.kind === 'plain');
  const big = plain.find((i) => i.bytes >= 1 << 30) ?? plain[plain.length - 1];
  if (big) {
    const a = big.methods.find((m) => m.name === 'analyze')!;
    const g = big.methods.find((m) => m.name.startsWith('grep'))!;
    const ratio = a.median / g.median;
    const note = big.bytes >= 1 << 30 ? undefined : `measured on ${big.input}, not 1 GiB`;
    targets.push({ target: '1 GiB plain log: analyze wall ≤ grep -E wall', measured: `${ratio.toFixed(2)}× (${fmtS(a.median)} s vs ${fmtS(g.median)} s; paired ${a.paired!.toFixed(2)}×, CPU ${(a.cpu / g.cpu).toFixed(2)}×)`, result: ratio <= 1 ? 'PASS' : 'MISS', note });
    targets.push({ target: '  stretch: ≤ 0.8× grep -E', measured: `${ratio.toFixed(2)}×`, result: ratio <= 0.8 ? 'PASS' : 'MISS', note });
  } else targets.push({ target: '1 GiB plain log: analyze wall ≤ grep -E wall', measured: '-', result: 'n/a' });
  for (const [kind, label] of [['sosreport-tar.xz', '.tar.xz within 1.2× of xz -dc'], ['inspect-tar.gz', '.tar.gz within 1.2× of zcat']] as const) {
    const b = inputs.find((i) => i.kind === kind);
    if (!b) { targets.push({ target: label, measured: '-', result: 'n/a' }); continue; }
    const a = b.methods.find((m) => m.name === 'analyze')!;
    const d = b.methods.find((m) => m.name === b.baseline)!;
    const ratio = a.median / d.median;
    const pipe = b.methods.find((m) => m.name.endsWith('| cat'));
    const viaPipe = b.methods.find((m) => m.name === 'analyze via xz -dc pipe');
    const notes = [
      pipe && `the pipe alone, ${pipe.name}: ${(pipe.median / d.median).toFixed(2)}× (paired ${pipe.paired!.toFixed(2)}×)`,
      viaPipe && `analyze through xz -dc's pipe instead of liblzma: ${(viaPipe.median / d.median).toFixed(2)}×`,
    ].filter(Boolean);
    const note = notes.length ? notes.join('; ') : undefined;
    targets.push({ target: label, measured: `${ratio.toFixed(2)}× (${fmtS(a.median)} s vs ${fmtS(d.median)} s; paired ${a.paired!.toFixed(2)}×, CPU ${(a.cpu / d.cpu).toFixed(2)}×)`, result: ratio <= 1.2 ? 'PASS' : 'MISS', note });
  }
  if (inputs.length) {
    const worst = inputs.map((i) => ({ i, m: i.methods.find((m) => m.name === 'analyze')! })).sort((x, y) => y.m.rssMB - x.m.rssMB)[0];
    const d = dense ? ` ; ${dense.rssMB.toFixed(0)} MB on a ${(dense.bytes / 2 ** 20).toFixed(0)} MiB log where every line is a failure (${fmtS(dense.wall)} s)` : '';
    const max = Math.max(worst.m.rssMB, dense?.rssMB ?? 0);
    targets.push({ target: 'analyze peak RSS ≤ 150 MB for any input', measured: `${worst.m.rssMB.toFixed(0)} MB max (${worst.i.input})${d}`, result: max <= 150 ? 'PASS' : 'MISS' });
  } else targets.push({ target: 'analyze peak RSS ≤ 150 MB for any input', measured: '-', result: 'n/a' });
  if (startup) targets.push({ target: '--help start-up < 300 ms', measured: `${(startup.median * 1000).toFixed(0)} ms (bare node ${(startup.nodeAlone.median * 1000).toFixed(0)} ms)`, result: startup.median < 0.3 ? 'PASS' : 'MISS' });
  else targets.push({ target: '--help start-up < 300 ms', measured: '-', result: 'n/a' });
  const allCorrect = correctnessOk && inputs.every((i) => i.correctness.ok);
  process.stdout.write('\n== targets\n');
  process.stdout.write(table(['target', 'measured', 'result'], targets.map((t) => [t.target, t.measured + (t.note ? ` [${t.note}]` : ''), t.result])) + '\n');
  process.stdout.write(`correctness: ${inputs.length ? (allCorrect ? 'every analyze run reported exactly the injected diagnoses and occurrence counts' : 'FAILED (see above): the bench fails') : 'n/a'}\n`);

  let profiles: (ProfileSummary & { file: string })[] = [];
  if (o.profile) {
    const target = plain[plain.length - 1]?.file ?? ensurePlain({ size: o.sizes[o.sizes.length - 1], seed: o.seed, episodes: o.episodes }).file;
    const dir = path.join(OUT_DIR, 'prof');
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    spawnSync(process.execPath, ['--cpu-prof', `--cpu-prof-dir=${dir}`, CLI, 'analyze', path.resolve(ROOT, target), '--json'], { stdio: ['ignore', 'ignore', 'inherit'] });
    // One profile per thread (main, and a scan worker if analyze uses one): biggest first.
    const files = readdirSync(dir).filter((x) => x.endsWith('.cpuprofile')).map((x) => path.join(dir, x)).sort((a, b) => statSync(b).size - statSync(a).size);
    profiles = files.map((f) => ({ file: path.relative(ROOT, f), ...summariseProfile(f, 20) }));
    for (const p of profiles) process.stdout.write(`\n== cpu profile of analyze ${target}, thread ${p.file}\n${formatSummary(p)}\n`);
  }

  const results = {
    date: new Date().toISOString(), git: gitState(), distStale: stale, node: process.version, cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model,
    options: { ...o, only: [...o.only] }, patterns: { regexes: regexes.length, translated: translated.length, skipped, notCounted: notCounted.length, grepFile: path.relative(ROOT, pf.grep), rgFile: path.relative(ROOT, pf.rg) },
    inputs, startup, targets, correct: allCorrect, profiles,
  };
  writeFileSync(path.join(OUT_DIR, 'results.json'), JSON.stringify(results, null, 2) + '\n');
  process.stdout.write(`\nresults: ${path.relative(ROOT, path.join(OUT_DIR, 'results.json'))}\n`);
  if (inputs.length && !allCorrect) process.exit(1);
  if (o.strict && targets.some((t) => t.result === 'MISS')) process.exit(3);
}

await main();
