// Report wording an operator reads at 3 a.m.: a fact is only called conflicting when the sources
// really disagree, ages stay readable however old the logs are, and an evidence excerpt never opens
// on half a timestamp or half a word.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadCatalog } from '../src/catalog/load.js';
import { facts } from '../src/engine/diagnose.js';
import type { EngineEvent, HitEvent } from '../src/engine/events.js';
import { compileMatcher } from '../src/engine/matcher.js';
import { StreamScanner } from '../src/engine/scanner.js';
import { initialState, reduce } from '../src/engine/state.js';
import { buildReport } from '../src/report/model.js';
import { renderText } from '../src/report/text.js';
import { renderMarkdown } from '../src/report/markdown.js';
import { age, duration } from '../src/present/format.js';

const catalog = loadCatalog();

const fact = (name: string, value: string, source: string, priority: number): EngineEvent => ({ type: 'fact', name, value, source, priority });

test('facts: a snap revision or a v prefix is detail, not a disagreement; other versions still conflict', () => {
  // the sources and priorities of a sosreport: `microk8s version`, `snap list --all`, bom.json
  const agreeing = reduce(initialState(), [
    fact('microk8s.version', 'v1.32.3', 'sos_commands/microk8s/microk8s_version', 80),
    fact('microk8s.version', 'v1.32.3 (rev 7964)', 'sos_commands/snap/snap_list_--all', 70),
    fact('microk8s.version', 'v1.32.3', 'bom.json', 40),
    fact('iptables.version', '1.8.9', 'felix', 55),
    fact('iptables.version', 'v1.8.9', 'other', 50),
  ]);
  const f = facts(agreeing);
  assert.deepEqual(f['microk8s.version'], { value: 'v1.32.3', source: 'sos_commands/microk8s/microk8s_version' });
  assert.deepEqual(f['iptables.version'], { value: '1.8.9', source: 'felix' });
  // the views print what facts() says: no "but …" line, no "(conflicts: …)" cell
  const r = buildReport(agreeing, catalog, 'test');
  assert.doesNotMatch(renderText(r, { color: false }), /\bbut v1\.32\.3/);
  assert.doesNotMatch(renderMarkdown(r), /conflicts:/);

  const disagreeing = reduce(initialState(), [
    fact('microk8s.version', 'v1.32.3 (rev 7964)', 'sys/snap-list', 70),
    fact('microk8s.version', 'v1.31.0', 'bom.json', 40),
    fact('microk8s.version', 'v1.32.3 (rev 7879)', 'installed-snaps', 60),
    // a longer version is not the shorter one with a flavour
    fact('microk8s.version', 'v1.32.30', 'elsewhere', 30),
  ]);
  assert.deepEqual(facts(disagreeing)['microk8s.version'].conflicts, [
    // two revisions of one release are two installs: both sources name theirs
    { value: 'v1.32.3 (rev 7879)', source: 'installed-snaps' },
    { value: 'v1.31.0', source: 'bom.json' },
    { value: 'v1.32.30', source: 'elsewhere' },
  ]);
  assert.match(renderText(buildReport(disagreeing, catalog, 'test'), { color: false }), /but v1\.31\.0 in bom\.json/);
});

test('ages: a year-old bundle replayed in watch reads in years, not hundreds of thousands of minutes', () => {
  const MIN = 60_000;
  const DAY = 24 * 60 * MIN;
  // the audit's case: 789,385 minutes since the bundle's last line
  assert.equal(age({ quietFor: 789_385 * MIN }, 0), 'quiet 1.5y');
  assert.equal(duration(12.4 * 365.25 * DAY), '12y');
  // every age fits the list's column
  for (const ms of [0, 59_000, 59 * MIN, 23 * 60 * MIN + 59 * MIN, 364 * DAY, 2 * 365.25 * DAY, 9.99 * 365.25 * DAY, 500 * 365.25 * DAY]) {
    assert.ok(duration(ms).length <= 6, `${ms} ms → ${duration(ms)}`);
  }
  // near misses: under a year stays in days, shorter ages keep their units
  assert.equal(duration(364 * DAY), '364d');
  assert.equal(duration(3 * DAY), '3d');
  assert.equal(duration(3 * 60 * MIN + 5 * MIN), '3h5m');
  assert.equal(age({ quietFor: 12 * MIN }, 0), 'quiet 12m');
  // the live screen shows minutes at the finest (a seconds counter would redraw it every second)
  assert.equal(age({ lastSeen: '2025-05-26T18:00:00Z' }, Date.parse('2025-05-26T18:00:45Z')), '<1m ago');
  assert.equal(age({ lastSeen: '2025-05-26T18:00:00Z' }, Date.parse('2025-05-26T18:03:10Z')), '3m ago');
  // a clock gone wrong is not printed as "NaNd"
  assert.equal(duration(Number.NaN), '0s');
});

const EXCERPT = 700;
const matcher = compileMatcher(catalog);
const MATCH = 'ip6tables-restore v1.8.9 (nf_tables): unknown option \\"--set-mark\\"';
const felix = (before: string, after: string): string =>
  `2025-05-26 18:06:59.731 [WARNING][83] felix/table.go 1454: Failed to execute ip(6)tables-restore command error=exit status 2 errorOutput="${before}${MATCH}\\n" input="${after}"`;
/** words of mixed length, so a fixed-width cut lands inside one */
const words = (n: number): string => Array.from({ length: n }, (_, i) => `-A cali-OUTPUT${i} --comment cali:${'x'.repeat(i % 7)}`).join(' ');

function evidenceOf(line: string): { text: string; match: [number, number] } {
  const hits: HitEvent[] = [];
  const sc = new StreamScanner(matcher, { source: 't', path: 'calico-node.log', role: 'log', time: { refTime: Date.UTC(2025, 4, 27) } }, (e) => { if (e.type === 'hit') hits.push(e); });
  sc.push(Buffer.from(line + '\n'));
  sc.end();
  assert.equal(hits.length, 1, 'the record is one hit');
  const ev = hits[0].evidence;
  assert.ok(ev.match);
  return { text: ev.text, match: ev.match };
}

test('evidence: a long record is cut at boundaries, keeping its timestamp when the match is near the start', () => {
  // the audit's case: the match ~200 characters in, the record ~2 KB long
  const near = felix('Warning: the raw table could not be committed, retrying it once more\\n', words(80));
  assert.ok(near.indexOf(MATCH) > 200 && near.length > 3 * EXCERPT);
  const a = evidenceOf(near);
  assert.ok(a.text.startsWith('2025-05-26 18:06:59.731 [WARNING][83] felix/table.go'), a.text.slice(0, 40));
  assert.equal(a.text.slice(a.match[0], a.match[1]).replace(/\\/g, ''), MATCH.replace(/\\/g, ''));
  assert.ok(a.text.length <= EXCERPT + 1, `${a.text.length}`);
  assert.ok(a.text.endsWith('…'));
  assert.ok(near.includes(`${a.text.slice(0, -1)} `), 'it ends on a word boundary');

  // deep in a record: the start goes, and the cut falls before a word, not inside one
  const deep = felix(`${words(60)} `, words(60));
  const b = evidenceOf(deep);
  assert.ok(b.text.startsWith('…') && b.text.endsWith('…'));
  const body = b.text.slice(1, -1);
  assert.ok(deep.includes(` ${body} `), `cut mid-word: ${b.text.slice(0, 30)} … ${b.text.slice(-30)}`);
  assert.ok(body.length <= EXCERPT, `${body.length}`);
  assert.equal(b.text.slice(b.match[0], b.match[1]).replace(/\\/g, ''), MATCH.replace(/\\/g, ''));
  assert.ok(b.match[0] > 100, 'context before the match is kept');

  // what made the record count, cut off at the end of a long line, is still shown after the excerpt
  const v6 = `${felix('Warning: the raw table could not be committed, retrying it once more\\n', words(80))} ipVersion=0x6 table="mangle"`;
  const c = evidenceOf(v6);
  assert.ok(c.text.endsWith('… ipVersion=0x6'), c.text.slice(-40));
  assert.ok(c.text.length <= EXCERPT + 20, `${c.text.length}`);
  assert.ok(!evidenceOf(near).text.includes('ipVersion'), 'nothing is added to a record without it');

  // near miss: a record that fits is quoted whole, untouched
  const short = felix('', 'x');
  assert.ok(short.length <= EXCERPT);
  assert.equal(evidenceOf(short).text, short);
});
