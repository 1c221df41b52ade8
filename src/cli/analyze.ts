import { closeSync, fstatSync, openSync, readSync, statSync } from 'node:fs';
import type { Catalog } from '../catalog/load.js';
import { analyzePaths } from '../engine/run.js';
import { isTarHeader, LIMITS } from '../sources/bundle/tar.js';
import { sniffCompression } from '../sources/decompress.js';
import { setScanJobs } from '../engine/split.js';
import { buildReport, exitCode, reportJson } from '../report/model.js';
import { renderText } from '../report/text.js';
import { renderMarkdown } from '../report/markdown.js';
import { toolVersion } from './version.js';
import { keepFreedMemory } from '../runtime/malloc.js';
import { debugOn } from '../runtime/debug.js';

export interface AnalyzeOpts { json?: boolean; format?: string; color?: boolean; maxEntryBytes?: number; maxTotalBytes?: number; jobs?: number }

/** Why the allocator tuning (runtime/malloc.ts) pays for loading it here, or why not. It pays where
 *  data streams through fresh buffers, 16 MiB or more of it: compressed files (counted at 8 times
 *  their size, about what logs shrink to), tar archives, a directory (its rotated .gz logs), a pipe
 *  (size and kind unknown). A plain log file is read into reused buffers and gains nothing. */
function tuningWorth(paths: string[]): { tune: boolean; why: string } {
  let bytes = 0;
  const head = Buffer.alloc(512);
  for (const p of paths) {
    try {
      const st = p === '-' ? fstatSync(0) : statSync(p);
      if (st.isDirectory()) return { tune: true, why: `${p} is a directory` };
      if (st.isFIFO() || st.isSocket()) return { tune: true, why: `${p} is a pipe` };
      if (!st.isFile()) continue;
      const fd = p === '-' ? 0 : openSync(p, 'r');
      let n = 0;
      try { n = readSync(fd, head, 0, head.length, 0); } finally { if (fd !== 0) closeSync(fd); }
      const h = head.subarray(0, n);
      if (sniffCompression(h) !== 'none') bytes += 8 * st.size;
      else if (isTarHeader(h)) bytes += st.size;
      if (bytes >= 16 << 20) return { tune: true, why: 'about 16 MiB or more to decompress or untar' };
    } catch { /* named as unreadable by the analysis itself */ }
  }
  return { tune: false, why: 'less than 16 MiB to decompress or untar' };
}

export async function runAnalyze(paths: string[], catalog: Catalog, opts: AnalyzeOpts): Promise<number> {
  if (opts.maxEntryBytes) LIMITS.entryBytes = opts.maxEntryBytes;
  if (opts.maxTotalBytes) LIMITS.totalBytes = opts.maxTotalBytes;
  if (opts.jobs !== undefined) setScanJobs(opts.jobs);
  const worth = tuningWorth(paths);
  const tuned = worth.tune && keepFreedMemory();
  // Whether it ran and why, for tests and for whoever compares timings.
  if (debugOn('alloc')) process.stderr.write(`cni-doctor: glibc allocator ${tuned ? 'tuned' : 'not tuned'} (${worth.why}${worth.tune && !tuned ? ': no glibc, or turned off' : ''})\n`);
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
