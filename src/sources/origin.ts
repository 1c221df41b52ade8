// What every source hands on with its bytes: where they come from. Sources own these shapes; the
// engine reads them (imports point down: engine → sources, never the other way).
import type { Readable } from 'node:stream';
import type { Format } from '../catalog/schema.js';
import type { TimeContext } from '../parse/time.js';

export interface StreamInfo {
  /** label used in evidence, e.g. `snap.microk8s.daemon-kubelite/journal.log` */
  source: string;
  /** path inside the input, for file-bound fact rules */
  path: string;
  /** `facts`: only fact and timeline rules run */
  role: 'log' | 'facts';
  format?: Format;
  time: TimeContext;
  /** the stream is the second half of a split file: its first lines are not the file's (head rules skip it) */
  continued?: boolean;
  /** the file's line number of the stream's first line, when the stream starts inside a file (a
   *  followed file read from where it ended): evidence names the file's lines, not the stream's */
  firstLine?: number;
}

/** A byte stream with its origin: a file (read ahead on the thread pool, or split across threads)
 *  or anything pushed as it comes (decompressors, tar entries, pipes). */
export type ByteSource =
  | { info: StreamInfo; file: string }
  | { info: StreamInfo; readable: () => Promise<Readable> | Readable };

/** One input as the report's `inputs[]` lists it. */
export interface InputSummary {
  path: string;
  kind: 'microk8s-inspect' | 'sosreport' | 'directory' | 'file' | 'journal' | 'stdin';
  files: number;
  lines: number;
  bytes: number;
}
