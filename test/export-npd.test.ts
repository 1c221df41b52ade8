// `export npd`: the configs have node-problem-detector's shape, every catalog regex translates to Go
// RE2, and every translated rule fires — under NPD's own semantics (`pattern + "\z"` searched in the
// last bufferSize messages joined by "\n") — on the journal messages of the pattern file's own
// positive examples. The journal prefix is stripped here independently of the exporter's code.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { RE2JS } from 're2js';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { loadCatalog, type Catalog } from '../src/catalog/load.js';
import { buildNpd, npdConfigMap, npdFlag, npdJson, type NpdConfig } from '../src/export/npd.js';
import { ExportError, npdPattern, translateRegex } from '../src/export/re2.js';
import { camel, lineRegex } from '../src/export/visibility.js';
import { runExportNpd } from '../src/cli/export-run.js';
import { registerExport } from '../src/cli/export.js';
import { Command } from 'commander';

const cat = loadCatalog();

// ---- NPD's config shape (pkg/systemlogmonitor/config.go, logwatchers/types, types/types.go) ----
const goDuration = z.string().regex(/^(0|(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+)$/);
const npdSchema = z.object({
  plugin: z.literal('journald'),
  pluginConfig: z.object({ source: z.string().min(1).regex(/^\S+$/) }),
  logPath: z.string(),
  lookback: goDuration,
  bufferSize: z.number().int().positive(),
  source: z.string().min(1),
  metricsReporting: z.boolean().optional(),
  conditions: z.array(z.strictObject({ type: z.string().regex(/^[A-Z][A-Za-z0-9]*$/), reason: z.string().regex(/^[A-Z][A-Za-z0-9]*$/), message: z.string().min(1) })),
  rules: z.array(z.strictObject({
    type: z.enum(['temporary', 'permanent']),
    condition: z.string().optional(),
    reason: z.string().regex(/^[A-Z][A-Za-z0-9]*$/),
    pattern: z.string().min(1),
  })).min(1),
}).superRefine((c, ctx) => {
  const declared = new Set(c.conditions.map((x) => x.type));
  if (declared.size !== c.conditions.length) ctx.addIssue({ code: 'custom', message: 'condition type declared twice' });
  c.rules.forEach((r, i) => {
    if (r.type === 'permanent' && (!r.condition || !declared.has(r.condition))) ctx.addIssue({ code: 'custom', path: ['rules', i], message: `permanent rule names undeclared condition ${r.condition}` });
    if (r.type === 'temporary' && r.condition) ctx.addIssue({ code: 'custom', path: ['rules', i], message: 'temporary rule with a condition' });
  });
  for (const t of declared) if (!c.rules.some((r) => r.condition === t)) ctx.addIssue({ code: 'custom', message: `condition ${t} has no rule` });
});

// ---- the journal prefix, stripped without the exporter's parser ----
const JOURNAL_SHORT = /^[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d(?:\.\d+)? \S+ ([^\s[:]+)(?:\[\d+\])?: ?(.*)$/;
const JOURNAL_ISO = /^\d{4}-\d\d-\d\dT[\d:.]+(?:Z|[+-]\d\d:?\d\d) \S+ ([^\s[:]+)(?:\[\d+\])?: ?(.*)$/;
function messages(text: string): { id: string; msg: string }[] {
  return text.split('\n').flatMap((l) => {
    const m = JOURNAL_SHORT.exec(l) ?? JOURNAL_ISO.exec(l);
    return m ? [{ id: m[1], msg: m[2].trim() }] : [];
  });
}

/** NPD's log_buffer.go: after each message, match `pattern\z` in the ring buffer joined by "\n". */
function npdFires(pattern: string, msgs: string[], bufferSize: number): boolean {
  const re = RE2JS.compile(pattern + '\\z');
  const ring: string[] = Array(bufferSize).fill('');
  for (const m of msgs) {
    ring.shift();
    ring.push(m);
    if (re.matcher(ring.join('\n')).find()) return true;
  }
  return false;
}

function monitorFor(cfgs: Map<string, NpdConfig>, source: string): NpdConfig | undefined {
  return [...cfgs.values()].find((c) => c.pluginConfig.source === source);
}

test('default export: one journald monitor per MicroK8s daemon identifier, each a valid NPD config', () => {
  const exp = buildNpd(cat);
  assert.ok(exp.sources.includes('microk8s.daemon-kubelite'), `sources: ${exp.sources.join(', ')}`);
  for (const s of exp.sources) assert.ok(s.startsWith('microk8s.'), s);
  assert.deepEqual([...exp.monitors.keys()], exp.sources.map((s) => `cni-doctor-${s}.json`));
  for (const [file, cfg] of exp.monitors) {
    const parsed = JSON.parse(npdJson(cfg)) as unknown;
    const res = npdSchema.safeParse(parsed);
    assert.ok(res.success, `${file}: ${res.success ? '' : JSON.stringify(res.error.issues)}`);
    assert.equal(file, `cni-doctor-${cfg.pluginConfig.source}.json`);
  }
  const kubelite = monitorFor(exp.monitors, 'microk8s.daemon-kubelite')!;
  assert.ok(kubelite.conditions.some((c) => c.type === 'KernelIPv6MarkRegression'), 'the headline class is a permanent condition');
  assert.match(kubelite._comment, /not in the journal/);
});

test('critical classes are permanent conditions, the rest temporary', () => {
  const exp = buildNpd(cat, { sources: ['all'] });
  const severity = new Map(cat.patterns.map((p) => [p.id, p.severity]));
  for (const cfg of exp.monitors.values()) {
    for (const c of cfg.conditions) {
      const id = cat.patterns.find((p) => camel(p.id) === c.type)?.id;
      assert.ok(id, `condition ${c.type} maps to a catalog id`);
      assert.equal(severity.get(id), 'critical', `${c.type} is a condition but ${id} is ${severity.get(id)}`);
    }
  }
});

test('every signal of the catalog translates to Go RE2 and compiles with re2js (with NPD\'s \\z)', () => {
  let n = 0;
  for (const p of cat.patterns) {
    for (const s of p.signals) {
      const pat = npdPattern(s.regex, s.ignoreCase);
      assert.doesNotThrow(() => RE2JS.compile(pat + '\\z'), `${p.id}/${s.name}: ${pat}`);
      assert.ok(!/\(\?<[A-Za-z]/.test(pat), `${p.id}/${s.name}: JS group syntax left in ${pat}`);
      n++;
    }
  }
  assert.ok(n >= cat.patterns.length);
});

test('translated rules fire on every journal-visible positive example (Go semantics, NPD buffer)', () => {
  const exp = buildNpd(cat, { sources: ['all'] });
  let checked = 0;
  for (const p of cat.patterns) {
    p.examples.positive.forEach((ex, i) => {
      if (!['journal', 'journal-iso', 'syslog'].includes(ex.format)) return;
      const byId = new Map<string, string[]>();
      for (const m of messages(ex.text)) byId.set(m.id, [...(byId.get(m.id) ?? []), m.msg]);
      assert.ok(byId.size, `${p.id} example ${i + 1}: no journal prefix found`);
      for (const [id, msgs] of byId) {
        for (const s of p.signals) {
          // what the export matches: the regex, and on the same line the `also` parts it requires
          const line = lineRegex(s);
          const js = new RegExp(line.regex, s.ignoreCase ? 'i' : '');
          // the JS regex sees the message (or, for klog blocks, consecutive messages as NPD's buffer joins them)
          const jsSees = msgs.some((_, k) => msgs.slice(0, k + 1).some((__, j) => js.test(msgs.slice(j, k + 1).join('\n'))));
          if (ex.signal === s.name && !ex.facts) assert.ok(jsSees, `${p.id} example ${i + 1}: signal ${s.name} does not match the MESSAGE text alone (does it rely on the journal prefix?)`);
          if (!jsSees) continue;
          const pat = npdPattern(line.regex, s.ignoreCase);
          assert.ok(npdFires(pat, msgs, 10), `${p.id}/${s.name} example ${i + 1} (${id}): Go rule ${pat} does not fire on ${JSON.stringify(msgs)}`);
          const mon = monitorFor(exp.monitors, id);
          const exported = !!mon?.rules.some((r) => r.pattern === pat);
          const skipped = exp.skipped.some((k) => k.pattern === p.id && k.signal === s.name);
          assert.ok(exported || skipped, `${p.id}/${s.name}: neither exported to ${id} nor reported as skipped`);
          if (exported) assert.ok(npdFires(pat, msgs, mon!.bufferSize));
          checked++;
        }
      }
    });
  }
  assert.ok(checked >= 3, `only ${checked} journal sightings checked`);
});

test('the headline regression: kube-proxy --xor-mark in kubelite sets KernelIPv6MarkRegression', () => {
  const mon = monitorFor(buildNpd(cat).monitors, 'microk8s.daemon-kubelite')!;
  const msgs = [
    'E0526 18:07:15.123456    2187 proxier.go:1564] "Failed to execute iptables-restore" err=<',
    'exit status 2: Warning: Extension MARK revision 0 not supported, missing kernel module?',
    'ip6tables-restore v1.8.9 (nf_tables): unknown option "--xor-mark"',
    'Error occurred at line: 16',
  ];
  const fired = mon.rules.filter((r) => npdFires(r.pattern, msgs, mon.bufferSize));
  assert.ok(fired.some((r) => r.type === 'permanent' && r.condition === 'KernelIPv6MarkRegression'), JSON.stringify(fired));
  // an IPv4 failure is a near miss
  assert.ok(!mon.rules.some((r) => r.condition === 'KernelIPv6MarkRegression' && npdFires(r.pattern, ['iptables-restore v1.8.9 (nf_tables): unknown option "--xor-mark"'], 10)));
});

test('the MARK warning with no IPv6 family on its line sets no KernelIPv6MarkRegression: the signal requires one (require: [family]), and so does its rule', () => {
  for (const mon of buildNpd(cat, { sources: ['all'] }).monitors.values()) {
    for (const msgs of [['Warning: Extension MARK revision 0 not supported, missing kernel module?'], ['iptables-restore: Extension MARK is not supported, missing kernel module?']]) {
      const fired = mon.rules.filter((r) => r.condition === 'KernelIPv6MarkRegression' && npdFires(r.pattern, msgs, mon.bufferSize));
      assert.deepEqual(fired, [], `${mon.source}: ${msgs[0]}`);
    }
  }
});

test('translation: ^ is a line start, alternations stay whole, JS-only syntax is rewritten', () => {
  const opts = { groups: 'keep', caretIsLineStart: true } as const;
  assert.equal(translateRegex('^(?<v>a)|b', opts), '(?m:^)(?P<v>a)|b');
  assert.equal(translateRegex('[^]x[]', opts), '[\\x00-\\x{10FFFF}]x[^\\x00-\\x{10FFFF}]');
  assert.equal(translateRegex('\\u00e9\\cA[\\b[:]', opts), '\\x{00e9}\\x{01}[\\x08\\[:]');
  assert.equal(translateRegex('\\z\\p{L}', opts), 'zp{L}'); // identity escapes without the u flag
  // `.*(?:a|b).*` anchors both branches to the end: an old "a" line must not fire on a new line
  const p = npdPattern('error A|error B', false);
  assert.ok(npdFires(p, ['x error A y'], 10));
  assert.ok(!RE2JS.compile(p + '\\z').matcher('error A\nunrelated').find());
  const caret = npdPattern('^E\\d{4} ', false);
  assert.ok(npdFires(caret, ['I0101 ok', 'E0101 boom'], 10), 'a ^ must match at the start of the newest message, not the buffer');
  for (const bad of ['a(?=b)', 'a(?!b)', '(?<=a)b', '(?<!a)b', '(a)\\1', '(?<n>a)\\k<n>', '\\ud83d\\ude00']) {
    assert.throws(() => npdPattern(bad, false), /not in RE2|surrogate/, bad);
  }
});

test('an untranslatable pattern makes the export fail loudly, naming file and signal', () => {
  const broken: Catalog = structuredClone(cat);
  const p = broken.patterns.find((x) => x.id === 'kernel-ipv6-mark-regression')!;
  p.signals[0] = { ...p.signals[0], regex: `${p.signals[0].regex}(?!x)` };
  assert.throws(() => buildNpd(broken), (e: unknown) => e instanceof ExportError
    && /kernel-ipv6-mark-regression\.yaml/.test(e.message) && /set-mark-rejected/.test(e.message) && /lookahead/.test(e.message));
});

test('a translation that loses the meaning is refused (checked against the examples)', () => {
  const broken: Catalog = structuredClone(cat);
  const p = broken.patterns.find((x) => x.id === 'kernel-ipv6-mark-regression')!;
  const i = p.signals.findIndex((s) => s.name === 'xor-mark-rejected');
  // \s differs: JS \s matches U+00A0 (no-break space), Go's \s is [\t\n\f\r ] only
  p.examples.positive.push({ format: 'journal', text: 'May 26 18:07:15 node1 microk8s.daemon-kubelite[2187]: ip6tables:\u00a0unknown option "--xor-mark"' });
  p.signals[i] = { ...p.signals[i], regex: 'ip6tables(?:-restore)?(?: v[0-9.]+ \\((?:legacy|nf_tables)\\))?:\\sunknown option \\\\?"--xor-mark\\\\?"' };
  assert.throws(() => buildNpd(broken), (e: unknown) => e instanceof ExportError && /does not fire on positive example/.test(e.message));
});

test('--output writes the monitors, a ConfigMap and prints the NPD flag', (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'cnidoctor-npd-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const out: string[] = [];
  const write = process.stdout.write.bind(process.stdout);
  const errWrite = process.stderr.write.bind(process.stderr);
  process.stdout.write = ((s: string) => { out.push(String(s)); return true; }) as typeof process.stdout.write;
  process.stderr.write = (() => true) as typeof process.stderr.write;
  let code: number;
  try {
    code = runExportNpd(cat, { output: dir, source: ['microk8s.daemon-kubelite'], configDir: '/config' });
  } finally {
    process.stdout.write = write;
    process.stderr.write = errWrite;
  }
  assert.equal(code, 0);
  assert.deepEqual(readdirSync(dir).sort(), ['cni-doctor-microk8s.daemon-kubelite.json', 'cni-doctor-npd-config.yaml']);
  const cm = parseYaml(readFileSync(path.join(dir, 'cni-doctor-npd-config.yaml'), 'utf8')) as { kind: string; metadata: { name: string; namespace?: string }; data: Record<string, string> };
  assert.equal(cm.kind, 'ConfigMap');
  assert.equal(cm.metadata.name, 'cni-doctor-npd-config');
  assert.equal(cm.metadata.namespace, undefined);
  const fromCm = JSON.parse(cm.data['cni-doctor-microk8s.daemon-kubelite.json']) as unknown;
  assert.deepEqual(fromCm, JSON.parse(readFileSync(path.join(dir, 'cni-doctor-microk8s.daemon-kubelite.json'), 'utf8')));
  assert.ok(npdSchema.safeParse(fromCm).success);
  assert.ok(out.join('').includes('--config.system-log-monitor=/config/cni-doctor-microk8s.daemon-kubelite.json'), out.join(''));
  const exp = buildNpd(cat, { sources: ['microk8s.daemon-kubelite', 'microk8s.daemon-containerd'] });
  assert.equal(npdFlag(exp, '/config/'), '--config.system-log-monitor=/config/cni-doctor-microk8s.daemon-kubelite.json,/config/cni-doctor-microk8s.daemon-containerd.json');
  assert.ok(npdConfigMap(exp).includes('cni-doctor-microk8s.daemon-containerd.json: |'));
});

/** Runs the CLI verb with stdout/stderr captured. */
function runNpd(o: Parameters<typeof runExportNpd>[1]): { code: number; out: string; err: string } {
  const out: string[] = [];
  const err: string[] = [];
  const write = process.stdout.write.bind(process.stdout);
  const errWrite = process.stderr.write.bind(process.stderr);
  process.stdout.write = ((s: string) => { out.push(String(s)); return true; }) as typeof process.stdout.write;
  process.stderr.write = ((s: string) => { err.push(String(s)); return true; }) as typeof process.stderr.write;
  try {
    return { code: runExportNpd(cat, o), out: out.join(''), err: err.join('') };
  } finally {
    process.stdout.write = write;
    process.stderr.write = errWrite;
  }
}

// The help promised `kernel` in the default set while the default never wrote a kernel monitor.
// Read the help as an operator would and hold the default export to it, both ways.
test('export npd --help describes the default source set the export really writes', () => {
  const prog = new Command();
  registerExport(prog, async () => cat);
  const npd = prog.commands.find((c) => c.name() === 'export')!.commands.find((c) => c.name() === 'npd')!;
  const desc = npd.options.find((o) => o.long === '--source')!.description;
  const claim = /\(default: ([^;)]*)/.exec(desc)?.[1];
  assert.ok(claim, `--source help names its default: ${desc}`);
  const { sources } = buildNpd(cat);
  assert.ok(sources.length);
  const claimed = (id: string): boolean => new RegExp(`(?:^|\\W)${id.replace(/[.]/g, '\\.')}(?:\\W|$)`).test(claim)
    || (/microk8s\.\*/.test(claim) && id.startsWith('microk8s.'));
  for (const id of sources) assert.ok(claimed(id), `default writes ${id}, help says: ${claim}`);
  for (const id of ['kernel', 'kubelet', 'k3s']) assert.equal(claimed(id), sources.includes(id), `${id}: help says "${claim}", default writes ${sources.join(', ')}`);
  assert.ok(npd.helpInformation().replace(/\s+/g, ' ').includes(claim), 'the same words reach --help');
});

test('--source nosuch is a usage error (exit 2) naming the valid sources; nothing is written', (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'cnidoctor-npd-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const r = runNpd({ source: ['nosuch'], output: dir });
  assert.equal(r.code, 2);
  assert.equal(r.out, '');
  assert.match(r.err, /nosuch/);
  assert.match(r.err, /valid sources: .*microk8s\.daemon-kubelite/);
  assert.equal(r.err.trim().split('\n').length, 1, 'one-line reason');
  assert.deepEqual(readdirSync(dir), []);
  // a real identifier whose lines raise nothing alone would be an empty monitor all the same
  const k = runNpd({ source: ['kernel'] });
  assert.equal(k.code, 2);
  assert.match(k.err, /kernel.*no rules/);
  assert.equal(runNpd({ source: ['microk8s.daemon-kubelite'], json: true }).code, 0);
  assert.throws(() => buildNpd(cat, { sources: ['nosuch'] }), ExportError);
});

test('kubelite carries kubelet\'s CNI-not-initialized rule (MicroK8s >= 1.21 hosts kubelet)', () => {
  const mon = monitorFor(buildNpd(cat).monitors, 'microk8s.daemon-kubelite')!;
  const msg = 'E0526 18:05:12.150357    2187 kubelet.go:3002] "Container runtime network not ready" networkReady="NetworkReady=false reason:NetworkPluginNotReady message:Network plugin returns error: cni plugin not initialized"';
  assert.ok(mon.rules.some((r) => r.reason === 'CNINotInitialized' && npdFires(r.pattern, [msg], mon.bufferSize)));
});

test('--output that cannot be written: exit 2 at once with the path and why (it spun forever under /proc, or said EEXIST)', async (t) => {
  const { runCli, tempDir } = await import('./helpers/util.js');
  const dir = tempDir(t, 'cnidoctor-npd-');
  const file = path.join(dir, 'afile');
  writeFileSync(file, 'x');
  const cases: [string[], RegExp][] = [
    [['export', 'npd', '--output', '/proc/cni-doctor-test'], /^cni-doctor: export npd: cannot write \/proc\/cni-doctor-test: .* \(choose another --output\)$/m],
    [['export', 'loki', '--output', path.join(file, 'rules.yaml')], new RegExp(`^cni-doctor: export loki: cannot write ${file}: a file is in the way of the directory \\(choose another --output\\)$`, 'm')],
  ];
  for (const [args, want] of cases) {
    const r = await runCli(args, { timeoutMs: 15_000 });
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, want);
  }
  // Missing levels are still made.
  const deep = path.join(dir, 'a', 'b', 'npd');
  assert.equal((await runCli(['export', 'npd', '--output', deep])).code, 0);
  assert.ok(readdirSync(deep).includes('cni-doctor-npd-config.yaml'));
});

test('lineRegex: required parts on one line in either order; only real named groups lose their names (not an escaped parenthesis, not a class)', () => {
  const s = { name: 'x', literal: 'xxxxx', regex: '\\(?<none>\\)? a [(?<x>)] (?<g>b)', also: { f: '(?<family>ip6)' }, require: ['f'] };
  const { regex } = lineRegex(s);
  assert.equal(regex, '(?:\\(?<none>\\)? a [(?<x>)] (?:b)).*(?:(?:ip6))|(?:(?:ip6)).*(?:\\(?<none>\\)? a [(?<x>)] (?:b))');
  const re = new RegExp(regex);
  assert.ok(re.test('<none> a ( b then ip6') && re.test('ip6 first, then (<none>) a x b'));
  assert.ok(!re.test('<none> a ( b alone'));
  assert.equal(lineRegex({ name: 'y', literal: 'yyyyy', regex: 'plain' }).regex, 'plain', 'no require: the regex itself');
});
