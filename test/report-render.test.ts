// What the reports show must be what the pattern or the log says. A ticket's Markdown is read on
// GitHub, where `br-<id>` is taken for an HTML tag and dropped, `*`/`_`/`[…]` become emphasis and
// links, and a `|` in a file name splits a table row. A terminal report must not let a log line
// drive the operator's terminal with its escape sequences. The JSON report is the raw contract and
// keeps every byte. No CommonMark parser is in node_modules, so these assert on the escaped source
// text, with the CommonMark rules the assertions rely on named where they are used.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { loadCatalog } from '../src/catalog/load.js';
import { initialState, reduce } from '../src/engine/state.js';
import { buildReport } from '../src/report/model.js';
import { renderMarkdown } from '../src/report/markdown.js';
import { patternExamples, runCli, tempDir } from './helpers/util.js';

const ESC = '\x1b';
const conflict = patternExamples('calico/calico-ip-conflict.yaml').positive.find((e) => e.format === 'felix')!.text + '\n';
const markLine = patternExamples('kernel/kernel-ipv6-mark-regression.yaml').positive.find((e) => e.format === 'felix')!.text;
// the headline line with colour codes and a tab after it, as a felix built with colour logs them
const COLOURED = `${markLine} note=${ESC}[31mred${ESC}[0m\tT\n`;
// a kernel release is captured up to the next blank (`[-+~]\S*`), so whatever follows the
// version in a hostile or garbled boot line reaches the Facts and the Timeline
const bootLine = (release: string): string => `May 26 18:00:00 node-1 kernel: [    0.000000] Linux version ${release} (buildd@lcy02-amd64-039) #59-Ubuntu SMP PREEMPT_DYNAMIC Sat Mar 15 17:40:59 UTC 2025\n`;

/** Markdown with fenced blocks and code spans removed: what CommonMark parses as inline text. */
function outsideCode(md: string): string {
  const noFences = md.replace(/^ {0,3}(`{3,})[^\n]*\n[\s\S]*?\n {0,3}\1`*[ \t]*$/gm, '');
  return noFences.replace(/(?<![`\\])(`+)(?!`)([\s\S]*?)(?<!`)\1(?!`)/g, '');
}

/** `<` that CommonMark could read as the start of an HTML tag or comment (GitHub strips those);
 *  `<https://…>` autolinks are meant. */
function rawHtml(md: string): string[] {
  return [...outsideCode(md).matchAll(/(?<!\\)<(?!https?:\/\/)[A-Za-z/!?][^\n]{0,30}/g)].map((m) => m[0]);
}

/** Cells of a GFM table row: split at pipes no backslash escapes. */
function cells(row: string): string[] {
  return row.replace(/^\||\|$/g, '').split(/(?<!\\)\|/).map((c) => c.trim());
}

function tableRows(md: string, heading: string): string[] {
  const at = md.indexOf(`## ${heading}\n`);
  assert.ok(at >= 0, `no ${heading} section`);
  const lines = md.slice(at).split('\n').slice(2);
  const end = lines.findIndex((l) => !l.startsWith('|'));
  return lines.slice(2, end < 0 ? undefined : end); // past the header and delimiter rows
}

test('markdown: placeholders like <id> in pattern prose show on GitHub; inside code they stay as written', async (t) => {
  const d = tempDir(t);
  const f = path.join(d, 'calico-node.log');
  writeFileSync(f, conflict);
  const r = await runCli(['analyze', f, '--format', 'markdown']);
  assert.equal(r.code, 1, r.stderr);
  const md = r.stdout;
  // the audit's two cases: a backslash-escaped `<` is a literal `<`, never a tag
  assert.match(md, /Docker user networks br-\\<id\\> \(172\.18\.0\.1\)/);
  assert.match(md, /interface=\\<regex\\>, cidr=\\<node subnet\\>, can-reach=\\<another node's IP\\>/);
  assert.deepEqual(rawHtml(md), []);
  // `docker*, cbr*` would pair up into emphasis further along the line
  assert.match(md, /covers docker\\\*, cbr\\\*, dummy\\\*/);
  // near misses: a command in a fence is copied by the operator and must stay byte for byte, a
  // code span in the pattern stays code, and an underscore inside a word cannot open emphasis
  assert.match(md, /\n {3}ip -brief addr show \| grep -F '<ip>'\n/);
  assert.match(md, /\(default `first-found`\)/);
  assert.match(md, /edit IP_AUTODETECTION_METHOD in the MicroK8s manifest/);
  assert.match(md, /^- <https:\/\/github\.com\/projectcalico\/calico\/issues\/1628>$/m);
});

test('markdown: placeholders in other patterns (<calico state dir>, <peers>, <dest>) are escaped too', async (t) => {
  const d = tempDir(t);
  const lines: string[] = [];
  // these two are diagnosed from three sightings on
  for (const file of ['calico/calico-cni-nodename-missing.yaml', 'calico/calico-bgp-not-established.yaml']) {
    lines.push(...Array(3).fill(patternExamples(file).positive.find((e) => e.format === 'journal')!.text));
  }
  lines.push(patternExamples('calico/calico-ip-autodetection-failed.yaml').positive.find((e) => e.format === 'felix')!.text);
  writeFileSync(path.join(d, 'node.log'), lines.join('\n') + '\n');
  const r = await runCli(['analyze', path.join(d, 'node.log'), '--format', 'markdown']);
  assert.equal(r.code, 1, r.stderr);
  const md = r.stdout;
  for (const id of ['calico-cni-nodename-missing', 'calico-bgp-not-established', 'calico-ip-autodetection-failed']) assert.ok(md.includes(`\`${id}\``), id);
  for (const word of ['calico state dir', 'peers', 'dest']) assert.ok(md.includes(`\\<${word}\\>`), `<${word}> escaped`);
  assert.deepEqual(rawHtml(md), []);
  // near miss: inside the pattern's own code spans (`interface=<regex>`) a backslash would show
  assert.ok(md.includes('`interface=<regex>`'));
});

test('markdown: log text in prose renders literally; in a code span it is left alone', async (t) => {
  const d = tempDir(t);
  const release = '6.8.0-57-generic*[x](http://e)_`z`&lt;|';
  writeFileSync(path.join(d, 'kern.log'), bootLine(release));
  const r = await runCli(['analyze', path.join(d, 'kern.log'), '--format', 'markdown']);
  const [row] = tableRows(r.stdout, 'Timeline');
  assert.equal(cells(row)[1], 'booted kernel 6.8.0-57-generic\\*\\[x\\](http://e)\\_\\`z\\`\\&lt;\\|');
  // the fact value sits in a code span: no escapes (they would show), delimited by a backtick run
  // the value does not contain; only the pipe is escaped, which GFM reads as `|` even in a span
  const fact = tableRows(r.stdout, 'Facts').find((l) => l.includes('kernel.release'))!;
  assert.equal(cells(fact)[1], '``6.8.0-57-generic*[x](http://e)_`z`&lt;\\|``');
});

test('control characters from a log line are shown, not sent to the terminal; JSON keeps them', async (t) => {
  const d = tempDir(t);
  const f = path.join(d, 'felix.log');
  writeFileSync(f, COLOURED);
  const shown = 'note=?[31mred?[0m\tT';

  const md = await runCli(['analyze', f, '--format', 'markdown']);
  assert.equal(md.code, 1, md.stderr);
  assert.ok(!md.stdout.includes(ESC), 'no raw ESC in the Markdown');
  // the tab is part of the line's layout: kept, as the live UI's `?` is kept for ESC
  assert.ok(md.stdout.includes(shown));

  const text = await runCli(['analyze', f]);
  assert.ok(!text.stdout.includes(ESC), 'no raw ESC under NO_COLOR');
  assert.ok(text.stdout.includes(shown));
  // with colour on, our own styling is there, the log's is not
  const colour = await runCli(['analyze', f], { env: { NO_COLOR: '', FORCE_COLOR: '1' } });
  assert.match(colour.stdout, /\x1b\[1m/);
  assert.ok(!colour.stdout.includes(`${ESC}[31mred`));
  assert.ok(colour.stdout.includes('?[31mred?[0m\tT'));

  const json = JSON.parse((await runCli(['analyze', f, '--json'])).stdout) as { diagnoses: { evidence: { text: string }[] }[] };
  assert.ok(json.diagnoses[0].evidence[0].text.endsWith(`note=${ESC}[31mred${ESC}[0m\tT`), 'the JSON report keeps the raw line');
});

test('a fact\'s escape sequence is shown in plain watch lines, the text and the Markdown report; watch --json keeps it', async (t) => {
  // OSC 0 retitles the terminal window, CSI 2J clears the screen
  const release = `6.8.0-57-generic${ESC}]0;pwned\x07${ESC}[2J`;
  const input = bootLine(release);
  const plain = await runCli(['watch', '-'], { input });
  assert.ok(!plain.stdout.includes(ESC) && !plain.stdout.includes('\x07'), 'no raw control characters');
  assert.match(plain.stdout, /^\d\d:\d\d:\d\d FACT kernel\.release=6\.8\.0-57-generic\?\]0;pwned\?\?\[2J \(stdin\)$/m);
  assert.match(plain.stdout, /^ {2}kernel\.release {2}6\.8\.0-57-generic\?\]0;pwned\?\?\[2J {2}\(stdin\)$/m);

  // the Markdown report puts the value in a code span, where no escaping would help
  const d = tempDir(t);
  writeFileSync(path.join(d, 'kern.log'), input);
  const md = await runCli(['analyze', path.join(d, 'kern.log'), '--format', 'markdown']);
  assert.ok(!md.stdout.includes(ESC) && !md.stdout.includes('\x07'), 'no raw control characters in the Markdown');
  assert.match(md.stdout, /^\| `kernel\.release` \| `6\.8\.0-57-generic\?\]0;pwned\?\?\[2J` \|/m);

  const json = await runCli(['watch', '--json', '-'], { input });
  const fact = json.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as { type: string; value?: string }).find((e) => e.type === 'fact');
  assert.equal(fact?.value, release);
});

test('markdown tables: a | in a file name stays inside its cell', async (t) => {
  const d = tempDir(t);
  const dir = path.join(d, 'bundle');
  mkdirSync(dir);
  const felix = markLine + '\n';
  writeFileSync(path.join(dir, 'node|a.log'), bootLine('6.8.0-57-generic'));
  writeFileSync(path.join(dir, 'felix|b.log'), felix);
  const r = await runCli(['analyze', dir, '--format', 'markdown']);
  assert.equal(r.code, 1, r.stderr);
  const facts = tableRows(r.stdout, 'Facts');
  const timeline = tableRows(r.stdout, 'Timeline');
  assert.ok(facts.length >= 2 && timeline.length >= 2);
  for (const row of [...facts, ...timeline]) assert.equal(cells(row).length, 3, row);
  assert.ok(facts.some((row) => cells(row)[2] === 'node\\|a.log'));
  assert.ok(timeline.some((row) => cells(row)[2] === 'felix\\|b.log'));

  // near miss: a plain name (an underscore inside a word included) is printed as it is
  const plainDir = path.join(d, 'plain');
  mkdirSync(plainDir);
  writeFileSync(path.join(plainDir, 'calico_node-1.log'), felix);
  const r3 = await runCli(['analyze', plainDir, '--format', 'markdown']);
  assert.ok(tableRows(r3.stdout, 'Timeline').some((row) => row.endsWith('| calico_node-1.log |')));
});

test('markdown tables: a newline in a fact\'s source stays inside its cell', () => {
  // The directory walker skips a file whose name holds a newline, so the engine is fed directly;
  // a tar entry or a journal field can still carry one.
  const state = reduce(initialState(), [{ type: 'fact', name: 'kernel.release', value: '6.8.0-57-generic', source: 'var/log/kern\n| x | y |.log', priority: 80 }]);
  const md = renderMarkdown(buildReport(state, loadCatalog(), 'test'));
  const rows = tableRows(md, 'Facts');
  assert.equal(rows.length, 1, md);
  assert.deepEqual(cells(rows[0]), ['`kernel.release`', '`6.8.0-57-generic`', 'var/log/kern \\| x \\| y \\|.log']);
});

test('markdown: a remediation step that starts with # stays text inside its list item', async (t) => {
  const d = tempDir(t);
  const f = path.join(d, 'felix.log');
  writeFileSync(f, markLine + '\n');
  const r = await runCli(['analyze', f, '--json']);
  const rep = JSON.parse(r.stdout) as ReturnType<typeof buildReport>;
  const diag = rep.diagnoses[0];
  diag.remediation = ['# not a heading, a step\n$ microk8s kubectl get pods -A', ...diag.remediation.slice(1)];
  const md = renderMarkdown(rep);
  assert.match(md, /^1\. \\# not a heading, a step$/m, 'a literal # after the list marker');
  // near miss: the command stays as written in its fence
  assert.match(md, /^ {3}microk8s kubectl get pods -A$/m);
});

test('text report on an 80-column terminal: prose wrapped with its indent, evidence cut around the match; piped, lines stay whole', async () => {
  const { renderText } = await import('../src/report/text.js');
  const r = await runCli(['analyze', path.join(process.cwd(), 'samples/bundles/inspection-report-20250526_182512.tar.gz'), '--json']);
  const report = JSON.parse(r.stdout);
  const tty = renderText(report, { color: false, width: 80, clip: true });
  const lines = tty.split('\n');
  // Commands are never wrapped (they are copied whole); a tab is one unit here and up to 8 columns
  // on screen, which the cut allows for.
  const over = lines.filter((l) => !/^\s+(?:\$ |https:\/\/)/.test(l) && l.replace(/\t/g, ' ').length > 80);
  assert.deepEqual(over, []);
  assert.ok(lines.some((l) => /^ {4}A kernel bug, not a Calico/.test(l)), 'root cause keeps its 4-space indent');
  assert.ok(lines.filter((l) => /^ {4}\S/.test(l)).length > 20, 'wrapped lines keep the indent');
  // The felix evidence is ~700 characters; cut to the screen, its matched --set-mark stays in view.
  const felix = lines.filter((l) => /^ {6}….*unknown option \\"--set-mark\\".*…$/.test(l));
  assert.ok(felix.length >= 3, lines.join('\n'));
  const piped = renderText(report, { color: false });
  assert.ok(piped.split('\n').some((l) => l.length > 500 && l.includes('input="*raw')), 'piped: evidence lines whole');
  assert.deepEqual(piped.split('\n').filter((l) => !/^\s+(?:\$ |https:\/\/)/.test(l) && !/^\s{6}/.test(l) && l.length > 100), [], 'piped: prose at 100 columns');
});
