// Prometheus metrics: real engine → diagnoses → update() → GET /metrics over loopback.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { loadCatalog } from '../src/catalog/load.js';
import { analyzePaths } from '../src/engine/run.js';
import { buildReport } from '../src/report/model.js';
import { createMetrics, parseListen, serveMetrics } from '../src/export/metrics.js';
import { tempDir } from './helpers/util.js';

/** fetch with a deadline (undici's own is 300 s): a server that never answers fails the test */
const get = (url: string, init: RequestInit = {}): Promise<Response> => fetch(url, { ...init, signal: AbortSignal.timeout(10_000) });

const cat = loadCatalog();

// Calico v3.29 felix, legacy backend, Go-quoted errorOutput (patterns/kernel/kernel-ipv6-mark-regression.yaml)
const FELIX = '2025-05-26 18:07:12.345 [WARNING][83] felix/table.go 1454: Failed to execute ip(6)tables-restore command error=exit status 2 errorOutput="ip6tables-restore v1.8.4 (legacy): unknown option \\"--set-mark\\"\\nError occurred at line: 7\\nTry `ip6tables-restore -h\' or \'ip6tables-restore --help\' for more information.\\n" input="*mangle\\n:cali-PREROUTING - -\\nCOMMIT\\n" ipVersion=0x6 output="" table="mangle"';

function sample(body: string, name: string): string | undefined {
  const re = new RegExp(`^${name}(\\{[^}]*\\})? (\\S+)$`, 'gm');
  const out: string[] = [];
  for (const m of body.matchAll(re)) out.push(`${m[1] ?? ''} ${m[2]}`);
  return out.length ? out.join('\n') : undefined;
}

test('a real felix --set-mark failure shows as cnidoctor_diagnosis_active 1 on /metrics', async (t) => {
  const dir = tempDir(t, 'cnidoctor-metrics-');
  const file = path.join(dir, 'calico-node.log');
  writeFileSync(file, [
    '2025-05-26 18:07:11.001 [INFO][83] felix/int_dataplane.go 1951: Applying dataplane updates',
    FELIX,
    '2025-05-26 18:07:13.002 [INFO][83] felix/int_dataplane.go 1951: Applying dataplane updates',
  ].join('\n') + '\n');

  const { state, unreadable } = await analyzePaths([file], cat);
  assert.deepEqual(unreadable, []);
  const report = buildReport(state, cat, '0.1.0-test');
  const d = report.diagnoses.find((x) => x.id === 'kernel-ipv6-mark-regression');
  assert.ok(d, `diagnosed: ${report.diagnoses.map((x) => x.id).join(', ')}`);

  const m = createMetrics({ version: '0.1.0-test', catalog: cat });
  m.update(report.diagnoses, { lines: state.stats.lines, lagSeconds: 1.5 });
  const srv = await serveMetrics('127.0.0.1:0', m.registry);
  t.after(() => srv.close());
  assert.ok(srv.port > 0);
  const url = `http://127.0.0.1:${srv.port}`;

  const res = await get(`${url}/metrics`);
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
  const body = await res.text();
  assert.match(body, /^cnidoctor_diagnosis_active\{diagnosis="kernel-ipv6-mark-regression",severity="critical"\} 1$/m);
  assert.match(body, new RegExp(`^cnidoctor_diagnosis_confidence\\{diagnosis="kernel-ipv6-mark-regression"\\} ${d.confidence}$`, 'm'));
  assert.match(body, new RegExp(`^cnidoctor_signal_matches_total\\{diagnosis="kernel-ipv6-mark-regression"\\} ${d.occurrences}$`, 'm'));
  assert.match(body, new RegExp(`^cnidoctor_lines_read_total ${state.stats.lines}$`, 'm'));
  assert.ok(state.stats.lines >= 3);
  assert.match(body, /^cnidoctor_source_lag_seconds 1\.5$/m);
  assert.match(body, /^cnidoctor_build_info\{version="0\.1\.0-test"\} 1$/m);
  assert.match(body, /^# TYPE cnidoctor_signal_matches_total counter$/m);
  assert.match(body, /^# TYPE cnidoctor_diagnosis_active gauge$/m);
  // every other catalog class is an explicit 0, and nothing carries a node label
  for (const p of cat.patterns.filter((x) => !report.diagnoses.some((y) => y.id === x.id))) {
    assert.match(body, new RegExp(`^cnidoctor_diagnosis_active\\{diagnosis="${p.id}",severity="${p.severity}"\\} 0$`, 'm'));
  }
  assert.ok(!/\bnode(_name)?="/.test(body), 'no node label from the exporter');
  for (const line of body.split('\n').filter((l) => l && !l.startsWith('#'))) assert.match(line, /^cnidoctor_[a-z_]+(\{[^}]*\})? \S+$/);

  // counters only go up: the class clearing leaves the counter, the gauge drops to 0
  m.update([], { lines: state.stats.lines + 10 });
  const after = await (await get(`${url}/metrics`)).text();
  assert.match(after, /^cnidoctor_diagnosis_active\{diagnosis="kernel-ipv6-mark-regression",severity="critical"\} 0$/m);
  assert.equal(sample(after, 'cnidoctor_signal_matches_total')?.includes(`{diagnosis="kernel-ipv6-mark-regression"} ${d.occurrences}`), true);
  assert.match(after, new RegExp(`^cnidoctor_lines_read_total ${state.stats.lines + 10}$`, 'm'));
  // it comes back with 2 more occurrences: the counter adds the delta
  m.update([{ ...d, occurrences: d.occurrences + 2 }], { lines: state.stats.lines + 10 });
  const again = await (await get(`${url}/metrics`)).text();
  assert.match(again, new RegExp(`^cnidoctor_signal_matches_total\\{diagnosis="kernel-ipv6-mark-regression"\\} ${d.occurrences + 2}$`, 'm'));
  // a restarted engine (count went down) adds its new count whole: never a decrease
  m.update([{ ...d, occurrences: 1 }], { lines: 4 });
  const restarted = await (await get(`${url}/metrics`)).text();
  assert.match(restarted, new RegExp(`^cnidoctor_signal_matches_total\\{diagnosis="kernel-ipv6-mark-regression"\\} ${d.occurrences + 3}$`, 'm'));
  assert.match(restarted, new RegExp(`^cnidoctor_lines_read_total ${state.stats.lines + 14}$`, 'm'));

  assert.equal((await get(`${url}/`)).status, 404);
  assert.equal((await get(`${url}/metrics/x`)).status, 404);
  assert.equal((await get(`${url}/metrics`, { method: 'POST' })).status, 405);
  assert.equal((await get(`${url}/metrics?x=1`)).status, 200);
});

test('listen addresses', async () => {
  assert.deepEqual(parseListen(':9464'), { host: undefined, port: 9464 });
  assert.deepEqual(parseListen('9464'), { host: undefined, port: 9464 });
  assert.deepEqual(parseListen('127.0.0.1:9464'), { host: '127.0.0.1', port: 9464 });
  assert.deepEqual(parseListen('[::1]:0'), { host: '::1', port: 0 });
  for (const bad of ['', 'x', ':99999', '::1:9464', 'host:', 'a b:1']) assert.throws(() => parseListen(bad), /not a listen address/, bad);
  // a taken port rejects instead of crashing
  const m = createMetrics();
  const a = await serveMetrics('127.0.0.1:0', m.registry);
  try {
    await assert.rejects(serveMetrics(`127.0.0.1:${a.port}`, m.registry), /cannot serve metrics/);
  } finally {
    await a.close();
  }
});

test('beforeScrape runs on each scrape; its failure is a 500, not a crash', async () => {
  const m = createMetrics({ version: 'x' });
  let n = 0;
  let broken = false;
  const srv = await serveMetrics('127.0.0.1:0', m.registry, {
    beforeScrape: () => {
      if (broken) throw new Error('boom');
      n++;
      m.update([], { lines: n * 5 });
    },
  });
  try {
    const url = `http://127.0.0.1:${srv.port}/metrics`;
    await get(url);
    const body = await (await get(url)).text();
    assert.equal(n, 2);
    assert.match(body, /^cnidoctor_lines_read_total 10$/m);
    assert.ok(!body.includes('cnidoctor_source_lag_seconds'), 'lag absent until a source reports it');
    broken = true;
    const res = await get(url);
    assert.equal(res.status, 500);
    assert.match(await res.text(), /boom/);
  } finally {
    await srv.close();
  }
});

test('watch --headless --metrics exports cnidoctor_source_lag_seconds (0 while caught up) from the real process', async (t) => {
  const { WatchProcess } = await import('./helpers/watch.js');
  const dir = tempDir(t, 'cnidoctor-metrics-');
  const file = path.join(dir, 'calico-node.log');
  writeFileSync(file, '');
  const w = new WatchProcess(['--headless', '--metrics', '127.0.0.1:0', '--file', file]);
  t.after(() => w.child.kill('SIGKILL'));
  await w.waitFor('metrics address', () => /metrics on http:\/\/127\.0\.0\.1:\d+\/metrics/.test(w.stderr));
  const url = /(http:\/\/127\.0\.0\.1:\d+\/metrics)/.exec(w.stderr)![1];
  await w.waitFor('the file followed', () => w.events.some((e) => e.type === 'stats'));
  writeFileSync(file, FELIX + '\n');
  await w.waitFor('the diagnosis', () => w.events.some((e) => e.type === 'diagnosis'));
  const body = await (await get(url)).text();
  assert.match(body, /^cnidoctor_source_lag_seconds 0$/m);
  await w.stop();
});

test('source lag: seconds since the followed files were last read to their end; a paused reader still measures what waits', async (t) => {
  const { WatchStore } = await import('../src/cli/watch-store.js');
  const { LiveEngine } = await import('../src/engine/live.js');
  const { FileFollower } = await import('../src/sources/follow.js');
  const dir = tempDir(t, 'cnidoctor-lag-');
  const file = path.join(dir, 'felix.log');
  writeFileSync(file, '');
  const engine = new LiveEngine(cat);
  const f = new FileFollower(file, { data: (b, gen) => engine.feed(`f#${gen}`, { source: file, path: file, role: 'log', time: { refTime: Date.now() } }, b), end: () => {}, note: () => {} }, { fromStart: false, pollMs: 20 });
  const store = new WatchStore(engine, cat, { sources: [file], mode: 'live', backlog: () => f.backlog, setPaused: (p) => f.setPaused(p) });
  t.after(() => { store.close(); return f.close(); });
  await f.start();
  const until = async (what: string, pred: () => boolean): Promise<void> => {
    const t0 = Date.now();
    while (!pred()) {
      if (Date.now() - t0 > 10_000) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 10));
    }
  };
  const t0 = Date.now();
  assert.equal(store.lag(t0), 0);
  store.setPaused(true);
  await f.kick(); // a poll already under way when the pause came finishes first
  const big = (FELIX + '\n').repeat(6000); // ~4.5 MB written while paused
  writeFileSync(file, big);
  // Measured on the follower's next tick although nothing is read while paused.
  await until('the backlog measured while paused', () => f.backlog === Buffer.byteLength(big));
  const m = store.getSnapshot();
  store.publish();
  assert.equal(store.getSnapshot().keepingUp, false, `header says behind while paused with ${f.backlog} bytes unread (was ${m.keepingUp})`);
  assert.equal(store.lag(t0 + 7000), 7);
  store.setPaused(false);
  await until('caught up', () => f.backlog === 0);
  assert.equal(store.lag(t0 + 8000), 0);
});

test('a replay shows its lines/s before its first hit (the rate was computed only once a hit gave the replay a clock)', async (t) => {
  const { WatchStore } = await import('../src/cli/watch-store.js');
  const { LiveEngine } = await import('../src/engine/live.js');
  const engine = new LiveEngine(cat);
  const store = new WatchStore(engine, cat, { sources: ['replay x'], mode: 'replay', backlog: () => 0, setPaused: () => undefined });
  t.after(() => store.close());
  const info = { source: 'x', path: 'x.log', role: 'log' as const, time: { refTime: Date.now() } };
  const t0 = Date.now();
  while (store.getSnapshot().linesPerSec === 0) {
    assert.ok(Date.now() - t0 < 10_000, 'lines/s still 0 after 10 s of lines');
    engine.feed('x', info, 'May 26 18:00:00 node1 sshd[1]: Accepted publickey for ops\n'.repeat(100));
    store.tick();
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.ok(store.getSnapshot().lines > 0);
  assert.equal(Object.keys(engine.state.hits).length, 0, 'no hit, so no replay clock');
});

test('the watch store keeps a problem among its latest notes however many rotations follow it', async () => {
  const { WatchStore } = await import('../src/cli/watch-store.js');
  const { LiveEngine } = await import('../src/engine/live.js');
  const store = new WatchStore(new LiveEngine(cat), cat, { sources: ['x'], mode: 'live', backlog: () => 0, setPaused: () => {} });
  try {
    store.note('/var/log/syslog: permission denied (run as a user who can read it, e.g. in group adm); still trying');
    for (let i = 0; i < 50; i++) store.note(`/var/log/pods/p${i}/0.log: rotated, following the new file from its start`, true);
    store.publish();
    const notes = store.getSnapshot().notes;
    assert.ok(notes.length <= 20, String(notes.length));
    assert.ok(notes.some((n) => !n.routine && /permission denied/.test(n.text)), 'the problem is kept');
    assert.match(notes[notes.length - 1].text, /p49\/0\.log: rotated/, 'the newest note is last');
  } finally {
    store.close();
  }
});
