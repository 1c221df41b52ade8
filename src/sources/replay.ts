// Replay a recorded log, directory or bundle at its original pace (or N times faster), through the
// live path: for demos, postmortems and training. The lines of all files are merged by their own
// timestamps, so a felix log and a kubelite journal interleave as they happened.
import { createReadStream } from 'node:fs';
import { mkdtemp, open, rm, type FileHandle } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import split2 from 'split2';
import type { StreamInfo } from './origin.js';
import { parseLine } from '../parse/formats.js';
import type { InputPlan } from './inputs.js';

/** the longest pause a replay makes, whatever the gap in the recording (ms, before speed-up) */
const MAX_GAP_MS = 60_000;
export interface ReplayHooks {
  feed(id: string, info: StreamInfo, text: string): void;
  /** resolves when not paused */
  waitWhilePaused(): Promise<void>;
  stopped(): boolean;
  note(msg: string): void;
  /** a part of the recording that could not be read (the report says so, and the exit code) */
  unreadable(source: string, reason: string): void;
}

interface Line { text: string; time?: number }
interface Cursor { info: StreamInfo; next(): Promise<Line | undefined>; head?: Line; lastTime?: number }

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function timed(info: StreamInfo, text: string): Line {
  return { text, time: parseLine(text.slice(0, 400), info.format, info.time).time };
}

function streamCursor(info: StreamInfo, r: Readable): Cursor {
  const it = (r.pipe(split2()) as AsyncIterable<string>)[Symbol.asyncIterator]();
  return { info, next: async () => { const n = await it.next(); return n.done ? undefined : timed(info, n.value); } };
}

/** Play a planned input (`planInput`: planned by the caller, so that an input that cannot be opened
 *  is refused before any view starts). Resolves to the number of files played. */
export async function replay(plan: InputPlan, speed: number, hooks: ReplayHooks): Promise<number> {
  const path = plan.path;
  const merged: Cursor[] = [];
  // Files of a directory are read side by side. Entries of an archive come one after another (and
  // a journal entry's temp file is gone once the next is read): each is copied to disk first, so that
  // all can be merged by time in bounded memory. That costs as much temporary disk as the entries
  // read (in $TMPDIR, which may be RAM on a tmpfs), and nothing plays until the archive is read.
  const concurrent = plan.kind === 'directory' || plan.kind === 'file' || plan.kind === 'stdin';
  let broken: Error | undefined;
  try {
    for await (const src of plan.sources) {
      if (concurrent && 'file' in src) { merged.push(streamCursor(src.info, createReadStream(src.file))); continue; }
      const copy = await spool('file' in src ? createReadStream(src.file) : await src.readable());
      merged.push(streamCursor(src.info, copy.stream));
      if (copy.error) hooks.unreadable(`${path}: ${src.info.source}`, `cut short: ${copy.error.message}`);
    }
  } catch (e) {
    // A corrupt archive: what was read before the damage is still replayed.
    broken = e as Error;
  }
  await play(merged, speed, hooks);
  for (const n of plan.notes) hooks.note(n);
  if (broken) throw broken;
  return merged.length;
}

/** A copy of a stream on disk, read back (as much as arrived, if the stream failed). The file is
 *  unlinked as soon as it is open, so nothing is left behind however the process ends (`| head`, a
 *  signal, a crash). */
async function spool(r: Readable): Promise<{ stream: Readable; error?: Error }> {
  const dir = await mkdtemp(join(tmpdir(), 'cni-doctor-replay-'));
  const file = join(dir, 'entry');
  let w: FileHandle | undefined;
  let back: FileHandle | undefined;
  try {
    w = await open(file, 'w');
    back = await open(file, 'r');
  } catch (e) {
    await w?.close();
    throw e;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  // Chunk by chunk, so that what arrived before a failure is on disk (a pipeline would drop it).
  let error: Error | undefined;
  try {
    for await (const c of r) await w.write(c as Buffer);
  } catch (e) {
    error = e as Error;
  } finally {
    await w.close();
  }
  return { stream: back.createReadStream(), error };
}

/** Emit the lines of all cursors in time order; a line without a stamp goes with its predecessor. */
async function play(cursors: Cursor[], speed: number, hooks: ReplayHooks): Promise<void> {
  for (const c of cursors) c.head = await c.next();
  let clock: number | undefined;
  const pending = new Map<Cursor, string>();
  const flush = (): void => {
    for (const [c, text] of pending) hooks.feed(c.info.source, c.info, text);
    pending.clear();
  };
  for (;;) {
    if (hooks.stopped()) return;
    // The cursor whose next line is earliest; untimed lines go at once.
    let best: Cursor | undefined;
    for (const c of cursors) {
      if (!c.head) continue;
      const t = c.head.time ?? c.lastTime ?? -Infinity;
      const bt = best ? best.head!.time ?? best.lastTime ?? -Infinity : Infinity;
      if (!best || t < bt) best = c;
    }
    if (!best) break;
    const line = best.head!;
    if (speed > 0 && line.time !== undefined && clock !== undefined && line.time > clock) {
      const wait = Math.min(line.time - clock, MAX_GAP_MS) / speed;
      if (wait >= 5) {
        flush();
        await sleep(wait);
        await hooks.waitWhilePaused();
      }
    }
    if (line.time !== undefined) {
      best.lastTime = line.time;
      if (clock === undefined || line.time > clock) clock = line.time;
    }
    pending.set(best, (pending.get(best) ?? '') + line.text + '\n');
    if ((pending.get(best)?.length ?? 0) > 1 << 16) flush();
    best.head = await best.next();
  }
  flush();
}
