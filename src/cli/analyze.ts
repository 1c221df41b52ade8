import { fstatSync, statSync } from 'node:fs';
import type { Catalog } from '../catalog/load.js';
import { analyzePaths } from '../engine/run.js';
import { LIMITS } from '../sources/bundle/tar.js';
import { COMPRESSED_NAME } from '../sources/decompress.js';
import { setScanJobs } from '../engine/split.js';
import { buildReport, exitCode, reportJson } from '../report/model.js';
import { renderText } from '../report/text.js';
import { renderMarkdown } from '../report/markdown.js';
import { toolVersion } from './version.js';
import { keepFreedMemory } from '../runtime/malloc.js';
import { debugOn } from '../runtime/debug.js';

export interface AnalyzeOpts { json?: boolean; format?: string; color?: boolean; maxEntryBytes?: number; maxTotalBytes?: number; jobs?: number }

/** Inputs big enough for the allocator tuning to pay for loading it (runtime/malloc.ts): 16 MiB of
 *  files (a compressed one counted at 8 times its size, about what logs shrink to), a directory, or
 *  stdin (its size unknown). */
function worthTuning(paths: string[]): boolean {
  let bytes = 0;
  for (const p of paths) {
    if (p === '-') return true;
    try {
      const st = statSync(p);
      if (st.isDirectory()) return true;
      bytes += COMPRESSED_NAME.test(p) ? 8 * st.size : st.size;
    } catch { /* named as unreadable by the analysis itself */ }
  }
  return bytes >= 16 << 20;
}

export async function runAnalyze(paths: string[], catalog: Catalog, opts: AnalyzeOpts): Promise<number> {
  if (opts.maxEntryBytes) LIMITS.entryBytes = opts.maxEntryBytes;
  if (opts.maxTotalBytes) LIMITS.totalBytes = opts.maxTotalBytes;
  if (opts.jobs !== undefined) setScanJobs(opts.jobs);
  // Whether it ran, for tests and for whoever compares timings.
  if (worthTuning(paths) && keepFreedMemory() && debugOn('alloc')) process.stderr.write('cni-doctor: glibc allocator tuned for a large input (M_TOP_PAD, M_MMAP_THRESHOLD)\n');
  const { state, unreadable } = await analyzePaths(paths, catalog);
  const report = buildReport(state, catalog, toolVersion());
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
