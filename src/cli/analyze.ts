import { fstatSync, statSync } from 'node:fs';
import path from 'node:path';
import type { Catalog } from '../catalog/load.js';
import { analyzePaths, nodeGroups } from '../engine/run.js';
import { LIMITS } from '../sources/bundle/limits.js';
import { tuningWorth } from '../sources/fresh-buffers.js';
import { setScanJobs } from '../engine/split.js';
import { buildReport, exitCode, reportJson } from '../report/model.js';
import { renderText } from '../report/text.js';
import { renderMarkdown } from '../report/markdown.js';
import { toolVersion } from './version.js';
import { keepFreedMemory } from '../runtime/malloc.js';
import { debugOn } from '../runtime/debug.js';

export interface AnalyzeOpts { json?: boolean; format?: string; color?: boolean; maxEntryBytes?: number; maxTotalBytes?: number; jobs?: number }

/** Can this input be read a second time: a file or a directory (a missing one fails the same way again),
 *  not stdin, a FIFO or /dev/fd/N. */
function readAgain(p: string): boolean {
  if (p === '-') return false;
  try {
    const st = statSync(p);
    return st.isFile() || st.isDirectory();
  } catch {
    return true;
  }
}

export async function runAnalyze(paths: string[], catalog: Catalog, opts: AnalyzeOpts): Promise<number> {
  if (opts.maxEntryBytes) LIMITS.entryBytes = opts.maxEntryBytes;
  if (opts.maxTotalBytes) LIMITS.totalBytes = opts.maxTotalBytes;
  if (opts.jobs !== undefined) setScanJobs(opts.jobs);
  const worth = tuningWorth(paths);
  const tuned = worth.tune && keepFreedMemory();
  // Whether it ran and why, for tests and for whoever compares timings.
  if (debugOn('alloc')) process.stderr.write(`cni-doctor: glibc allocator ${tuned ? 'tuned' : 'not tuned'} (${worth.why}${worth.tune && !tuned ? ': no glibc, or turned off' : ''})\n`);
  // The same file named twice is read once (its counts would double).
  const named = new Set<string>();
  paths = paths.filter((p) => {
    const k = p === '-' ? p : path.resolve(p);
    if (named.has(k)) return false;
    named.add(k);
    return true;
  });
  const { state, unreadable, perInput } = await analyzePaths(paths, catalog);
  const report = buildReport(state, catalog, toolVersion());
  // Several nodes' bundles: each node's read on its own too (the merged report stays, flagged).
  let groups = report.nodes && perInput ? nodeGroups(perInput) : undefined;
  // A node with several inputs is read again, together: not possible for stdin or a pipe (read once),
  // so such a run stays merged, with its warning.
  if (groups?.some((g) => g.paths.length > 1 && !g.paths.every(readAgain))) groups = undefined;
  if (groups) {
    report.perNode = [];
    for (const g of groups) {
      // One input is its own state already; a node with several is read again, together.
      const s = g.paths.length === 1 ? perInput!.get(g.paths[0])! : (await analyzePaths(g.paths, catalog)).state;
      report.perNode.push({ node: g.node ?? null, inputs: g.paths, report: buildReport(s, catalog, toolVersion()) });
    }
  }
  const format = opts.json ? 'json' : (opts.format ?? 'text');
  for (const p of report.problems) process.stderr.write(`cni-doctor: ${p.source}: ${p.reason}\n`);
  if (format === 'json') process.stdout.write(reportJson(report) + '\n');
  else if (format === 'markdown') process.stdout.write(renderMarkdown(report));
  else {
    // Piped into less or head from a terminal, prose still fits that terminal; evidence is cut only
    // when it is shown on one (a file keeps whole lines).
    const toFile = !process.stdout.isTTY && fstatSync(1).isFile();
    const width = process.stdout.isTTY ? process.stdout.columns : process.stderr.isTTY && !toFile ? process.stderr.columns : undefined;
    process.stdout.write(renderText(report, { color: opts.color, width, clip: !!process.stdout.isTTY }));
  }
  return exitCode(report, unreadable);
}
