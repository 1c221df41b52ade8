// rsyslog writes a message's control characters escaped (`#011` for a tab), so the tab-led lines of a
// kube-proxy `err=<` block arrive in /var/log/syslog as `#011…`. Read as syslog, they must join into
// the block, and the block must be recognised as a copy of the same journal entry.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseLine } from '../src/parse/formats.js';
import { ROOT, runCli, tempDir } from './helpers/util.js';

const ctx = { refTime: Date.UTC(2025, 4, 27, 12) };
const ID = 'kernel-ipv6-mark-regression';

interface Ev { source: string; line: number; text: string }
interface Rep { diagnoses: { id: string; occurrences: number; evidence: Ev[] }[] }

async function analyze(p: string): Promise<Rep> {
  const r = await runCli(['analyze', p, '--json']);
  assert.ok(r.code === 0 || r.code === 1, r.stderr);
  return JSON.parse(r.stdout) as Rep;
}
const headline = (rep: Rep): Rep['diagnoses'][number] | undefined => rep.diagnoses.find((d) => d.id === ID);

/** One kube-proxy failure as journal `short` lines: one entry, and one prefix, per line of the block. */
const PREFIX = 'May 26 18:06:29 node1 microk8s.daemon-kubelite[2187]: ';
const BLOCK = [
  'E0526 18:06:29.093696    2187 proxier.go:1564] "Failed to execute iptables-restore" err=<',
  '\texit status 2: Ignoring deprecated --wait-interval option.',
  '\tWarning: Extension MARK revision 0 not supported, missing kernel module?',
  '\tip6tables-restore v1.8.7 (nf_tables): unknown option "--xor-mark"',
  '\tError occurred at line: 25',
  ' > ipFamily="IPv6"',
];
const BEFORE = 'I0526 18:06:28.762691    2187 shared_informer.go:320] Caches are synced for endpoint slice config';
const AFTER = 'I0526 18:06:30.000001    2187 proxier.go:800] "Syncing iptables rules"';
const lines = (msgs: string[]): string => msgs.map((m) => PREFIX + m).join('\n') + '\n';
const JOURNAL = lines([BEFORE, ...BLOCK, AFTER]);
/** The same entries as rsyslog writes them (classic stamps, as before Ubuntu 24.04). */
const SYSLOG = JOURNAL.replaceAll('\t', '#011');

test('syslog: a kube-proxy err=< block with #011-escaped tabs is one record, and a copy of the journal entry', async (t) => {
  const d = tempDir(t);
  mkdirSync(path.join(d, 'var/log'), { recursive: true });
  writeFileSync(path.join(d, 'var/log/syslog'), SYSLOG);

  // The syslog copy alone: the block, joined and read with its tabs, not the bare `#011…` fragment.
  const alone = headline(await analyze(d));
  assert.ok(alone, 'the failure is found in syslog');
  assert.equal(alone.occurrences, 1);
  assert.equal(alone.evidence[0].line, 2, 'evidence points at the block header');
  assert.equal(alone.evidence[0].text, BLOCK.join('\n'), 'the whole block, tabs restored');

  // Next to the journal it was copied from, the entry counts once.
  writeFileSync(path.join(d, 'kubelite-journal.log'), JOURNAL);
  const both = headline(await analyze(d));
  assert.ok(both);
  assert.equal(both.occurrences, 1, JSON.stringify(both.evidence.map((e) => [e.source, e.line])));

  // The parser itself: a syslog line reads `#011` as the tab it stands for.
  const p = parseLine(`${PREFIX}#011ip6tables-restore v1.8.7 (nf_tables): unknown option "--xor-mark"`, 'syslog', ctx);
  assert.equal(p.format, 'syslog');
  assert.equal(p.msg, '\tip6tables-restore v1.8.7 (nf_tables): unknown option "--xor-mark"');
  // Other control characters use the same octal form (RFC 3339 stamps: Ubuntu 24.04's rsyslog).
  const iso = parseLine('2025-05-26T18:06:29.013604+00:00 node1 tag[1]: a#015#033[0mb#177', 'syslog', ctx);
  assert.equal(iso.msg, 'a\r\x1b[0mb\x7f');
});

test('near misses: #NNN changes meaning only in syslog, and only where it names a control character', async (t) => {
  // The same bytes in a file that is not syslog: the `#011` line stays literal text, on its own.
  const d = tempDir(t);
  writeFileSync(path.join(d, 'kubelite.log'), SYSLOG);
  const other = headline(await analyze(path.join(d, 'kubelite.log')));
  assert.ok(other);
  assert.ok(other.evidence.every((e) => !e.text.includes('\t') && !e.text.includes('err=<')), JSON.stringify(other.evidence));
  assert.ok(other.evidence.some((e) => e.text.startsWith('#011ip6tables-restore')), 'the literal text is kept');
  // ... and named syslog, the same bytes join (this is what the layout's format decides).
  mkdirSync(path.join(d, 'logs'));
  writeFileSync(path.join(d, 'logs', 'syslog'), SYSLOG);
  const named = headline(await analyze(path.join(d, 'logs')));
  assert.ok(named);
  assert.equal(named.evidence[0].text, BLOCK.join('\n'));

  // Line by line: journal and felix lines keep a literal `#011`.
  const journal = `${PREFIX}#011ip6tables-restore v1.8.7`;
  assert.equal(parseLine(journal, 'journal', ctx).msg, '#011ip6tables-restore v1.8.7');
  assert.equal(parseLine(journal, undefined, ctx).msg, '#011ip6tables-restore v1.8.7', 'an undeclared file is not syslog');
  const felix = '2025-05-26 18:07:12.345 [WARNING][83] felix/table.go 1454: rule #011 failed';
  assert.equal(parseLine(felix, 'syslog', ctx).msg, felix, 'a felix line inside a syslog-named file is not unescaped');
  // In syslog, a printable `#NNN` was never an escape: `#123` (an issue number) and `#57-Ubuntu` stay.
  const kernel = parseLine('May 26 17:52:01 node1 kernel: Linux version 6.8.0-57-generic #57-Ubuntu, see #123 and #400', 'syslog', ctx);
  assert.equal(kernel.msg, 'Linux version 6.8.0-57-generic #57-Ubuntu, see #123 and #400');
});

test('sample sosreport: syslog copies of kube-proxy blocks are not counted twice', async () => {
  const rep = await analyze(path.join(ROOT, 'samples', 'bundles', 'sosreport-node1-2025-05-26-abcdefg.tar.xz'));
  const d = headline(rep);
  assert.ok(d);
  // 46 kube-proxy failures + 23 felix ones: the count without var/log/syslog.
  assert.equal(d.occurrences, 69);
  assert.ok(d.evidence.every((e) => !e.text.startsWith('#011')), 'no bare fragment in evidence');
});

test('watch --file on a file named syslog joins #011-escaped blocks as analyze does', async (t) => {
  const { WatchProcess } = await import('./helpers/watch.js');
  const { appendFileSync } = await import('node:fs');
  const d = tempDir(t);
  const log = path.join(d, 'syslog');
  writeFileSync(log, '');
  const w = new WatchProcess(['--file', log]);
  t.after(() => w.child.kill('SIGKILL'));
  await w.waitFor('start', () => w.events.some((e) => e.type === 'stats'));
  appendFileSync(log, SYSLOG);
  await w.waitFor('the failure', () => w.count(ID) === 1);
  await w.stop();
  const ds = w.events.filter((e) => e.type === 'diagnosis' && e.diagnosis?.id === ID);
  const ev = (ds.pop()?.diagnosis as unknown as { evidence: Ev[] }).evidence;
  assert.equal(ev[0].line, 2, 'evidence points at the block header');
  assert.equal(ev[0].text, BLOCK.join('\n'), 'the whole block, tabs restored');
});

test('analyze on a lone file named syslog (or syslog.1.gz) reads it as syslog', async (t) => {
  const d = tempDir(t);
  const { execFileSync } = await import('node:child_process');
  const log = path.join(d, 'syslog');
  writeFileSync(log, SYSLOG);
  writeFileSync(path.join(d, 'syslog.1'), SYSLOG);
  execFileSync('gzip', [path.join(d, 'syslog.1')]);
  for (const f of [log, path.join(d, 'syslog.1.gz')]) {
    const h = headline(await analyze(f));
    assert.ok(h, f);
    assert.equal(h.evidence[0].line, 2, `${f}: evidence points at the block header`);
    assert.equal(h.evidence[0].text, BLOCK.join('\n'), `${f}: the whole block, tabs restored`);
  }
});
