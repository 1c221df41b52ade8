// The real program in a real terminal: tmux panes at 100×30 and 50×15.
// CI=true is set on purpose: Ink would otherwise print nothing until exit on build hosts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { appendFileSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import path from 'node:path';
import { CLI, ROOT, tempDir } from './helpers/util.js';

type Tmux = (...args: string[]) => string;

// One tmux server per test. With one shared socket, a test's kill-session of the
// last session makes the server exit, and the next test's new-session could reach
// it while it was exiting ("server exited unexpectedly", a CI failure).
let servers = 0;
function tmuxServer(t: { after: (fn: () => void) => void }): Tmux {
  const socket = `cnid-test-${process.pid}-${++servers}`;
  // A tmux client that waits on a wedged server is killed: a synchronous call without a deadline
  // would block the event loop, and with it every test timer of this file.
  const tmux: Tmux = (...args) => execFileSync('tmux', ['-L', socket, ...args], { encoding: 'utf8', timeout: 10_000, killSignal: 'SIGKILL' });
  // Its panes' programs (a watch left running by a failed test, the `sleep 60`s) end with it.
  t.after(() => { try { tmux('kill-server'); } catch { /* already gone */ } });
  return tmux;
}

async function waitFor(tmux: Tmux, what: string, s: string, pred: (screen: string) => boolean, timeoutMs: number): Promise<{ screen: string; ms: number }> {
  const t0 = Date.now();
  let screen = '';
  while (Date.now() - t0 < timeoutMs) {
    screen = tmux('capture-pane', '-p', '-t', s);
    if (pred(screen)) return { screen, ms: Date.now() - t0 };
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; screen:\n${screen}`);
}

const FAILURE = '2025-05-26 18:07:12.345 [WARNING][83] felix/table.go 1454: Failed to execute ip(6)tables-restore command error=exit status 2 errorOutput="ip6tables-restore v1.8.4 (legacy): unknown option \\"--set-mark\\"\\n" input="" ipVersion=0x6 output="" table="mangle"\n';

for (const [cols, rows] of [[100, 30], [50, 15]] as const) {
  test(`in a ${cols}×${rows} tmux pane: lines appended show the headline within 2 s; q exits and restores the terminal`, async (t) => {
  const tmux = tmuxServer(t);
    const d = tempDir(t);
    const log = path.join(d, 'calico-node.log');
    writeFileSync(log, '');
    const session = `w${cols}`;
    const marker = path.join(d, 'exit');
    tmux('new-session', '-d', '-s', session, '-x', String(cols), '-y', String(rows), '-e', 'TERM=xterm-256color', '-e', 'CI=true',
      `${process.execPath} ${CLI} watch --file ${log}; echo "EXIT=$?" > ${marker}; echo DONE; sleep 60`);
    await waitFor(tmux, 'the UI to start', session, (s) => /No known failure|watching/i.test(s), 15_000);

    appendFileSync(log, FAILURE.repeat(3));
    const { screen, ms } = await waitFor(tmux, 'the headline diagnosis', session, (s) => /kernel-ipv6-mark/.test(s), 2000);
    assert.ok(ms < 2000, `shown after ${ms} ms`);
    for (const line of screen.split('\n')) assert.ok([...line].length <= cols, `line fits ${cols} columns: ${JSON.stringify(line)}`);

    tmux('send-keys', '-t', session, 'q');
    await waitFor(tmux, 'exit', session, (s) => /DONE/.test(s), 10_000);
    // The UI ends with the same code as plain lines would: 1, a critical diagnosis was found.
    assert.equal(execFileSync('cat', [marker], { encoding: 'utf8' }).trim(), 'EXIT=1');
    assert.equal(tmux('display-message', '-p', '-t', session, '#{cursor_flag}').trim(), '1', 'cursor visible again');
  });
}

test('on a terminal, watch --replay of a missing file exits 2 at once with one line on stderr: no UI opens first', async (t) => {
  const tmux = tmuxServer(t);
  const d = tempDir(t);
  const missing = path.join(d, 'missing.tar.gz');
  const marker = path.join(d, 'exit');
  const session = 'replay-missing';
  tmux('new-session', '-d', '-s', session, '-x', '200', '-y', '24', '-e', 'TERM=xterm-256color',
    `${process.execPath} ${CLI} watch --replay ${missing}; echo "EXIT=$?" > ${marker}; echo DONE; sleep 60`);
  const { screen } = await waitFor(tmux, 'exit', session, (s) => /DONE/.test(s), 10_000);
  assert.equal(execFileSync('cat', [marker], { encoding: 'utf8' }).trim(), 'EXIT=2');
  const shown = screen.split('\n').filter((l) => l.trim() && l.trim() !== 'DONE');
  assert.deepEqual(shown.map((l) => l.trim()), [`cni-doctor: ${missing}: no such file or directory`], 'only the reason, no UI frame');
});

test('at 80×24, a replay says "replay" once, shows the bundle\'s name whole, and says "replay done" when it has played', async (t) => {
  const tmux = tmuxServer(t);
  const d = tempDir(t);
  const marker = path.join(d, 'exit');
  const name = 'inspection-report-20250526_182512.tar.gz';
  const bundle = path.join(ROOT, 'samples', 'bundles', name);
  const session = 'replay-done';
  tmux('new-session', '-d', '-s', session, '-x', '80', '-y', '24', '-e', 'TERM=xterm-256color', '-e', 'CI=true',
    `${process.execPath} ${CLI} watch --replay ${bundle} --speed 0; echo "EXIT=$?" > ${marker}; echo DONE; sleep 60`);
  const { screen } = await waitFor(tmux, 'the replay to end', session, (s) => /replay done/.test(s), 20_000);
  const status = screen.split('\n')[0];
  assert.equal(status.match(/replay/g)?.length, 1, status);
  assert.ok(status.includes(name), `the name whole: ${status}`);
  tmux('send-keys', '-t', session, 'q');
  await waitFor(tmux, 'exit', session, (s) => /DONE/.test(s), 10_000);
  assert.equal(execFileSync('cat', [marker], { encoding: 'utf8' }).trim(), 'EXIT=1');
});

test('journalctl -f | watch - on a terminal: the UI, its keys read from /dev/tty; without a controlling terminal, plain lines', async (t) => {
  const tmux = tmuxServer(t);
  const d = tempDir(t);
  const fifo = path.join(d, 'producer');
  execFileSync('mkfifo', [fifo]);
  const marker = path.join(d, 'exit');
  const session = 'piped';
  // stdin a pipe that stays open (a producer like journalctl -f), stdout the pane's terminal.
  tmux('new-session', '-d', '-s', session, '-x', '80', '-y', '24', '-e', 'TERM=xterm-256color', '-e', 'CI=true',
    `${process.execPath} ${CLI} watch - < ${fifo}; echo "EXIT=$?" > ${marker}; echo DONE; sleep 60`);
  // Opened read-write, which on Linux never blocks on a FIFO (a write-only open waits for a reader, and
  // one left waiting would keep this test's process alive): the bytes wait in the pipe for the watch.
  const producer = await open(fifo, 'r+');
  t.after(() => producer.close().catch(() => undefined));
  await producer.write(FAILURE.repeat(3));
  await waitFor(tmux, 'the UI with the headline diagnosis', session, (s) => /kernel-ipv6-mark/.test(s) && /─ Detail/.test(s), 10_000);
  // Keys from the terminal: e opens the evidence view, q quits.
  tmux('send-keys', '-t', session, 'e');
  await waitFor(tmux, 'the evidence view', session, (s) => /evidence lines? for kernel-ipv6-mark-regression/.test(s), 5000);
  tmux('send-keys', '-t', session, 'q');
  await waitFor(tmux, 'exit', session, (s) => /DONE/.test(s), 10_000);
  assert.equal(execFileSync('cat', [marker], { encoding: 'utf8' }).trim(), 'EXIT=1');
  assert.equal(tmux('display-message', '-p', '-t', session, '#{cursor_flag}').trim(), '1', 'cursor visible again');

  // No controlling terminal (setsid): /dev/tty cannot be opened, so plain lines, ending with the input.
  const plain = 'piped-plain';
  const marker2 = path.join(d, 'exit2');
  const input = path.join(d, 'input.log');
  writeFileSync(input, FAILURE);
  tmux('new-session', '-d', '-s', plain, '-x', '200', '-y', '24', '-e', 'TERM=xterm-256color',
    `cat ${input} | setsid -w ${process.execPath} ${CLI} watch -; echo "EXIT=$?" > ${marker2}; echo DONE; sleep 60`);
  await waitFor(tmux, 'plain lines to end', plain, (s) => /DONE/.test(s), 15_000);
  const history = tmux('capture-pane', '-p', '-S', '-', '-t', plain);
  assert.match(history, /NEW CRITICAL kernel-ipv6-mark-regression/);
  assert.equal(execFileSync('cat', [marker2], { encoding: 'utf8' }).trim(), 'EXIT=1');
});
