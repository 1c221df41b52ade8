// Shared test helpers: run the built CLI, make temp dirs, read pattern examples.
import { spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const CLI = path.join(ROOT, 'dist', 'src', 'cli', 'main.js');

export interface RunResult { code: number | null; stdout: string; stderr: string }

/** Permission checks mean nothing to root: as root, run the program as nobody instead. */
export const UNPRIVILEGED: { uid?: number; gid?: number } = process.getuid?.() === 0 ? { uid: 65534, gid: 65534 } : {};

export function runCli(args: string[], opts: { input?: string | Buffer; env?: NodeJS.ProcessEnv; cwd?: string; timeoutMs?: number; unprivileged?: boolean } = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd: opts.cwd ?? ROOT, env: { ...process.env, NO_COLOR: '1', ...opts.env }, stdio: ['pipe', 'pipe', 'pipe'], ...(opts.unprivileged ? UNPRIVILEGED : {}) });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    const t = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`cni-doctor ${args.join(' ')} timed out\n${stderr}`)); }, opts.timeoutMs ?? 60_000);
    child.on('close', (code) => { clearTimeout(t); resolve({ code, stdout, stderr }); });
    child.stdin.end(opts.input ?? '');
  });
}

export function tempDir(t: { after: (fn: () => void) => void }, prefix = 'cnid-test-'): string {
  const d = mkdtempSync(path.join(tmpdir(), prefix));
  chmodSync(d, 0o755); // readable by the unprivileged runs of permission tests
  t.after(() => rmSync(d, { recursive: true, force: true }));
  return d;
}

interface Example { format: string; text: string; signal?: string }
export function patternExamples(file: string): { positive: Example[]; negative: Example[] } {
  const doc = parse(readFileSync(path.join(ROOT, 'patterns', file), 'utf8')) as { examples: { positive: Example[]; negative: Example[] } };
  return doc.examples;
}
