// Replay a recorded log, directory or bundle at its original pace (or N times faster), through the
// live path: for demos, postmortems and training. Lines keep their own timestamps.
import { createReadStream } from 'node:fs';
import type { Readable } from 'node:stream';
import split2 from 'split2';
import type { Catalog } from '../catalog/load.js';
import type { StreamInfo } from '../engine/scanner.js';
import { parseLine } from '../parse/formats.js';
import { planInput } from './inputs.js';

/** the longest pause a replay makes, whatever the gap in the recording (ms, before speed-up) */
const MAX_GAP_MS = 60_000;

export interface ReplayHooks {
  feed(id: string, info: StreamInfo, text: string): void;
  /** resolves when not paused */
  waitWhilePaused(): Promise<void>;
  stopped(): boolean;
  note(msg: string): void;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export async function replay(path: string, catalog: Catalog, speed: number, hooks: ReplayHooks): Promise<void> {
  const plan = await planInput(path, catalog);
  let prevTime: number | undefined;
  for await (const src of plan.sources) {
    const r: Readable = 'file' in src ? createReadStream(src.file) : await src.readable();
    let batch = '';
    for await (const line of r.pipe(split2()) as AsyncIterable<string>) {
      if (hooks.stopped()) { r.destroy(); return; }
      if (speed > 0) {
        const t = parseLine(line.slice(0, 400), src.info.format, src.info.time).time;
        if (t !== undefined) {
          if (prevTime !== undefined && t > prevTime) {
            const wait = Math.min(t - prevTime, MAX_GAP_MS) / speed;
            if (wait >= 5) {
              if (batch) { hooks.feed(src.info.source, src.info, batch); batch = ''; }
              await sleep(wait);
              await hooks.waitWhilePaused();
            }
          }
          if (prevTime === undefined || t > prevTime) prevTime = t;
        }
      }
      batch += line + '\n';
      if (batch.length > 1 << 16) { hooks.feed(src.info.source, src.info, batch); batch = ''; await hooks.waitWhilePaused(); }
    }
    if (batch) hooks.feed(src.info.source, src.info, batch);
  }
  for (const n of plan.notes) hooks.note(n);
}
