/** @jsxRuntime automatic @jsxImportSource react */
// The `watch` terminal UI, rendered by Ink into in-memory streams and driven by a real in-memory
// LiveStore. Colour is forced on (before chalk is loaded) so that inverse/colour codes can be checked.
process.env.FORCE_COLOR = '1';
delete process.env.NO_COLOR;

import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import type { ReactElement } from 'react';
import type { Diagnosis } from '../src/engine/diagnose.js';
import type { LiveModel, LiveNote, LiveStore } from '../src/present/live-model.js';

const { render } = await import('ink-testing-library');
const ink = await import('ink');
const { App, BEL } = await import('../src/ui/App.js');
const text = await import('../src/present/text.js');
const keys = await import('../src/ui/keys.js');
const { age } = await import('../src/present/format.js');

// ---------------------------------------------------------------- store and fixtures

class MemoryStore implements LiveStore {
  private model: LiveModel;
  private listeners = new Set<() => void>();
  readonly pausedCalls: boolean[] = [];
  constructor(model: LiveModel) {
    this.model = model;
  }
  getSnapshot = (): LiveModel => this.model;
  subscribe = (l: () => void): (() => void) => {
    this.listeners.add(l);
    return () => {
      this.listeners.delete(l);
    };
  };
  setPaused = (paused: boolean): void => {
    this.pausedCalls.push(paused);
    this.set({ paused });
  };
  /** a change: new model, version bumped, listeners told */
  set(patch: Partial<LiveModel>): void {
    this.model = { ...this.model, ...patch, version: this.model.version + 1 };
    this.notify();
  }
  /** a notification without a change (same version, even a fresh object) */
  touch(): void {
    this.model = { ...this.model };
    this.notify();
  }
  notify(): void {
    for (const l of [...this.listeners]) l();
  }
}

const FELIX =
  String.raw`2025-05-26 18:09:40.512 [WARNING][72] felix/table.go 1227: Failed to execute ip(6)tables-restore command error=exit status 2 errorOutput="ip6tables-restore v1.8.10 (legacy): unknown option \"--set-mark\"\nError occurred at line: 5\nTry ` +
  "`ip6tables-restore -h' or 'ip6tables-restore --help' for more information.\\n\"" +
  ' input="" ipVersion=0x6 output="" table="mangle"';
const FELIX_MATCH_TEXT = String.raw`ip6tables-restore v1.8.10 (legacy): unknown option \"--set-mark\"`;
const FELIX_MATCH: [number, number] = [FELIX.indexOf(FELIX_MATCH_TEXT), FELIX.indexOf(FELIX_MATCH_TEXT) + FELIX_MATCH_TEXT.length];

const KUBE_PROXY = [
  'E0526 18:09:41.004512    2187 proxier.go:1564] "Failed to execute iptables-restore" err=<',
  '\texit status 2: ip6tables-restore v1.8.10 (legacy): unknown option "--xor-mark"',
  "\tError occurred at line: 14",
  "\tTry `ip6tables-restore -h' or 'ip6tables-restore --help' for more information.",
  ' > ipFamily="IPv6"',
].join('\n');
const KP_MATCH_TEXT = 'ip6tables-restore v1.8.10 (legacy): unknown option "--xor-mark"';
const KP_MATCH: [number, number] = [KUBE_PROXY.indexOf(KP_MATCH_TEXT), KUBE_PROXY.indexOf(KP_MATCH_TEXT) + KP_MATCH_TEXT.length];

const MARK: Diagnosis = {
  id: 'kernel-ipv6-mark-regression',
  title: 'Kernel IPv6 MARK target broken — ip6tables rejects --set-mark (Ubuntu 6.8.0-56/57 and others)',
  severity: 'critical',
  kind: 'cause',
  confidence: 0.95,
  summary:
    "ip6tables on this node cannot use the MARK target (`--set-mark`, `--xor-mark`, `--set-xmark`), so calico-node's felix cannot program its IPv6 rules and panics in a loop, and kube-proxy cannot program its IPv6 service rules. Pod networking on this node is broken until the kernel is changed or IPv6 is turned off in Calico.",
  rootCause:
    'A kernel bug, not a Calico, MicroK8s or iptables-userspace problem. Upstream commit 0bfcb7b71e73 ("netfilter: xtables: avoid NFPROTO_UNSPEC where needed", the fix for CVE-2024-50038) registered the IPv6 entry of the MARK target (revision 2) in xt_mark.c with NFPROTO_IPV4 instead of NFPROTO_IPV6. From then on the kernel offers no MARK target to ip6tables, so every ip6tables-restore payload that sets a mark fails, while IPv4 keeps working. Fixed upstream by 306ed1728e84 ("netfilter: xtables: fix typo causing some targets not to load on IPv6").',
  notThis:
    'The popular explanation — a legacy vs nf_tables iptables mismatch — is a red herring: nf_tables-mode ip6tables fails the same way.',
  remediation: [
    'Confirm on the node that the kernel, not the configuration, rejects the IPv6 MARK target.\n  $ uname -r\n  $ sudo ip6tables -t mangle -N cnidoctor-test && sudo ip6tables -t mangle -A cnidoctor-test -j MARK --set-mark 0x1; sudo ip6tables -t mangle -F cnidoctor-test; sudo ip6tables -t mangle -X cnidoctor-test',
    "Boot the last good kernel and keep the broken one from coming back: 6.8.0-55 on Ubuntu 24.04.\n  $ sudo grub-reboot 'Advanced options for Ubuntu>Ubuntu, with Linux 6.8.0-55-generic' && sudo reboot\n  $ sudo apt-mark hold linux-generic linux-image-generic linux-headers-generic",
    'Do not switch the iptables backend (FELIX_IPTABLESBACKEND) in the hope of a fix — nf_tables mode fails the same way.',
  ],
  references: ['https://github.com/canonical/microk8s/issues/5022', 'https://bugs.launchpad.net/ubuntu/+source/linux/+bug/2091990'],
  occurrences: 42,
  firstSeen: '2025-05-26T18:09:40.512Z',
  lastSeen: '2025-05-26T18:13:40.000Z',
  evidence: [
    { source: '/var/log/containers/calico-node-x7k2p_kube-system_calico-node-3f1d2c4b5a6e.log', line: 1234, time: '2025-05-26T18:09:40.512Z', text: FELIX, match: FELIX_MATCH },
    { source: 'journal: snap.microk8s.daemon-kubelite', line: 88, time: '2025-05-26T18:09:41.004Z', text: KUBE_PROXY, match: KP_MATCH },
    { source: 'journal: snap.microk8s.daemon-kubelite', line: 0, time: '2025-05-26T18:00:00.000Z', text: 'kernel.release = 6.8.0-57-generic' },
  ],
  factors: [{ because: 'the running kernel is a release known to carry the broken IPv6 MARK registration', add: 0.2, facts: [{ name: 'kernel.release', value: '6.8.0-57-generic', source: 'uname' }] }],
  captures: {},
};

const CRASHLOOP: Diagnosis = {
  id: 'calico-node-crashloop',
  title: 'calico-node is crash-looping (kubelet back-off)',
  severity: 'error',
  kind: 'symptom',
  confidence: 0.9,
  summary: 'kubelet keeps restarting the calico-node container and backing off between attempts, so this node has no working pod network while it lasts.',
  rootCause: 'A symptom, not a cause. Felix failures panic felix inside the container until the liveness probe makes kubelet kill the container.',
  remediation: ['Read the log of the container that died.\n  $ microk8s kubectl -n kube-system logs ds/calico-node -c calico-node --previous --tail=200'],
  references: ['https://kubernetes.io/docs/tasks/debug/debug-application/debug-pods/'],
  occurrences: 7,
  firstSeen: '2025-05-26T18:10:02.000Z',
  lastSeen: '2025-05-26T18:14:10.000Z',
  evidence: [
    {
      source: 'journal: snap.microk8s.daemon-kubelite',
      line: 412,
      time: '2025-05-26T18:14:10.000Z',
      text: 'E0526 18:14:10.512345    2187 pod_workers.go:1301] "Error syncing pod, skipping" err="failed to \\"StartContainer\\" for \\"calico-node\\" with CrashLoopBackOff: \\"back-off 5m0s restarting failed container=calico-node pod=calico-node-x7k2p_kube-system\\""',
      match: [0, 0],
    },
  ],
  factors: [],
  likelyCause: 'kernel-ipv6-mark-regression',
  captures: {},
};

{
  const e = CRASHLOOP.evidence[0];
  const at = e.text.indexOf('back-off 5m0s restarting failed container=calico-node');
  e.match = [at, at + 'back-off 5m0s restarting failed container=calico-node'.length];
}

const NOT_READY: Diagnosis = {
  id: 'calico-node-not-ready',
  title: 'calico-node is not ready (BIRD / felix readiness failing)',
  severity: 'warning',
  kind: 'symptom',
  confidence: 0.7,
  summary: 'The calico-node readiness probe fails.',
  rootCause: 'A symptom: felix is not ready.',
  remediation: ['Describe the pod.\n  $ microk8s kubectl -n kube-system describe pod -l k8s-app=calico-node'],
  references: [],
  occurrences: 3,
  firstSeen: '2025-05-26T18:01:00.000Z',
  lastSeen: '2025-05-26T18:02:00.000Z',
  evidence: [{ source: 'journal: snap.microk8s.daemon-kubelite', line: 12, time: '2025-05-26T18:02:00.000Z', text: 'Readiness probe failed: calico/node is not ready: felix is not ready', match: [0, 22] }],
  factors: [],
  quietFor: 12 * 60_000,
  captures: {},
};

const NOW = Date.parse('2025-05-26T18:16:00.000Z');

function model(patch: Partial<LiveModel> = {}): LiveModel {
  return {
    sources: ['journal: snap.microk8s.*', 'file: /var/log/containers/calico-node-x7k2p_kube-system_calico-node-3f1d2c4b5a6e.log'],
    lines: 12345,
    linesPerSec: 210,
    keepingUp: true,
    backlog: 0,
    paused: false,
    mode: 'live',
    facts: {
      'kernel.release': { value: '6.8.0-57-generic', source: 'uname' },
      'ipv6.enabled': { value: 'true', source: '/proc/sys/net/ipv6' },
      'microk8s.version': { value: 'v1.32.3', source: 'snap' },
      'calico.version': { value: 'v3.28.1', source: 'cni.yaml' },
    },
    diagnoses: [MARK, CRASHLOOP, NOT_READY],
    upFor: 14 * 60_000,
    now: NOW,
    notes: [],
    version: 1,
    ...patch,
  };
}

// ---------------------------------------------------------------- rendering helpers

// eslint-disable-next-line no-control-regex
const strip = (s: string): string => s.replace(/\u001B\[[0-9;]*m/g, '');
const lines = (frame: string | undefined): string[] => strip(frame ?? '').replace(/\n$/, '').split('\n');
const tick = (ms = 10): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** A terminal of a given size: Ink into in-memory streams (the same options ink-testing-library uses). */
class FakeStdout extends EventEmitter {
  frames: string[] = [];
  constructor(public columns: number, public rows: number) {
    super();
  }
  write = (frame: string): boolean => {
    this.frames.push(frame);
    return true;
  };
  lastFrame = (): string | undefined => this.frames.filter((f) => f !== BEL).at(-1);
}

class FakeStdin extends EventEmitter {
  isTTY = true;
  private data: string | null = null;
  write = (data: string): void => {
    this.data = data;
    this.emit('readable');
    this.emit('data', data);
  };
  read = (): string | null => {
    const d = this.data;
    this.data = null;
    return d;
  };
  setEncoding(): void {}
  setRawMode(): void {}
  resume(): void {}
  pause(): void {}
  ref(): void {}
  unref(): void {}
}

const mounted: Array<{ unmount: () => void; cleanup: () => void }> = [];
after(() => {
  for (const m of mounted) {
    m.unmount();
    m.cleanup();
  }
});

function renderAt(tree: ReactElement, columns: number, rows: number) {
  const stdout = new FakeStdout(columns, rows);
  const stdin = new FakeStdin();
  const stderr = new FakeStdout(columns, rows);
  const instance = ink.render(tree, {
    stdout: stdout as unknown as NodeJS.WriteStream,
    stderr: stderr as unknown as NodeJS.WriteStream,
    stdin: stdin as unknown as NodeJS.ReadStream,
    debug: true,
    exitOnCtrlC: false,
    patchConsole: false,
  });
  mounted.push(instance);
  return { stdout, stdin, frames: stdout.frames, lastFrame: stdout.lastFrame, unmount: instance.unmount };
}

/** Runs `action` and waits for Ink to draw the result (React schedules the render, and on a busy
 *  machine that can take a while), then for output to go quiet. */
async function drawn(frames: string[], action: () => void = () => {}, expectFrame = true): Promise<void> {
  const n0 = frames.length;
  action();
  const start = Date.now();
  if (expectFrame) {
    while (frames.length === n0 && Date.now() - start < 10_000) await tick(2);
    if (frames.length === n0) throw new Error('no frame drawn within 10 s of the action');
  }
  let n = frames.length;
  // Quiet for 60 ms: a render React had already scheduled lands within that even on a busy machine.
  for (;;) {
    await tick(60);
    if (frames.length === n) return;
    n = frames.length;
  }
}

function setup(m: LiveModel = model(), opts: { bell?: boolean; columns?: number; rows?: number; color?: boolean } = {}) {
  const store = new MemoryStore(m);
  let quits = 0;
  const r = renderAt(<App store={store} onQuit={() => quits++} bell={opts.bell} color={opts.color} />, opts.columns ?? 100, opts.rows ?? 30);
  const press = (k: string, expectFrame = true): Promise<void> => drawn(r.frames, () => r.stdin.write(k), expectFrame);
  const update = (fn: () => void, expectFrame = true): Promise<void> => drawn(r.frames, fn, expectFrame);
  const ready = (): Promise<void> => drawn(r.frames, () => {}, r.frames.length === 0);
  return { store, r, press, update, ready, quits: () => quits };
}

function rowOf(frame: string | undefined, text: string): string {
  const row = lines(frame).find((l) => l.includes(text));
  assert.ok(row, `no row with ${JSON.stringify(text)} in:\n${strip(frame ?? '')}`);
  return row;
}

function assertFits(frame: string | undefined, columns: number, rows: number, what: string): void {
  const ls = lines(frame);
  assert.ok(ls.length <= rows - 1, `${what}: ${ls.length} rows, terminal has ${rows}:\n${ls.join('\n')}`);
  for (const l of ls) assert.ok([...l].length <= columns, `${what}: row wider than ${columns} (${[...l].length}): ${JSON.stringify(l)}`);
}

const DOWN = '\u001B[B';
const UP = '\u001B[A';

// ---------------------------------------------------------------- tests

describe('watch UI', () => {
  test('ink-testing-library renders the App at its default 100 columns', async () => {
    const store = new MemoryStore(model());
    const t = render(<App store={store} onQuit={() => {}} />);
    await drawn(t.frames, () => {}, t.frames.length === 0);
    const ls = lines(t.lastFrame());
    assert.ok(ls.some((l) => l.includes('kernel-ipv6-mark-regression')));
    for (const l of ls) assert.ok([...l].length <= 100, l);
    t.unmount();
  });

  test('lists diagnoses in the store’s ranked order with the cursor on the first', async () => {
    const { r, ready } = setup();
    await ready();
    const ls = lines(r.lastFrame());
    const at = (id: string): number => ls.findIndex((l) => l.includes(id) && /×\d/.test(l));
    assert.ok(at('kernel-ipv6-mark-regression') >= 0);
    assert.ok(at('kernel-ipv6-mark-regression') < at('calico-node-crashloop'));
    assert.ok(at('calico-node-crashloop') < at('calico-node-not-ready'));
    const first = rowOf(r.lastFrame(), 'kernel-ipv6-mark-regression  ');
    assert.match(first, /^> /);
    assert.match(first, /CRIT/);
    assert.match(first, /×42/);
    assert.match(first, /2m ago/);
    assert.match(first, /0\.95/);
    assert.match(rowOf(r.lastFrame(), 'calico-node-not-ready'), /quiet 12m/);
    assert.match(rowOf(r.lastFrame(), 'calico-node-not-ready'), /^ {2}/);
  });

  test('j/k and the arrow keys move the selection, and the detail follows', async () => {
    const { r, press, ready } = setup();
    await ready();
    const cursorOn = (): string => lines(r.lastFrame()).find((l) => l.startsWith('> '))!;
    assert.match(cursorOn(), /kernel-ipv6-mark-regression/);
    await press('j');
    assert.match(cursorOn(), /calico-node-crashloop/);
    assert.ok(lines(r.lastFrame()).some((l) => l.includes('caused by kernel-ipv6-mark-regression')), 'symptom shows its likely cause');
    await press(DOWN);
    assert.match(cursorOn(), /calico-node-not-ready/);
    await press(DOWN, false);
    assert.match(cursorOn(), /calico-node-not-ready/, 'stays at the bottom');
    await press('k');
    assert.match(cursorOn(), /calico-node-crashloop/);
    await press(UP);
    assert.match(cursorOn(), /kernel-ipv6-mark-regression/);
    await press(UP, false);
    assert.match(cursorOn(), /kernel-ipv6-mark-regression/, 'stays at the top');
  });

  test('keys typed faster than the UI redraws each act on the state the previous one left', async () => {
    const { r, ready } = setup();
    await ready();
    await drawn(r.frames, () => {
      r.stdin.write('j');
      r.stdin.write('j');
    });
    assert.match(lines(r.lastFrame()).find((l) => l.startsWith('> '))!, /calico-node-not-ready/);
  });

  test('several keys in one read (key repeat, tmux send-keys jjjj) each count', async () => {
    const { r, ready } = setup();
    await ready();
    const cursorOn = (): string => lines(r.lastFrame()).find((l) => l.startsWith('> '))!;
    await drawn(r.frames, () => r.stdin.write('jj'));
    assert.match(cursorOn(), /calico-node-not-ready/);
    await drawn(r.frames, () => r.stdin.write('kjk'));
    assert.match(cursorOn(), /calico-node-crashloop/);
  });

  test('the selection follows its diagnosis when the ranking changes', async () => {
    const { r, store, press, update, ready } = setup();
    await ready();
    await press('j');
    await update(() => store.set({ diagnoses: [CRASHLOOP, NOT_READY, MARK] }));
    const cur = lines(r.lastFrame()).find((l) => l.startsWith('> '))!;
    assert.match(cur, /calico-node-crashloop/);
  });

  test('enter expands the root cause in full, and collapses it again', async () => {
    const { r, press, ready } = setup();
    await ready();
    const before = strip(r.lastFrame()!);
    assert.match(before, /Cause {2}A kernel bug, not a Calico/);
    assert.doesNotMatch(before, /not to load on IPv6/);
    assert.doesNotMatch(before, /Not it/);
    await press('\r');
    const after = strip(r.lastFrame()!);
    assert.match(after, /not to load on IPv6/);
    assert.match(after, /Not it The popular explanation/);
    assert.match(after, /Detail \(full\)/);
    await press('\r');
    assert.doesNotMatch(strip(r.lastFrame()!), /not to load on IPv6/);
  });

  test('the detail shows remediation commands and references', async () => {
    const { r, ready } = setup(model(), { rows: 40 });
    await ready();
    const f = strip(r.lastFrame()!);
    assert.match(f, /Do {5}1\. Confirm on the node/);
    assert.match(f, /\$ uname -r/);
    assert.match(f, /Refs {3}https:\/\/github\.com\/canonical\/microk8s\/issues\/5022 \(\+1 more\)/);
  });

  test('the matched text of an evidence line is highlighted (inverse)', async () => {
    const { r, ready } = setup();
    await ready();
    const raw = r.lastFrame()!;
    // collapsed, the most recent record with a match is shown: kube-proxy's, at the line that matched
    assert.ok(rowOf(raw, 'unknown option').includes(KP_MATCH_TEXT));
    // eslint-disable-next-line no-control-regex
    const inv = /\u001B\[7m(?:\u001B\[[0-9;]*m)*([^\u001B]+)/.exec(raw.slice(raw.indexOf('exit status 2')));
    assert.ok(inv, 'an inverse run follows');
    assert.equal(inv[1], KP_MATCH_TEXT, 'inverse covers exactly the match');
  });

  test('a long evidence line is cut with … on both sides and its match stays visible', async () => {
    const { r, press, ready } = setup();
    await ready();
    await press('e');
    const row = rowOf(r.lastFrame(), FELIX_MATCH_TEXT);
    assert.match(row, /^ {2}…/);
    assert.match(row, /…$/);
    assert.ok([...row].length <= 100);
    assert.match(rowOf(r.lastFrame(), ':1234'), /^\/var\/log\/containers\/calico-node-x7k2p_kube-system_calico-node-3f1d2c4b5a6e\.log:1234 {2}18:09:40$/, 'a short time leaves room for the path');
  });

  test('e opens the evidence view with every evidence line, and closes it', async () => {
    const { r, press, ready } = setup();
    await ready();
    await press('e');
    const f = strip(r.lastFrame()!);
    assert.match(f, /3 evidence lines(?: \(kept of \d+ seen\))? for kernel-ipv6-mark-regression/);
    assert.ok(f.includes(FELIX_MATCH_TEXT), 'the felix match is visible');
    assert.ok(f.includes(KP_MATCH_TEXT));
    assert.match(f, /kernel\.release = 6\.8\.0-57-generic/);
    assert.match(f, /─ Evidence /);
    // enter in the evidence view shows whole records, wrapped
    await press('\r');
    assert.match(strip(r.lastFrame()!), /Error occurred at line: 14/);
    await press('e');
    assert.doesNotMatch(strip(r.lastFrame()!), /3 evidence lines/);
  });

  test('space and b scroll an expanded detail that does not fit', async () => {
    const { r, press, ready } = setup();
    await ready();
    await press('\r');
    assert.match(strip(r.lastFrame()!), /… \d+ more rows/);
    const top = lines(r.lastFrame())[6];
    await press(' ');
    assert.notEqual(lines(r.lastFrame())[6], top);
    await press('b');
    assert.equal(lines(r.lastFrame())[6], top);
  });

  test('p asks the store to pause and resume; the header shows it', async () => {
    const { r, store, press, ready } = setup();
    await ready();
    assert.doesNotMatch(strip(r.lastFrame()!), /PAUSED/);
    await press('p');
    assert.deepEqual(store.pausedCalls, [true]);
    assert.match(lines(r.lastFrame())[0], /\[PAUSED\]/);
    await press('p');
    assert.deepEqual(store.pausedCalls, [true, false]);
    assert.doesNotMatch(strip(r.lastFrame()!), /PAUSED/);
  });

  test('p does nothing once the input has ended (a finished replay has nothing left to pause)', async () => {
    const { r, store, press, ready, update } = setup(model({ mode: 'replay', speed: 60 }));
    await ready();
    await update(() => store.set({ finished: true }));
    await press('p', false);
    assert.deepEqual(store.pausedCalls, []);
    assert.doesNotMatch(strip(r.lastFrame()!), /PAUSED/);
    r.unmount();
  });

  test('q and ctrl-c call onQuit', async () => {
    const a = setup();
    await a.ready();
    await a.press('q', false);
    assert.equal(a.quits(), 1);
    const b = setup();
    await b.ready();
    await b.press('\u0003', false);
    assert.equal(b.quits(), 1);
  });

  test('? shows the key help; the next key closes it', async () => {
    const { r, press, store, ready } = setup();
    await ready();
    await press('?');
    const f = strip(r.lastFrame()!);
    assert.match(f, /Keys/);
    assert.match(f, /enter +expand \/ collapse the detail/);
    assert.match(f, /q {2}ctrl-c +quit/);
    assert.doesNotMatch(f, /calico-node-crashloop/);
    await press('p');
    assert.deepEqual(store.pausedCalls, [], 'the key only closed the help');
    assert.match(strip(r.lastFrame()!), /calico-node-crashloop/);
  });

  test('empty state says nothing known was seen and what is watched', async () => {
    const { r, ready } = setup(model({ diagnoses: [] }));
    await ready();
    const f = strip(r.lastFrame()!);
    assert.match(f, /No known failure seen yet — watching 2 sources/);
    assert.match(f, /12,345 lines scanned in 14m/);
    assert.match(f, /· journal: snap\.microk8s\.\*/);
  });

  test('the header shows rate, backlog, replay speed, facts and problems', async () => {
    const { r, ready } = setup(model({ keepingUp: false, backlog: 1234, mode: 'replay', speed: 4, notes: [{ text: 'file: /var/log/syslog: permission denied' }, { text: 'journal restarted' }] }));
    await ready();
    const [status, facts, problem] = lines(r.lastFrame());
    assert.match(status, /replay ×4/);
    assert.match(status, /12,345 lines/);
    assert.match(status, /210 lines\/s/);
    assert.match(status, /behind \(1,234 queued\)/);
    assert.match(facts, /kernel 6\.8\.0-57-generic/);
    assert.match(facts, /ipv6 on/);
    assert.match(facts, /microk8s v1\.32\.3/);
    assert.match(facts, /calico v3\.28\.1/);
    // the newest problem, with a count of the earlier ones
    assert.match(problem, /^! journal restarted \(\+1 earlier\)/);
  });

  test('the header\'s note row: the newest problem stands over later rotations; routine events alone are shown dim, not as a warning', async () => {
    const lost = { text: '/var/log/syslog: permission denied (run as a user who can read it, e.g. in group adm); still trying' };
    const rotated = { text: '/var/log/calico/felix.log: rotated, following the new file from its start', routine: true as const };
    const row = async (notes: LiveNote[], columns = 100): Promise<string> => {
      const { r, ready } = setup(model({ notes }), { columns });
      await ready();
      const third = r.lastFrame()!.split('\n')[2];
      r.unmount();
      return third;
    };
    const mixed = await row([lost, rotated, { text: 'journal restarted' }, rotated]);
    assert.match(strip(mixed), /^! journal restarted \(\+1 earlier\)/);
    const routine = await row([rotated]);
    assert.match(strip(routine), /^· \/var\/log\/calico\/felix\.log: rotated/);
    assert.doesNotMatch(routine, /\x1b\[33m/, 'not yellow');
    // a problem its own source's later note settles is over: the file appeared
    const settled = await row([{ text: '/var/log/felix.log: does not exist yet; waiting for it' }, { text: '/var/log/felix.log: appeared, reading from its start', routine: true }]);
    assert.match(strip(settled), /^· \/var\/log\/felix\.log: appeared/);
    // at 80 columns a long path gives up its middle, not the event: the file's name and "rotated" stay
    const long = await row([{ text: '/var/log/pods/kube-system_calico-node-abc12_3f1d2e4a-9b7c-4d21-8e5f-0a1b2c3d4e5f/calico-node/0.log: rotated, following the new file from its start', routine: true }], 80);
    assert.match(strip(long), /^· \/var\/log\/pods\/kub.*….*calico-node\/0\.log: rotated, /, strip(long));
    assert.ok([...strip(long).trimEnd()].length <= 80, strip(long));
  });

  test('collapsed at 80 columns, first and last seen carry their date when it is not the other end\'s or today\'s', async () => {
    const meta = async (first: string, last: string, now: number): Promise<string> => {
      const { r, ready } = setup(model({ diagnoses: [{ ...MARK, firstSeen: first, lastSeen: last, quietFor: undefined }], now }), { columns: 80 });
      await ready();
      const row = rowOf(r.lastFrame(), 'first ');
      r.unmount();
      return row;
    };
    // A recording spanning two days, read on the second.
    let row = await meta('2025-05-26T18:09:40.512Z', '2025-05-27T09:00:01.000Z', Date.parse('2025-05-27T09:05:00Z'));
    assert.match(row, /first 05-26 18:09:40/, row);
    assert.match(row, /last 05-27 09:00:01/, row);
    // One day, today: times alone.
    row = await meta('2025-05-26T18:09:40.512Z', '2025-05-26T18:15:01.000Z', NOW);
    assert.match(row, /first 18:09:40 .*last 18:15:01/, row);
    // One day, but not today: the date.
    row = await meta('2025-05-26T18:09:40.512Z', '2025-05-26T18:15:01.000Z', Date.parse('2025-05-28T10:00:00Z'));
    assert.match(row, /first 05-26 18:09:40/, row);
    assert.match(row, /last 05-26 18:15:01/, row);
    // Another year: the date in full.
    row = await meta('2024-12-31T23:59:00.000Z', '2025-01-01T00:01:00.000Z', Date.parse('2025-01-01T00:02:00Z'));
    assert.match(row, /first 2024-12-31 23:59:00/, row);
    assert.match(row, /last 01-01 00:01:00/, row);
  });

  test('a replay\'s header at 80 columns: the mode once, the recording\'s name whole, and "replay done" once it has played', async () => {
    const name = 'inspection-report-20250526_182512.tar.gz';
    const { r, ready, store, update } = setup(model({ mode: 'replay', speed: 60, sources: [name] }), { columns: 80 });
    await ready();
    let status = lines(r.lastFrame())[0];
    assert.equal(status.match(/replay/g)?.length, 1, status);
    assert.match(status, /replay ×60/);
    assert.ok(status.includes(name), `the name whole: ${status}`);
    await update(() => store.set({ finished: true }));
    status = lines(r.lastFrame())[0];
    assert.match(status, /^replay done · /);
    assert.ok(status.includes(name), `the name whole: ${status}`);
    assert.doesNotMatch(status, /lines\/s|keeping up|×60/, 'nothing is read any more: no rate');
    r.unmount();
  });

  test('in a replay the header\'s "up" is time since the watch started, not the recording\'s clock', async () => {
    const { WatchStore } = await import('../src/cli/watch-store.js');
    const { LiveEngine } = await import('../src/engine/live.js');
    const { loadCatalog } = await import('../src/catalog/load.js');
    const catalog = loadCatalog([]);
    const engine = new LiveEngine(catalog);
    const store = new WatchStore(engine, catalog, { sources: ['replay x'], mode: 'replay', speed: 60, backlog: () => 0, setPaused: () => {} });
    engine.feed('x', { source: 'x', path: 'x', role: 'log', time: { refTime: Date.UTC(2025, 4, 27) } },
      '2025-05-26 18:06:59.731 [WARNING][83] felix/table.go 1454: Failed to execute ip(6)tables-restore command error=exit status 2 errorOutput="ip6tables-restore v1.8.9 (nf_tables): unknown option \\"--set-mark\\"\\n" ipVersion=0x6\n');
    engine.settle(0, Date.now() + 60_000); // the record is complete: no line will join it
    store.tick();
    store.publish();
    const m = store.getSnapshot();
    assert.ok(m.now < Date.UTC(2025, 5, 1), 'the replay clock is the recording\'s');
    assert.ok(m.upFor >= 0 && m.upFor < 60_000, `up for ${m.upFor} ms`);
    const t = render(<App store={store} onQuit={() => {}} />);
    await drawn(t.frames, () => {}, t.frames.length === 0);
    assert.match(lines(t.lastFrame())[0], / up <1m/);
    t.unmount();
  });

  test('ages and uptime move on the screen once a minute: a publish when the shown minute changes, none in between', async (t) => {
    const { WatchStore } = await import('../src/cli/watch-store.js');
    const { LiveEngine } = await import('../src/engine/live.js');
    const { loadCatalog } = await import('../src/catalog/load.js');
    const catalog = loadCatalog([]);
    const engine = new LiveEngine(catalog);
    const T = Date.UTC(2025, 4, 26, 18, 6, 59, 731);
    const realNow = Date.now;
    let clock = T + 500;
    Date.now = () => clock;
    t.after(() => { Date.now = realNow; });
    const store = new WatchStore(engine, catalog, { sources: ['x'], mode: 'live', backlog: () => 0, setPaused: () => {} });
    engine.feed('x', { source: 'x', path: 'x', role: 'log', time: { refTime: T } },
      '2025-05-26 18:06:59.731 [WARNING][83] felix/table.go 1454: Failed to execute ip(6)tables-restore command error=exit status 2 errorOutput="ip6tables-restore v1.8.9 (nf_tables): unknown option \\"--set-mark\\"\\n" ipVersion=0x6\n');
    engine.settle(0, clock + 60_000);
    let published = 0;
    store.subscribe(() => { published++; });
    const at = (ms: number): string => {
      clock = T + ms;
      store.publish();
      return age(store.getSnapshot().diagnoses[0], store.getSnapshot().now);
    };
    assert.equal(at(1_000), '<1m ago');
    const after = published;
    for (const ms of [5_000, 20_000, 45_000, 59_000]) assert.equal(at(ms), '<1m ago');
    assert.equal(published, after, 'no redraw while the screen would show the same');
    assert.equal(at(61_000), '1m ago');
    assert.equal(published, after + 1, 'one redraw when the minute turns (it took up to 30 s, showing a stale "3s ago")');
    assert.equal(at(119_000), '1m ago');
    assert.equal(at(121_000), '2m ago');
  });

  test('--bell rings once for a new critical diagnosis, not on re-render or for non-critical ones', async () => {
    const { r, store, update, ready } = setup(model({ diagnoses: [] }), { bell: true });
    await ready();
    const bells = (): number => r.frames.filter((f) => f.includes(BEL)).length;
    assert.equal(bells(), 0);
    await update(() => store.set({ diagnoses: [CRASHLOOP] }));
    assert.equal(bells(), 0, 'an error is not critical');
    await update(() => store.set({ diagnoses: [MARK, CRASHLOOP] }));
    assert.equal(bells(), 1);
    assert.ok(r.frames.includes(BEL), 'BEL is written on its own, not with a redraw');
    await update(() => store.set({ diagnoses: [{ ...MARK, occurrences: 43 }, CRASHLOOP], lines: 20000 }));
    await update(() => store.touch(), false);
    assert.equal(bells(), 1, 'the same critical id does not ring again');
    await update(() => store.set({ diagnoses: [MARK, { ...CRASHLOOP, id: 'cni-other-critical', severity: 'critical' }] }));
    assert.equal(bells(), 2, 'a second critical id rings');
    assert.match(strip(r.lastFrame()!), /cni-other-critical/, 'the UI is still drawn after the bell');
  });

  test('a critical diagnosis already present at start rings once', async () => {
    const { r, store, update, ready } = setup(model(), { bell: true });
    await ready();
    await update(() => store.set({ lines: 1 }));
    assert.equal(r.frames.filter((f) => f.includes(BEL)).length, 1);
  });

  test('without --bell nothing is rung', async () => {
    const { r, store, update, ready } = setup(model({ diagnoses: [] }));
    await ready();
    await update(() => store.set({ diagnoses: [MARK] }));
    assert.equal(r.frames.filter((f) => f.includes(BEL)).length, 0);
  });

  test('a notification without a version change renders nothing; a change renders', async () => {
    const renders = { n: 0 };
    const { Profiler } = await import('react');
    const store = new MemoryStore(model());
    const r = renderAt(
      <Profiler id="app" onRender={() => renders.n++}>
        <App store={store} onQuit={() => {}} />
      </Profiler>,
      100,
      30,
    );
    await drawn(r.frames, () => {}, r.frames.length === 0);
    const frames0 = r.frames.length;
    const renders0 = renders.n;
    await drawn(r.frames, () => {
      for (let i = 0; i < 20; i++) store.touch();
    }, false);
    await tick(200);
    assert.equal(r.frames.length, frames0, 'no new frame');
    assert.equal(renders.n, renders0, 'no React commit');
    await drawn(r.frames, () => store.set({ lines: 99999 }));
    assert.equal(r.frames.length, frames0 + 1, 'one change, one frame');
    assert.equal(renders.n, renders0 + 1, 'one change, one commit');
    assert.match(strip(r.lastFrame()!), /99,999 lines/);
  });

  for (const [columns, rows] of [[80, 24], [100, 30], [50, 15]] as const) {
    test(`every view fits ${columns}×${rows}`, async () => {
      const { r, press, ready } = setup(model({ notes: [{ text: 'file: /var/log/containers/kube-proxy-very-long-name.log: permission denied' }] }), { columns, rows });
      await ready();
      assertFits(r.lastFrame(), columns, rows, 'list');
      assert.ok(strip(r.lastFrame()!).includes('kernel-ipv6-mark-regression'), 'the full id fits');
      await press('\r');
      assertFits(r.lastFrame(), columns, rows, 'expanded');
      await press(' ');
      assertFits(r.lastFrame(), columns, rows, 'expanded, scrolled');
      await press('e');
      assertFits(r.lastFrame(), columns, rows, 'evidence, full');
      await press('\r');
      assertFits(r.lastFrame(), columns, rows, 'evidence');
      assert.ok(strip(r.lastFrame()!).includes('"--xor-mark"'), 'the match stays visible in a cut line');
      await press('?');
      assertFits(r.lastFrame(), columns, rows, 'help');
      await press('?');
      await press('j');
      await press('j');
      assertFits(r.lastFrame(), columns, rows, 'third diagnosis');
      const empty = setup(model({ diagnoses: [], paused: true }), { columns, rows });
      await empty.ready();
      assertFits(empty.r.lastFrame(), columns, rows, 'empty');
    });
  }

  test('at 50 columns secondary text is shortened, not wrapped', async () => {
    const { r, ready } = setup(model({ keepingUp: false, backlog: 1234 }), { columns: 50, rows: 15 });
    await ready();
    const ls = lines(r.lastFrame());
    assert.match(ls[0], /^2 sources · 12k ln · 210\/s · behind \(1,234 queued\)$/);
    assert.match(ls[1], /^6\.8\.0-57-generic {2}v6 on {2}mk8s v1\.32\.3 {2}cal v3\.28\.1$/);
    assert.ok(ls.some((l) => /^> .*kernel-ipv6-mark-regression ×42 2m ago/.test(l)));
    assert.match(rowOf(r.lastFrame(), 'Kernel IPv6 MARK'), /^Kernel IPv6 MARK target broken — ip6tables reject…$/);
  });

  test('at 50 columns a long evidence path loses its start, not its file name and line', async () => {
    const { r, press, ready } = setup(model(), { columns: 50, rows: 15 });
    await ready();
    await press('e');
    assert.match(rowOf(r.lastFrame(), ':1234'), /^…\S*calico-node-3f1d2c4b5a6e\.log:1234 {2}18:09:40$/);
    const hit = rowOf(r.lastFrame(), '--set-mark');
    assert.match(hit, /^ {2}….*ip6tables-.*…: unknown option \\"--set-mark\\"$/, 'a match wider than the pane keeps both its ends');
  });

  test('follows terminal resize', async () => {
    const { r, update, ready } = setup(model(), { columns: 100, rows: 30 });
    await ready();
    assert.ok(lines(r.lastFrame()).some((l) => [...l].length > 60));
    await update(() => {
      r.stdout.columns = 50;
      r.stdout.rows = 15;
      r.stdout.emit('resize');
    });
    assertFits(r.lastFrame(), 50, 15, 'after resize');
  });

  test('NO_COLOR: no colour codes, text severity markers, inverse still marks selection and match', async () => {
    process.env.NO_COLOR = '1';
    try {
      const { r, ready } = setup();
      await ready();
      const raw = r.lastFrame()!;
      // eslint-disable-next-line no-control-regex
      const codes = [...raw.matchAll(/\u001B\[([0-9;]*)m/g)].flatMap((m) => m[1].split(';').map(Number));
      const colour = codes.filter((c) => (c >= 30 && c <= 49 && c !== 39 && c !== 49) || (c >= 90 && c <= 107));
      assert.deepEqual(colour, [], 'no colour SGR codes');
      assert.match(rowOf(raw, 'kernel-ipv6-mark-regression  '), /^> \[CRIT\] kernel-ipv6-mark-regression/);
      assert.match(rowOf(raw, 'calico-node-crashloop  '), /^ {2}\[ERR\] {2}calico-node-crashloop/);
      assert.match(rowOf(raw, 'calico-node-not-ready  '), /\[WARN\]/);
      assert.ok(codes.includes(7), 'inverse is used');
    } finally {
      delete process.env.NO_COLOR;
    }
  });

  test('control characters in log text never reach the terminal', async () => {
    const hostile: Diagnosis = {
      ...MARK,
      evidence: [{ source: 'evil\u001B]0;pwned\u0007.log', line: 1, text: 'before \u001B[2J\u001B[H unknown option "--set-mark" after\ttab', match: [20, 49] }],
    };
    const { r, press, ready } = setup(model({ diagnoses: [hostile], sources: ['file: x\u001B[31m'] }));
    await ready();
    await press('e');
    for (const f of r.frames) {
      assert.ok(!f.includes('\u001B[2J') && !f.includes('\u001B]0;') && !f.includes(BEL) && !f.includes('x\u001B[31m'), `raw control sequence in ${JSON.stringify(f)}`);
    }
    assert.match(strip(r.lastFrame()!), /unknown option "--set-mark" after tab/);
  });

  test('tiny panes degrade without wrapping or crashing', async () => {
    for (const [columns, rows] of [[30, 8], [20, 5]] as const) {
      const { r, press, ready } = setup(model(), { columns, rows });
      await ready();
      assertFits(r.lastFrame(), columns, Math.max(rows, 5), `${columns}×${rows}`);
      await press('\r');
      assertFits(r.lastFrame(), columns, Math.max(rows, 5), `${columns}×${rows} expanded`);
    }
  });
});

describe('watch UI text layout', () => {
  const join = (ps: Array<{ text: string; hit: boolean }>): string => ps.map((p) => (p.hit ? `[${p.text}]` : p.text)).join('');

  test('clipAround keeps the match in view with … on the cut sides', () => {
    const t = 'a'.repeat(60) + 'MATCH' + 'b'.repeat(60);
    assert.equal(join(text.clipAround(t, [60, 65], 20)), '…aaaa[MATCH]bbbbbbbbb…');
    assert.equal(join(text.clipAround('short MATCH line', [6, 11], 40)), 'short [MATCH] line');
    assert.equal(join(text.clipAround('MATCH' + 'b'.repeat(50), [0, 5], 10)), '[MATCH]bbbb…');
    assert.equal(join(text.clipAround('x'.repeat(10) + 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', [10, 36], 12)), '…[ABC…TUVWXYZ]');
    for (const w of [1, 2, 5, 9, 13, 40]) {
      const width = text.strWidth(join(text.clipAround(t, [60, 65], w)).replace(/[[\]]/g, ''));
      assert.ok(width <= w, `width ${width} > ${w}`);
    }
  });

  test('wrapWords, limitLines and truncate respect the width, wide characters included', () => {
    const lines = text.wrapWords('one two three four five six seven eight nine ten', 12);
    assert.deepEqual(lines, ['one two', 'three four', 'five six', 'seven eight', 'nine ten']);
    assert.deepEqual(text.limitLines(lines, 2, 12), ['one two', 'three four…']);
    assert.equal(text.truncate('日本語のログ', 7), '日本語…');
    assert.equal(text.strWidth(text.truncate('日本語のログ', 7)), 7);
    assert.deepEqual(text.wrapWords('https://example.com/a/very/long/url', 10), ['https://ex', 'ample.com/', 'a/very/lon', 'g/url']);
  });

  test('wrapAround breaks evidence at spaces, keeps the match marked across the break, and cuts only a run wider than the line', () => {
    const t = 'Failed to execute ip(6)tables-restore command';
    const at = (m: string): [number, number] => [t.indexOf(m), t.indexOf(m) + m.length];
    assert.deepEqual(text.wrapAround(t, at('ip(6)tables-restore'), 24).map(join), ['Failed to execute ', '[ip(6)tables-restore] ', 'command']);
    assert.deepEqual(text.wrapAround(t, at('execute ip(6)tables'), 24).map(join), ['Failed to [execute ]', '[ip(6)tables]-restore ', 'command']);
    // The break on a space: the space is not carried over.
    assert.deepEqual(text.wrapAround('abc def', undefined, 3).map(join), ['abc', 'def']);
    assert.deepEqual(text.wrapAround('x'.repeat(25) + ' y', [3, 5], 10).map(join), ['xxx[xx]xxxxx', 'xxxxxxxxxx', 'xxxxx y']);
    // The whole felix record at 74 cells: every row fits, rows end at a space, nothing lost.
    const rows = text.wrapAround(FELIX, FELIX_MATCH, 74);
    for (const r of rows) assert.ok(text.strWidth(r.map((p) => p.text).join('')) <= 74);
    let pos = 0;
    for (const [k, r] of rows.entries()) {
      const row = r.map((p) => p.text).join('');
      assert.equal(FELIX.slice(pos, pos + row.length), row, 'nothing lost');
      pos += row.length;
      // A break falls on a space: after it (the row ends with it) or on it (not shown).
      if (k < rows.length - 1 && !row.endsWith(' ')) assert.equal(FELIX[pos++], ' ', `row ${k} ends mid-word: ${row}`);
    }
    assert.equal(pos, FELIX.length);
    assert.equal(rows.flat().filter((p) => p.hit).map((p) => p.text).join(''), FELIX_MATCH_TEXT);
  });

  test('sanitize keeps offsets and removes control characters', () => {
    const s = 'a\u001B[2Jb\tc\u0007';
    const t = text.sanitize(s);
    assert.equal(t.length, s.length);
    assert.equal(t, 'a?[2Jb c?');
    // Bidi overrides and isolates would reorder evidence on screen.
    const bidi = 'ok \u202Egnp.exe\u202C \u2066x\u2069';
    assert.equal(text.sanitize(bidi), 'ok ?gnp.exe? ?x?');
  });

  test('emoji take two cells, as terminals draw them (a row overflowed and lost characters)', () => {
    for (const e of ['🚀', '✅', '❌', '⚠️']) assert.equal(text.strWidth(e), 2, JSON.stringify(e));
    assert.equal(text.strWidth('⚠'), 1, 'without VS16 the warning sign is text, one cell');
    const row = `deploy 🚀 ✅ failed ❌ ${'x'.repeat(60)}`;
    assert.ok(text.strWidth(text.truncate(row, 40)) <= 40);
    assert.equal(text.strWidth(text.truncate(row, 40)), 40);
  });

  test('keys: selection by id survives re-ranking; help swallows the next key', () => {
    const ctx = { ids: ['a', 'b', 'c'], detailHeight: 10, maxScroll: 30 };
    let s = keys.INITIAL_UI;
    const step = (input: string, key = {}): ReturnType<typeof keys.onKey> => {
      const r = keys.onKey(s, input, key, ctx);
      if (r.type === 'state') s = r.state;
      return r;
    };
    step('j');
    assert.deepEqual(s.sel, { id: 'b', index: 1 });
    assert.equal(keys.selectedIndex(s.sel, ['c', 'b', 'a']), 1);
    assert.equal(keys.selectedIndex(s.sel, ['c', 'a']), 1, 'gone: the same position');
    step(' ');
    assert.equal(s.scroll, 8);
    step('b');
    assert.equal(s.scroll, 0);
    step('?');
    assert.equal(s.help, true);
    assert.equal(step('p').type, 'state', 'p only closes the help');
    assert.equal(s.help, false);
    assert.equal(step('p').type, 'pause');
    assert.equal(step('q').type, 'quit');
    assert.equal(step('c', { ctrl: true }).type, 'quit');
    assert.equal(keys.onKey(keys.INITIAL_UI, 'j', {}, { ids: [], detailHeight: 0, maxScroll: 0 }).type, 'none');
  });
});

test('detail: commands wrap at spaces with a shell continuation, so a copied command still runs; the likely cause is said once; the evidence view says how much it kept', async () => {
  const { wrapCommand, detailRows } = await import('../src/ui/Detail.js');
  const cmd = 'sudo ip6tables -t mangle -N cnidoctor-test && sudo ip6tables -t mangle -A cnidoctor-test -j MARK --set-mark 0x1';
  const lines = wrapCommand(cmd, 40);
  assert.ok(lines.length > 1 && lines.every((l) => text.strWidth(l) <= 40), JSON.stringify(lines));
  assert.ok(lines.slice(0, -1).every((l) => l.endsWith(' \\')), JSON.stringify(lines));
  // what a shell makes of the pasted lines: continuations joined, the command as written
  assert.equal(lines.map((l) => l.replace(/ \\$/, '')).join(' '), cmd);
  assert.deepEqual(wrapCommand('uname -r', 40), ['uname -r']);
  // and the expanded detail uses it
  const withCmd: Diagnosis = { ...CRASHLOOP, remediation: [`Test the MARK target.\n  $ ${cmd}`] };
  const cmdRows = detailRows(withCmd, { width: 60, expanded: true, evidence: false, scroll: 0, height: 80 } as never).map((r) => r.map((x) => x.text).join('').trimEnd());
  const first = cmdRows.findIndex((r) => r.includes('$ sudo ip6tables'));
  assert.ok(first >= 0 && cmdRows[first].endsWith(' \\'), cmdRows.join('\n'));
  const d: Diagnosis = { ...CRASHLOOP, likelyCause: 'kernel-ipv6-mark-regression', summary: `${CRASHLOOP.summary} Likely caused by kernel-ipv6-mark-regression (Kernel IPv6 MARK target broken), also diagnosed here: fix that first.` };
  const rows = detailRows(d, { width: 120, expanded: true, evidence: false, scroll: 0, height: 80 } as never).map((r) => r.map((x) => x.text).join(''));
  assert.equal(rows.filter((r) => /Likely|likely/.test(r)).length, 1, rows.join('\n'));
  const ev = detailRows({ ...d, occurrences: 63 }, { width: 120, expanded: false, evidence: true, scroll: 0, height: 80 } as never).map((r) => r.map((x) => x.text).join(''));
  assert.match(ev[0], /evidence lines? \(kept of 63 seen\)/);
});

test('help cut by a short pane says how much is left out', async () => {
  const { fitHelp, helpRows } = await import('../src/ui/HelpOverlay.js');
  const all = helpRows(50, false);
  assert.ok(all.length > 12, `${all.length} rows`);
  const cut = fitHelp(all, 12, 50);
  assert.equal(cut.length, 12);
  assert.match(cut[11].map((s) => s.text).join(''), /^… \d+ more lines: a taller pane shows them/);
  assert.deepEqual(fitHelp(all, all.length, 50), all);
});
