import { closeSync, fstatSync, openSync, readSync, statSync } from 'node:fs';
import type { Catalog } from '../catalog/load.js';
import { analyzePaths } from '../engine/run.js';
import { isTarHeader, LIMITS } from '../sources/bundle/tar.js';
import { sniffMagic } from '../sources/decompress.js';
import { setScanJobs } from '../engine/split.js';
import { buildReport, exitCode, reportJson } from '../report/model.js';
import { renderText } from '../report/text.js';
import { renderMarkdown } from '../report/markdown.js';
import { toolVersion } from './version.js';
import { keepFreedMemory } from '../runtime/malloc.js';
import { debugOn } from '../runtime/debug.js';

export interface AnalyzeOpts { json?: boolean; format?: string; color?: boolean; maxEntryBytes?: number; maxTotalBytes?: number; jobs?: number }

/** Inputs that stream through fresh buffers, and enough of them for the allocator tuning to pay for
 *  loading it (runtime/malloc.ts): 16 MiB of compressed files (counted at 8 times their size, about
 *  what logs shrink to) or tar archives, a directory (rotated .gz logs), or stdin (its size and kind
 *  unknown). A plain log is read into reused buffers and gains nothing (1 GiB: inside the noise). */
function worthTuning(paths: string[]): boolean {
  let bytes = 0;
  const head = Buffer.alloc(512);
  for (const p of paths) {
    if (p === '-') return true;
    try {
      const st = statSync(p);
      if (st.isDirectory()) return true;
      if (!st.isFile()) continue;
      const fd = openSync(p, 'r');
      let n = 0;
      try { n = readSync(fd, head, 0, head.length, 0); } finally { closeSync(fd); }
      const magic = sniffMagic(head.subarray(0, n));
      if (magic && magic !== 'maybe') bytes += 8 * st.size;
      else if (isTarHeader(head.subarray(0, n))) bytes += st.size;
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
