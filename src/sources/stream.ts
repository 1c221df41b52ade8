// One shape for everything the engine reads: a byte stream with its origin. Files are read straight
// into the scanner's buffer; everything else (decompressors, tar entries, pipes) is pushed in chunks.
import { open } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import type { EngineEvent } from '../engine/events.js';
import type { Matcher } from '../engine/matcher.js';
import { StreamScanner, type ScanStats, type StreamInfo } from '../engine/scanner.js';

export type ByteSource =
  | { info: StreamInfo; file: string }
  | { info: StreamInfo; readable: () => Promise<Readable> | Readable };

export async function scanSource(src: ByteSource, m: Matcher, emit: (e: EngineEvent) => void): Promise<ScanStats> {
  const sc = new StreamScanner(m, src.info, emit);
  if ('file' in src) {
    const fh = await open(src.file, 'r');
    try {
      for (;;) {
        const room = sc.writable();
        const { bytesRead } = await fh.read(room, 0, room.length, null);
        if (bytesRead === 0) break;
        sc.commit(bytesRead);
      }
    } finally {
      await fh.close();
    }
    return sc.end();
  }
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
