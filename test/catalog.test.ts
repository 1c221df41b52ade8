import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { CatalogError, loadCatalog } from '../src/catalog/load.js';
import { lintCatalog, backtrackingProblem, re2Problem } from '../src/catalog/lint.js';
import { ROOT, runCli, tempDir } from './helpers/util.js';

const HEADLINE = readFileSync(path.join(ROOT, 'patterns/kernel/kernel-ipv6-mark-regression.yaml'), 'utf8');

const WIDGET = `id: cni-widget-broken
title: The widget exploded
severity: error
kind: cause
summary: A site-specific CNI widget explodes and pods lose networking on this node.
rootCause: The widget keeps state it cannot recover from after a failed update.
remediation:
  - text: Restart the widget.
references: ['https://example.com/widget']
signals:
  - name: exploded
    literal: 'widget exploded'
    regex: 'widget exploded: (?<why>(\\w+)+):'
confidence: { base: 0.7 }
examples:
  positive:
    - format: plain
      text: 'widget exploded: bad:'
    - format: journal
      text: 'May 26 18:07:12 node1 widget[1]: widget exploded: bad:'
    - format: plain
      text: 'widget exploded: worse:'
  negative:
    - format: plain
      text: 'widget exploded: none'
      why: no reason followed by a colon
    - format: plain
      text: 'widget exploded: -'
      why: no reason word
`;

function userDir(t: Parameters<typeof tempDir>[0], files: Record<string, string>): string {
  const d = tempDir(t);
  for (const [rel, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(d, rel)), { recursive: true });
    writeFileSync(path.join(d, rel), text);
  }
  return d;
}

function loadError(dir: string): CatalogError {
  try {
    loadCatalog([dir]);
  } catch (e) {
    assert.ok(e instanceof CatalogError, `a CatalogError, got ${(e as Error).message}`);
    return e;
  }
  assert.fail('loading should fail');
}

test('the built-in catalog loads, with the headline pattern and fact rules', () => {
  const cat = loadCatalog();
  assert.ok(cat.patterns.some((p) => p.id === 'kernel-ipv6-mark-regression'));
  assert.ok(cat.facts.some((f) => f.fact === 'kernel.release'));
  assert.ok(cat.layouts.some((l) => l.id === 'microk8s-inspect'));
});

test('YAML syntax errors name the file and line', (t) => {
  const d = userDir(t, { 'kernel/kernel-bad.yaml': 'id: kernel-bad\ntitle: a: b\nseverity: critical\n' });
  const e = loadError(d);
  assert.match(e.file, /kernel-bad\.yaml$/);
  assert.equal(e.line, 2);
  assert.match(e.reason, /YAML syntax/);
});

test('a missing literal names the field and its line', (t) => {
  const bad = HEADLINE.replace("    literal: '--xor-mark'\n", '');
  const d = userDir(t, { 'kernel/kernel-ipv6-mark-regression.yaml': bad });
  const e = loadError(d);
  assert.match(e.reason, /signals\.1\.literal/);
  const line = bad.split('\n').findIndex((l) => l.includes('name: xor-mark-rejected')) + 1;
  assert.equal(e.line, line, 'points at the signal missing its literal');
});

test('a literal shorter than 5 bytes is refused', (t) => {
  const d = userDir(t, { 'kernel/kernel-ipv6-mark-regression.yaml': HEADLINE.replace("literal: '--set-xmark'", "literal: 'xm'") });
  assert.match(loadError(d).reason, /at least 5 bytes/);
});

test('a regex that does not compile names its line', (t) => {
  const bad = HEADLINE.replace("regex: 'MARK target: kernel too old for --(?<option>[a-z-]+)'", "regex: 'MARK target: (unclosed'");
  const d = userDir(t, { 'kernel/kernel-ipv6-mark-regression.yaml': bad });
  const e = loadError(d);
  assert.match(e.reason, /regex does not compile/);
  assert.equal(e.line, bad.split('\n').findIndex((l) => l.includes('(unclosed')) + 1);
});

test('file name, directory and condition references are checked', (t) => {
  assert.match(loadError(userDir(t, { 'kernel/other-name.yaml': HEADLINE })).reason, /file name must be the id/);
  assert.match(loadError(userDir(t, { 'calico/kernel-ipv6-mark-regression.yaml': HEADLINE })).reason, /belongs in a directory named kernel\/ \(as <patterns dir>\/kernel\/kernel-ipv6-mark-regression\.yaml\), not calico\//);
  const unknownSignal = HEADLINE.replace('- signal: mark-bad-value', '- signal: no-such-signal');
  assert.match(loadError(userDir(t, { 'kernel/kernel-ipv6-mark-regression.yaml': unknownSignal })).reason, /unknown signal "no-such-signal"/);
});

test('duplicate ids in one directory are an error', (t) => {
  const d = userDir(t, { 'kernel/kernel-ipv6-mark-regression.yaml': HEADLINE, 'kernel/sub/kernel-ipv6-mark-regression.yaml': HEADLINE });
  assert.match(loadError(d).reason, /(duplicate id|belongs in)/);
});

test('a user directory replaces a built-in pattern with the same id and adds new ones', (t) => {
  const replaced = HEADLINE.replace(/^title: .*$/m, 'title: Site-specific wording of the MARK bug');
  const d = userDir(t, { 'kernel/kernel-ipv6-mark-regression.yaml': replaced });
  const cat = loadCatalog([d]);
  const p = cat.patterns.filter((x) => x.id === 'kernel-ipv6-mark-regression');
  assert.equal(p.length, 1);
  assert.equal(p[0].title, 'Site-specific wording of the MARK bug');
});

test('a user copy of the headline pattern: patterns that say not: {diagnosis: …} on it still hold their examples', async (t) => {
  // The copy lands at the end of the catalog, after kernel-module-missing, whose `not` on it used to
  // be decided before the headline was.
  const { runExamples } = await import('../src/catalog/examples.js');
  const cat = loadCatalog([userDir(t, { 'kernel/kernel-ipv6-mark-regression.yaml': HEADLINE })]);
  assert.equal(cat.patterns[cat.patterns.length - 1].id, 'kernel-ipv6-mark-regression');
  assert.deepEqual(runExamples(cat).failures, []);
});

test('lint: RE2 syntax and backtracking shapes', () => {
  assert.match(re2Problem('(?=x)y') ?? '', /not RE2 syntax/);
  assert.match(re2Problem('(a)\\1') ?? '', /not RE2 syntax/);
  assert.equal(re2Problem('ip6tables(?<v>-restore)? v[0-9.]+'), undefined);
  // named as the author wrote them (re2js alone calls a lookbehind an "invalid named capture")
  assert.match(re2Problem('(?<=widget )exploded') ?? '', /lookbehind .* not in RE2/);
  assert.match(re2Problem('(?=x)y') ?? '', /lookahead .* not in RE2/);
  assert.match(re2Problem('(a)\\1') ?? '', /backreferences .* not in RE2/);
  assert.equal(re2Problem('[(?=]x'), undefined, 'in a class the characters are literal: RE2 takes it');
  assert.match(backtrackingProblem('(a+)+b') ?? '', /backtracking/);
  assert.match(backtrackingProblem('x.*y.*z') ?? '', /backtracking/);
  assert.equal(backtrackingProblem('unknown option \\\\?"--set-mark'), undefined);
});

test('lint flags a pattern with a lookahead, a non-URL reference and too few examples', (t) => {
  const bad = HEADLINE
    .replace("regex: 'MARK target: kernel too old for --(?<option>[a-z-]+)'", "regex: 'MARK target: kernel too old for --(?=or)(?<option>[a-z-]+)'")
    .replace('  - https://github.com/canonical/microk8s/issues/4961', '  - see the microk8s issue tracker');
  const d = userDir(t, { 'kernel/kernel-ipv6-mark-regression.yaml': bad });
  const { issues } = lintCatalog(loadCatalog([d]));
  const mine = issues.filter((i) => i.file.startsWith(d));
  assert.ok(mine.some((i) => /not RE2 syntax/.test(i.problem)), 'lookahead is not RE2');
  assert.ok(mine.some((i) => /not a URL/.test(i.problem)), 'reference must be a URL');
});

test('lint: a negative example that holds none of its signals\' literals tests nothing and is flagged by index', (t) => {
  const inert = HEADLINE.replace('\n  negative:\n', `\n  negative:\n    - format: journal\n      text: 'May 26 18:07:17 node1 kubelet[1422]: all pods are running'\n      why: healthy\n`);
  assert.notEqual(inert, HEADLINE);
  const d = userDir(t, { 'kernel/kernel-ipv6-mark-regression.yaml': inert });
  const cat = loadCatalog([d]);
  const n = cat.patterns.find((p) => p.file.startsWith(d))!.examples.negative.findIndex((e) => e.text.includes('all pods are running')) + 1;
  assert.equal(n, 1);
  const { issues, examples } = lintCatalog(cat);
  assert.ok(!examples.failures.some((f) => f.file.startsWith(d)), 'patterns test alone passes it: it raises nothing because nothing reaches a regex');
  const mine = issues.filter((i) => i.file.startsWith(d));
  assert.equal(mine.length, 1, JSON.stringify(mine));
  assert.match(mine[0].problem, new RegExp(`^negative example ${n} \\(journal\\) contains none of the signals' literals .*"RULE_APPEND failed".*cannot exercise`));
});

test('a negative\'s times: is how often the runner repeats it (default 10), so a near miss one below a when min can be tested', (t) => {
  // WIDGET raised only from the 3rd "widget exploded" within 10m; a single one is the near miss
  const counted = WIDGET.replace('confidence: { base: 0.7 }', 'when: { signal: exploded, min: 3, within: 10m }\nconfidence: { base: 0.7 }');
  const once = '\n    - format: plain\n      text: \'widget exploded: bad:\'\n      why: one explosion, then the widget recovers';
  const lone = (extra: string): { failures: string[]; negatives: unknown[] } => {
    const d = userDir(t, { 'cni/cni-widget-broken.yaml': counted.replace('      why: no reason word', `      why: no reason word${extra}`) });
    const cat = loadCatalog([d]);
    const p = cat.patterns.find((x) => x.file.startsWith(d))!;
    return { failures: lintCatalog(cat).examples.failures.filter((f) => f.file.startsWith(d)).map((f) => f.what), negatives: p.examples.negative };
  };
  const withTimes = lone(`${once}\n      times: 1`);
  assert.equal(withTimes.negatives.length, 3);
  assert.deepEqual(withTimes.failures, [], 'seen once, below min 3: it must not raise');
  const twice = lone(`${once}\n      times: 2`);
  assert.deepEqual(twice.failures, [], 'seen twice, still below min 3');
  const defaulted = lone(once);
  assert.equal(defaulted.failures.length, 1, 'without times: the runner repeats it 10 times and the diagnosis is raised');
  assert.match(defaulted.failures[0], /^negative example 3 \(plain\) raises the diagnosis/);
  const thrice = lone(`${once}\n      times: 3`);
  assert.match(thrice.failures[0] ?? '', /^negative example 3 \(plain, seen 3 times\) raises the diagnosis/);
  const d = userDir(t, { 'cni/cni-widget-broken.yaml': counted.replace('      why: no reason word', `      why: no reason word${once}\n      times: 0`) });
  assert.match(loadError(d).message, /times/);
});

test('patterns test fails on an example that no longer matches', async (t) => {
  const bad = HEADLINE.replace("literal: '--set-xmark'", "literal: '--set-xmarkZ'");
  const d = userDir(t, { 'kernel/kernel-ipv6-mark-regression.yaml': bad });
  const r = await runCli(['patterns', 'test', '--patterns', d]);
  assert.equal(r.code, 1);
  assert.match(r.stdout, /FAIL kernel-ipv6-mark-regression .*positive example/);
});

test('CLI: a bad pattern file is named on stderr, one line per mistake with its line, and exit 2', async (t) => {
  const d = userDir(t, { 'kernel/kernel-bad.yaml': 'id: kernel-bad\n' });
  const r = await runCli(['patterns', 'list', '--patterns', d]);
  assert.equal(r.code, 2);
  const lines = r.stderr.trim().split('\n');
  assert.match(lines[0], /^cni-doctor: bad pattern file .*kernel-bad\.yaml:1: /);
  assert.ok(lines.length > 1, 'the other missing fields too');
  for (const l of lines.slice(1)) assert.match(l, /kernel-bad\.yaml:\d+: \S/);
});

test('CLI: a user regex that backtracks catastrophically stops analyze with exit 2 before any scan (it used to hang)', async (t) => {
  const d = userDir(t, { 'cni/cni-widget-broken.yaml': WIDGET });
  const log = path.join(d, 'node.log');
  // Nested quantifiers on a line that never reaches the ':' they need: V8 tries 2^40 splits.
  writeFileSync(log, `May 26 18:07:12 node1 widget[1]: widget exploded: ${'a'.repeat(40)}!\n`);
  const r = await runCli(['analyze', '--patterns', d, log], { timeoutMs: 20_000 });
  assert.equal(r.code, 2, r.stderr);
  const line = WIDGET.split('\n').findIndex((l) => l.includes('(\\w+)+')) + 1;
  assert.match(r.stderr, new RegExp(`^cni-doctor: bad pattern file .*cni-widget-broken\\.yaml:${line}: cni-widget-broken/exploded: backtracking-prone`));
  // patterns lint still reports it among everything else, as a lint problem.
  const lint = await runCli(['patterns', 'lint', '--patterns', d]);
  assert.equal(lint.code, 1);
  assert.match(lint.stdout, /cni-widget-broken\/exploded.*backtracking-prone/);
});

test('CLI: patterns list --json and show', async () => {
  const r = await runCli(['patterns', 'list', '--json']);
  assert.equal(r.code, 0);
  const list = JSON.parse(r.stdout) as { id: string }[];
  assert.ok(list.some((p) => p.id === 'kernel-ipv6-mark-regression'));
  const s = await runCli(['patterns', 'show', 'kernel-ipv6-mark-regression']);
  assert.equal(s.code, 0);
  assert.match(s.stdout, /Not the cause/);
  const missing = await runCli(['patterns', 'show', 'no-such-id']);
  assert.equal(missing.code, 2);
});

test('an example\'s container: is only for lines that are a container\'s log as they stand', (t) => {
  const bad = HEADLINE.replace(/(\n    - format: journal\n)/, '$1      container: calico-node\n');
  assert.notEqual(bad, HEADLINE);
  assert.match(loadError(userDir(t, { 'kernel/kernel-ipv6-mark-regression.yaml': bad })).reason, /container "calico-node" but is journal/);
});

test('causedBy: only on symptoms, naming known diagnoses', (t) => {
  const crash = readFileSync(path.join(ROOT, 'patterns/calico/calico-node-crashloop.yaml'), 'utf8');
  const typo = crash.replace('  - kernel-module-missing\n', '  - kernel-modules-missing\n');
  assert.match(loadError(userDir(t, { 'calico/calico-node-crashloop.yaml': typo })).reason, /causedBy names unknown diagnosis "kernel-modules-missing"/);
  const onCause = HEADLINE.replace(/\nremediation:/, '\ncausedBy: [calico-node-crashloop]\nremediation:');
  assert.match(loadError(userDir(t, { 'kernel/kernel-ipv6-mark-regression.yaml': onCause })).reason, /causedBy is for symptoms/);
});

test('a layout whose name-date regex lacks the date groups is refused', (t) => {
  const layout = readFileSync(path.join(ROOT, 'patterns/layouts/sosreport.yaml'), 'utf8').replace(/\(\?<year>/g, '(?<yr>');
  const d = userDir(t, { 'layouts/sosreport.yaml': layout });
  assert.match(loadError(d).reason, /needs the named groups year, month and day/);
});

test('the build-time catalog cache holds exactly what parsing the YAML gives, and is refused for other files', async (t) => {
  // The built program reads this cache on every start instead of the YAML; a stale or lossy cache
  // would silently change diagnoses.
  type CacheModule = typeof import('../src/catalog/builtin-cache.js');
  const built = (await import(path.join(ROOT, 'dist', 'src', 'catalog', 'builtin-cache.js'))) as CacheModule;
  const dir = path.join(ROOT, 'patterns');
  const cached = built.readCachedCatalog(dir);
  assert.ok(cached, 'dist/patterns-cache.json is missing or stale: run npm run build');
  const parsed = loadCatalog([], { cache: false });
  assert.deepEqual(cached.patterns, parsed.patterns);
  assert.deepEqual(cached.facts, parsed.facts);
  assert.deepEqual(cached.timeline, parsed.timeline);
  assert.deepEqual(cached.layouts, parsed.layouts);

  // The same files elsewhere (a moved install): the cache applies, naming the files where they are now.
  const copy = tempDir(t);
  for (const f of built.builtinFiles(dir)) {
    const to = path.join(copy, path.relative(dir, f));
    mkdirSync(path.dirname(to), { recursive: true });
    writeFileSync(to, readFileSync(f));
  }
  const moved = built.readCachedCatalog(copy);
  assert.ok(moved, 'an unedited copy uses the cache');
  assert.ok(moved.patterns.every((p) => p.file.startsWith(copy + path.sep)), moved.patterns[0].file);
  // One byte more in one file, or one file more: the cache does not apply.
  const kernel = path.join(copy, 'facts', 'kernel.yaml');
  writeFileSync(kernel, readFileSync(kernel, 'utf8') + '\n');
  assert.equal(built.readCachedCatalog(copy), undefined, 'an edited file');
  writeFileSync(kernel, readFileSync(path.join(dir, 'facts', 'kernel.yaml')));
  assert.ok(built.readCachedCatalog(copy), 'restored');
  writeFileSync(path.join(copy, 'facts', 'extra.yaml'), 'kind: facts\nfacts: []\n');
  assert.equal(built.readCachedCatalog(copy), undefined, 'an added file');
});

test('a pattern file with several schema mistakes has them all named at once, each with its line', (t) => {
  const d = tempDir(t);
  writeFileSync(path.join(d, 'my-oops.yaml'), 'id: my-oops\ntitle: x\nseverity: bogus\nsummary: short\n');
  let msg = '';
  try { loadCatalog([d]); } catch (e) { msg = (e as Error).message; }
  assert.match(msg, /my-oops\.yaml:1: id: .*kernel-, calico-, cni-, kube-, containerd-, sandbox- or microk8s-/);
  assert.match(msg, /my-oops\.yaml:2: title: /);
  assert.match(msg, /my-oops\.yaml:3: severity: /);
  assert.match(msg, /my-oops\.yaml:4: summary: /);
});
