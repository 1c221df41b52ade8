// Summarise a V8 .cpuprofile (node --cpu-prof): self time per function and per file, hottest first.
//   node --import tsx bench/profile.ts FILE.cpuprofile [--top 20]
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

interface CallFrame { functionName: string; url: string; lineNumber: number; columnNumber: number }
interface ProfileNode { id: number; callFrame: CallFrame; children?: number[] }
interface CpuProfile { nodes: ProfileNode[]; samples: number[]; timeDeltas: number[]; startTime: number; endTime: number }

export interface HotFunction { name: string; where: string; selfMs: number; pct: number }
export interface ProfileSummary { totalMs: number; functions: HotFunction[]; files: { file: string; selfMs: number; pct: number }[] }

function shortUrl(url: string): string {
  if (!url) return '(native)';
  const p = url.replace(/^file:\/\//, '');
  const i = p.indexOf('/dist/');
  if (i >= 0) return p.slice(i + 1);
  const n = p.indexOf('/node_modules/');
  if (n >= 0) return p.slice(n + 1);
  return p.startsWith('node:') ? p : path.basename(p);
}

export function summariseProfile(file: string, top = 20): ProfileSummary {
  const prof = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(prof.nodes.map((n) => [n.id, n]));
  const self = new Map<string, { name: string; where: string; us: number }>();
  const files = new Map<string, number>();
  let total = 0;
  for (let i = 0; i < prof.samples.length; i++) {
    const n = byId.get(prof.samples[i]);
    const dt = prof.timeDeltas[i] ?? 0;
    if (!n) continue;
    total += dt;
    const cf = n.callFrame;
    const where = cf.url ? `${shortUrl(cf.url)}:${cf.lineNumber + 1}` : '';
    const name = cf.functionName || '(anonymous)';
    const key = `${name}@${where}`;
    const e = self.get(key) ?? { name, where, us: 0 };
    e.us += dt;
    self.set(key, e);
    const f = cf.url ? shortUrl(cf.url) : name;
    files.set(f, (files.get(f) ?? 0) + dt);
  }
  const pct = (us: number): number => Math.round((us / total) * 1000) / 10;
  return {
    totalMs: Math.round(total / 1000),
    functions: [...self.values()].sort((a, b) => b.us - a.us).slice(0, top).map((e) => ({ name: e.name, where: e.where, selfMs: Math.round(e.us / 1000), pct: pct(e.us) })),
    files: [...files.entries()].sort((a, b) => b[1] - a[1]).slice(0, 10).map(([file, us]) => ({ file, selfMs: Math.round(us / 1000), pct: pct(us) })),
  };
}

export function formatSummary(s: ProfileSummary): string {
  const lines = [`total sampled ${s.totalMs} ms`, '  self ms    %  function (where)'];
  for (const f of s.functions) lines.push(`  ${String(f.selfMs).padStart(7)} ${f.pct.toFixed(1).padStart(5)}  ${f.name}${f.where ? ` (${f.where})` : ''}`);
  lines.push('  by file:');
  for (const f of s.files) lines.push(`  ${String(f.selfMs).padStart(7)} ${f.pct.toFixed(1).padStart(5)}  ${f.file}`);
  return lines.join('\n');
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const file = args.find((a) => a.endsWith('.cpuprofile'));
  if (!file) {
    process.stderr.write('usage: node --import tsx bench/profile.ts FILE.cpuprofile [--top N]\n');
    process.exit(2);
  }
  const ti = args.indexOf('--top');
  process.stdout.write(formatSummary(summariseProfile(file, ti >= 0 ? Number(args[ti + 1]) : 20)) + '\n');
}
