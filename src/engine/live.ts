// The engine fed event by event: one scanner per live source (so multi-line records still join),
// the same reducer as offline analysis, and change notification for the views.
import type { Catalog } from '../catalog/load.js';
import type { EngineEvent } from './events.js';
import { compileMatcher, type Matcher } from './matcher.js';
import { StreamScanner, type StreamInfo } from './scanner.js';
import { MAX_RECORD_BYTES } from '../parse/join.js';
import { initialState, reduce, type State } from './state.js';

const LIVE_CAPACITY = 2 * MAX_RECORD_BYTES + (256 << 10);

/** `holdUntil`: an unfinished line is not forced out before then (a rotated file's writer may finish it) */
interface LiveSource { scanner: StreamScanner; lastData: number; settled: boolean; holdUntil?: number }

export class LiveEngine {
  state: State = initialState();
  private sources = new Map<string, LiveSource>();
  private listeners = new Set<(s: State) => void>();
  readonly matcher: Matcher;

  constructor(readonly catalog: Catalog, matcher?: Matcher) {
    this.matcher = matcher ?? compileMatcher(catalog);
  }

  onChange(fn: (s: State) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  /** what the scanners emitted since the last apply */
  private queue: EngineEvent[] = [];

  private apply(extra: EngineEvent[] = []): void {
    const events = this.queue.concat(extra);
    this.queue = [];
    if (!events.length) return;
    this.state = reduce(this.state, events);
    for (const l of this.listeners) l(this.state);
  }

  private source(id: string, info: StreamInfo): LiveSource {
    let s = this.sources.get(id);
    if (!s) {
      s = { scanner: new StreamScanner(this.matcher, info, (e) => this.queue.push(e), LIVE_CAPACITY), lastData: Date.now(), settled: true };
      this.sources.set(id, s);
    }
    return s;
  }

  /** New bytes from a source; they are scanned at once. */
  feed(id: string, info: StreamInfo, chunk: Buffer | string): void {
    const s = this.source(id, info);
    const before = s.scanner.lines;
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    s.scanner.push(bytes);
    s.scanner.flush();
    s.lastData = Date.now();
    s.settled = false;
    this.apply([{ type: 'stats', lines: s.scanner.lines - before, bytes: bytes.length, records: 0, regexRuns: 0, ...reached(s.scanner) }]);
  }

  /** Complete what quiet sources hold back (a block waiting for its close, an unterminated line). */
  settle(quietMs: number, now = Date.now()): void {
    for (const s of this.sources.values()) {
      if (s.settled || now - s.lastData < quietMs) continue;
      const before = s.scanner.lines;
      s.scanner.settle(now - s.lastData >= quietMs * 4 && !(s.holdUntil !== undefined && now < s.holdUntil));
      if (s.scanner.unscanned === 0) s.settled = true;
      const extra = s.scanner.lines - before;
      this.apply(extra ? [{ type: 'stats', lines: extra, bytes: 0, records: 0, regexRuns: 0, ...reached(s.scanner) }] : []);
    }
  }

  /** Keep a source's unfinished line open for `ms` (end() completes it at the latest). */
  hold(id: string, ms: number, now = Date.now()): void {
    const s = this.sources.get(id);
    if (s) s.holdUntil = now + ms;
  }

  /** A source's file is under another name now (rotated away, or copytruncate's copy): what is
   *  scanned from now on, and what it still holds back, names that file in its evidence. */
  rename(id: string, source: string): void {
    this.sources.get(id)?.scanner.rename(source);
  }

  /** One source is over (a rotated-away file): complete what it holds back and forget it. */
  end(id: string): void {
    const s = this.sources.get(id);
    if (!s) return;
    this.sources.delete(id);
    const before = s.scanner.lines;
    const st = s.scanner.end();
    this.apply([{ type: 'stats', lines: st.lines - before, bytes: 0, records: 0, regexRuns: 0, ...reached(s.scanner) }]);
  }

  /** Everything is read: finish every source. */
  finish(): void {
    const stats: EngineEvent[] = [];
    for (const s of this.sources.values()) {
      const before = s.scanner.lines;
      const st = s.scanner.end();
      stats.push({ type: 'stats', lines: st.lines - before, bytes: 0, records: 0, regexRuns: 0, ...reached(s.scanner) });
    }
    this.sources.clear();
    this.apply(stats);
  }

  event(e: EngineEvent | EngineEvent[]): void {
    this.apply(Array.isArray(e) ? e : [e]);
  }

  pendingBytes(): number {
    let n = 0;
    for (const s of this.sources.values()) n += s.scanner.unscanned;
    return n;
  }
}

/** How far a stream's lines go (StatsEvent.lastTime). */
function reached(sc: StreamScanner): { lastTime?: number; lastPod?: string } {
  return sc.stats.lastTime !== undefined ? { lastTime: sc.stats.lastTime, ...(sc.stats.lastPod ? { lastPod: sc.stats.lastPod } : {}) } : {};
}
