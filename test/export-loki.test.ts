// `export loki`: the rule file parses as YAML with the Prometheus rule-file shape, every `expr` is
// LogQL whose line-filter string unquotes as Go does (backticks raw; "…" with Go escapes), and the
// unquoted regex compiles with re2js and matches the pattern file's own positive example lines.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RE2JS } from 're2js';
import { parse as parseYaml } from 'yaml';
import { loadCatalog, type LoadedPattern } from '../src/catalog/load.js';
import { buildLoki, lokiYaml, logqlString, type LokiOptions } from '../src/export/loki.js';
import { ExportError } from '../src/export/re2.js';

const cat = loadCatalog();

/** strconv.Unquote as LogQL's lexer applies it (pkg/logql/syntax/lex.go). Throws like Go does. */
function goUnquote(s: string): string {
  if (s.startsWith('`')) {
    if (!s.endsWith('`') || s.length < 2 || s.slice(1, -1).includes('`')) throw new Error(`bad raw string ${s}`);
    return s.slice(1, -1).replace(/\r/g, '');
  }
  if (!s.startsWith('"') || !s.endsWith('"') || s.length < 2) throw new Error(`bad string ${s}`);
  const body = s.slice(1, -1);
  let out = '';
  for (let i = 0; i < body.length; i++) {
    const c = body[i];
    if (c === '"' || c === '\n') throw new Error(`unescaped ${JSON.stringify(c)} in ${s}`);
    if (c !== '\\') { out += c; continue; }
    const e = body[++i];
    const simple: Record<string, string> = { a: '\x07', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v', '\\': '\\', '"': '"' };
    if (e in simple) out += simple[e];
    else if (e === 'x' && /^[0-9a-fA-F]{2}$/.test(body.slice(i + 1, i + 3))) { out += String.fromCharCode(parseInt(body.slice(i + 1, i + 3), 16)); i += 2; }
    else if (e === 'u' && /^[0-9a-fA-F]{4}$/.test(body.slice(i + 1, i + 5))) { out += String.fromCodePoint(parseInt(body.slice(i + 1, i + 5), 16)); i += 4; }
    else if (e === 'U' && /^[0-9a-fA-F]{8}$/.test(body.slice(i + 1, i + 9))) { out += String.fromCodePoint(parseInt(body.slice(i + 1, i + 9), 16)); i += 8; }
    else if (/[0-7]/.test(e) && /^[0-7]{3}$/.test(body.slice(i, i + 3))) { out += String.fromCharCode(parseInt(body.slice(i, i + 3), 8)); i += 2; }
    else throw new Error(`invalid escape \\${e} in ${s} (LogQL parse error)`);
  }
  return out;
}

const EXPR = /^sum by \(([A-Za-z_][A-Za-z0-9_]*)\) \(count_over_time\((\{[^}]*\})\s*\|~\s*(`[^`]*`|"(?:[^"\\\n]|\\.)*")\s*\[(\d+[smhdwy])\]\)\) (> 0|>= \d+)\s*$/;

interface Rule { alert: string; expr: string; for: string; labels: Record<string, string>; annotations: Record<string, string> }
interface RuleFile { groups: { name: string; rules: Rule[] }[] }

/** Log lines the pattern's positive examples put in a stream: pod logs or kubelite's journal MESSAGEs. */
function exampleLines(p: LoadedPattern, stream: 'pods' | 'journal'): string[] {
  const out: string[] = [];
  for (const ex of p.examples.positive) {
    const lines = ex.text.split('\n');
    if (stream === 'journal' && ['journal', 'journal-iso', 'syslog'].includes(ex.format)) {
      for (const l of lines) {
        const m = /^(?:[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d(?:\.\d+)?|\d{4}-\d\d-\d\dT\S+) \S+ microk8s\.daemon-kubelite(?:\[\d+\])?: ?(.*)$/.exec(l);
        if (m) out.push(m[1].trim());
      }
    } else if (stream === 'pods' && ['felix', 'logrus'].includes(ex.format)) out.push(...lines);
    else if (stream === 'pods' && ex.format === 'cluster-info-dump') out.push(...lines.filter((l) => !l.startsWith('==== ')));
    else if (stream === 'pods' && ex.format === 'cri') {
      let acc = '';
      for (const l of lines) {
        const m = /^\S+ (?:stdout|stderr) ([PF]) ?(.*)$/.exec(l);
        if (!m) continue;
        acc += m[2];
        if (m[1] === 'F') { out.push(acc); acc = ''; }
      }
    }
  }
  return out;
}

function load(opts: LokiOptions = {}): RuleFile {
  return parseYaml(lokiYaml(buildLoki(cat, opts))) as RuleFile;
}

function checkFile(file: RuleFile, selectors: Record<string, string>): number {
  assert.ok(Array.isArray(file.groups) && file.groups.length, 'groups');
  const names = file.groups.map((g) => g.name);
  assert.equal(new Set(names).size, names.length, 'group names unique');
  let n = 0;
  for (const g of file.groups) {
    const stream = g.name === 'cni-doctor-pods' ? 'pods' : 'journal';
    assert.ok(g.rules.length, `${g.name} has rules`);
    for (const r of g.rules) {
      assert.deepEqual(Object.keys(r).sort(), ['alert', 'annotations', 'expr', 'for', 'labels'], 'only rule-file keys (Prometheus rejects unknown ones)');
      assert.match(r.alert, /^[A-Z][A-Za-z0-9]*$/);
      assert.match(r.for, /^\d+[smh]$/);
      const p = cat.patterns.find((x) => x.id === r.labels.diagnosis);
      assert.ok(p, `${r.alert}: diagnosis label names a catalog id`);
      assert.equal(r.labels.severity, p.severity);
      for (const k of ['summary', 'description', 'remediation', 'runbook_url']) assert.ok(r.annotations[k]?.length, `${r.alert}: annotation ${k}`);
      assert.equal(r.annotations.runbook_url, p.references[0]);
      assert.ok(r.annotations.remediation.includes('$ ') || !p.remediation.some((x) => x.commands?.length), 'commands in remediation');
      const m = EXPR.exec(r.expr.replace(/\s*\n\s*/g, ' '));
      assert.ok(m, `${r.alert}: expr shape: ${r.expr}`);
      assert.equal(m[2], selectors[stream]);
      const re = goUnquote(m[3]);
      let compiled: RE2JS | undefined;
      assert.doesNotThrow(() => { compiled = RE2JS.compile(re); }, `${r.alert}: ${re}`);
      const lines = exampleLines(p, stream);
      assert.ok(lines.some((l) => compiled!.matcher(l).find()), `${r.alert} (${g.name}): ${re} matches none of ${JSON.stringify(lines)}`);
      n++;
    }
  }
  return n;
}

test('rule file: groups → rules with alert/expr/for/labels/annotations; exprs unquote, compile and match examples', () => {
  const n = checkFile(load(), {
    pods: '{namespace="kube-system", container="calico-node"}',
    journal: '{unit="snap.microk8s.daemon-kubelite.service"}',
  });
  assert.ok(n >= 3, `${n} rules`);
});

test('the headline: calico-node felix --set-mark line fires KernelIPv6MarkRegression (critical)', () => {
  const file = load();
  const r = file.groups.find((g) => g.name === 'cni-doctor-pods')!.rules.find((x) => x.alert === 'KernelIPv6MarkRegression')!;
  assert.equal(r.labels.severity, 'critical');
  const re = RE2JS.compile(goUnquote(EXPR.exec(r.expr.replace(/\s*\n\s*/g, ' '))![3]));
  assert.ok(re.matcher('2025-05-26 18:07:12.345 [WARNING][83] felix/table.go 1454: Failed to execute ip(6)tables-restore command error=exit status 2 errorOutput="ip6tables-restore v1.8.4 (legacy): unknown option \\"--set-mark\\"\\n" ipVersion=0x6').find());
});

test('double-quoted LogQL strings escape every backslash and quote, and mean the same regex', () => {
  const raw = load();
  const dq = load({ quote: 'double' });
  const selectors = { pods: '{namespace="kube-system", container="calico-node"}', journal: '{unit="snap.microk8s.daemon-kubelite.service"}' };
  checkFile(dq, selectors);
  raw.groups.forEach((g, gi) => g.rules.forEach((r, ri) => {
    const a = goUnquote(EXPR.exec(r.expr.replace(/\s*\n\s*/g, ' '))![3]);
    const b = goUnquote(EXPR.exec(dq.groups[gi].rules[ri].expr.replace(/\s*\n\s*/g, ' '))![3]);
    assert.equal(a, b);
  }));
  assert.equal(logqlString('a\\d"`', 'auto'), '"a\\\\d\\"`"');
  assert.equal(goUnquote(logqlString('a\\d"`\n\t', 'auto')), 'a\\d"`\n\t');
  assert.equal(logqlString('a\\d'), '`a\\d`');
  assert.throws(() => goUnquote('"\\d"'), /invalid escape/); // what an unescaped regex would do to LogQL
});

test('selectors, node labels, range and for come from the options; bad ones are refused', () => {
  const file = load({ selector: '{job="kube-system/calico-node"}', journalSelector: '{systemd_unit="snap.microk8s.daemon-kubelite.service", job="journal"}', nodeLabel: 'node', journalNodeLabel: 'host', for: '5m', range: '15m' });
  checkFile(file, { pods: '{job="kube-system/calico-node"}', journal: '{systemd_unit="snap.microk8s.daemon-kubelite.service", job="journal"}' });
  const exprs = file.groups.flatMap((g) => g.rules.map((r) => ({ g: g.name, r })));
  assert.ok(exprs.every(({ g, r }) => r.expr.startsWith(g === 'cni-doctor-pods' ? 'sum by (node) ' : 'sum by (host) ') && r.for === '5m'));
  assert.ok(exprs.some(({ r }) => r.expr.includes('[15m]')));
  assert.ok(exprs.every(({ g, r }) => r.annotations.summary.startsWith(g === 'cni-doctor-pods' ? '{{ $labels.node }}' : '{{ $labels.host }}')));
  assert.throws(() => buildLoki(cat, { selector: 'namespace="kube-system"' }), ExportError);
  assert.throws(() => buildLoki(cat, { range: 'ten minutes' }), ExportError);
  assert.equal(load({ journal: false }).groups.length, 1);
});

test('expr and remediation are YAML block scalars (no second escaping layer)', () => {
  const text = lokiYaml(buildLoki(cat));
  assert.match(text, /expr: \|/);
  assert.match(text, /remediation: \|/);
  assert.ok(!/expr: "/.test(text));
});

test('an untranslatable regex fails the Loki export too, even for a signal it would not export', () => {
  const broken = structuredClone(cat);
  const p = broken.patterns.find((x) => x.id === 'kernel-ipv6-mark-regression')!;
  const i = p.signals.findIndex((s) => s.name === 'ip6-no-target');
  p.signals[i] = { ...p.signals[i], regex: `(?<=x)${p.signals[i].regex}` };
  assert.throws(() => buildLoki(broken), (e: unknown) => e instanceof ExportError && /ip6-no-target: lookbehind/.test(e.message));
});
