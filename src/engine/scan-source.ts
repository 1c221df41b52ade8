// One shape for everything the engine reads: a byte stream with its origin. Files are read ahead on
// the thread pool; everything else (decompressors, tar entries, pipes) is pushed as it comes.
import type { EngineEvent } from './events.js';
import type { Matcher } from './matcher.js';
import { StreamScanner, type ScanStats } from './scanner.js';
import type { ByteSource } from '../sources/origin.js';
import { CHUNK } from './scanner.js';
import { readRange } from '../sources/read-range.js';
import { planSplit, scanSplit } from './split.js';

export type { ByteSource };

export async function scanSource(src: ByteSource, m: Matcher, emit: (e: EngineEvent) => void): Promise<ScanStats> {
  if ('file' in src) {
    const split = await planSplit(src.file, src.info, m);
    if (split) return scanSplit(src.file, src.info, split, m, emit);
    const sc = new StreamScanner(m, src.info, emit);
    await readRange(src.file, 0, Infinity, sc, CHUNK);
    return sc.end();
  }
  const sc = new StreamScanner(m, src.info, emit);
  const r = await src.readable();
  try {
    for await (const chunk of r) sc.push(chunk as Buffer);
  } catch (e) {
    // Keep what was read: the caller reports the stream as cut short.
    const stats = sc.end();
    throw Object.assign(e as Error, { partial: stats });
  }
  return sc.end();
}
