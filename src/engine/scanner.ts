// The bulk scan of one byte stream: literal prefilter over large chunks, record assembly only around
// hits, regexes only on those records. Feeds the reducer through `emit`; never holds more than one
// chunk plus a bounded context, whatever the stream's size.
import type { Format } from '../catalog/schema.js';
import type { StreamInfo } from '../sources/origin.js';
import { describeRepeat, detectFormat, parseLine } from '../parse/formats.js';
import { assemble, toRecord, MAX_RECORD_BYTES, type LogRecord } from '../parse/join.js';
import { isoString } from '../parse/time.js';
import type { EngineEvent, Evidence, HitEvent } from './events.js';
import type { FactRule, PodRule } from '../catalog/schema.js';
import { activeSignals, MARKERS, redactValue, type CompiledSignal, type Matcher, type MatchView, type SideRule } from './matcher.js';
import { LiteralIndex, textFrequencies } from './prefilter.js';

export const CHUNK = 8 << 20;
/** bytes of already-scanned text kept for assembling records backwards (klog blocks, CRI partials) */
const CONTEXT = 256 << 10;
const EXCERPT = 700;
/** below this a stream keeps the generic table (tuning costs ~4 ms per MiB sampled, 10-30 ms on the first call); it must stay
 *  under the first batch of a pushed stream, or bundle entries would never be tuned */
const TUNE_MIN = 128 << 10;
const STREAM_BATCH = 256 << 10;
const TUNE_SAMPLE = 1 << 20;
export const FORMAT_SAMPLE_LINES = 64;
/** lines looked back from a batch's end for a stamp (a klog block's or a panic's unstamped lines) */
const REACH_LINES = 8;

/** A record's message as UTF-8, for marking its literals in one pass; longer ones search each literal */
const SCRATCH_CHARS = 64 << 10;
const scratch = Buffer.allocUnsafeSlow(3 * SCRATCH_CHARS);
let stamp = 0;

/** An ended scanner's buffer, kept for the next scanner of the same capacity. A bundle's entries
 *  are scanned one after another; a fresh 8 MiB buffer for each (an mmap, an munmap, and V8 collecting
 *  for the external memory) was a fifth of the time of analyzing a small bundle. */
const idle = new Map<number, Buffer>();
const START_MARKER = new RegExp(MARKERS.find((k) => k.name === 'start')!.regex);
const END_MARKER = new RegExp(MARKERS.find((k) => k.name === 'end')!.regex);
const ENDED = Buffer.alloc(0);

export type { StreamInfo };


/** `lastTime`: the stamp of the stream's latest line scanned (a log's; undefined without stamps);
 *  `lastPod`: the pod whose log that line is (a container block, a pod's log file), when known */
export interface ScanStats { bytes: number; lines: number; records: number; regexRuns: number; lastTime?: number; lastPod?: string }

export class StreamScanner {
  private buf: Buffer;
  private len = 0;
  private scanPos = 0;
  private countedPos = 0;
  private newlines = 0;
  /** lines of the file before the stream's first (StreamInfo.firstLine): added to the lines named only */
  private lineBase: number;
  private format: Format | undefined;
  /** tuned, and the format known */
  private detected: boolean;
  private discarding = false;
  private view: MatchView;
  private context = '';
  /** a cluster-info-dump marker line was seen: from then on, events name their container */
  markerSeen = false;
  /** `ns/pod` whose log the stream is, from its path (a sos podlogs file); '' when it says none */
  private pathPod = '';
  /** `ns/pod` of the pod object being read in a listing (a `node` rule's line after it names its node) */
  private podObject = '';
  /** fact rules read from the stream's first lines, and pod `ref` rules for its hits */
  private heads: SideRule<FactRule>[];
  private refs: SideRule<PodRule>[];
  /** hits of the record being matched, one per pattern */
  private pending = new Map<string, HitEvent>();
  /** per literal: the stamp of the last record that held it (tuning keeps the literals) */
  private seen: Uint32Array;
  /** scan once this much unscanned data is buffered */
  private batch: number;
  readonly stats: ScanStats = { bytes: 0, lines: 0, records: 0, regexRuns: 0 };

  constructor(m: Matcher, private info: StreamInfo, private emit: (e: EngineEvent) => void, capacity = CHUNK + MAX_RECORD_BYTES + CONTEXT) {
    this.buf = idle.get(capacity) ?? Buffer.allocUnsafe(capacity);
    idle.delete(capacity);
    this.batch = Math.min(CHUNK, capacity >> 1);
    this.format = info.format;
    this.lineBase = Math.max(0, (info.firstLine ?? 1) - 1);
    this.detected = false;
    this.view = m.view(activeSignals(m, info));
    this.seen = new Uint32Array(this.view.literals.length);
    this.heads = info.continued ? [] : m.heads.filter((h) => h.files(info.path));
    this.refs = m.podRefs.filter((r) => r.files(info.path));
    for (const r of m.podPaths) {
      if (!r.files(info.path)) continue;
      const g = r.re.exec(info.path)?.groups;
      const pod = podKey(g);
      if (pod) { this.pathPod = pod; break; }
    }
  }

  /** The pod a record's events belong to: the container block it is in, the file's own pod, or,
   *  in a listing, the pod its row names (read only for records that matched something). */
  private podOf(text: string): string | undefined {
    if (this.context) return podOfContext(this.context);
    if (this.pathPod) return this.pathPod;
    for (const r of this.refs) {
      if (r.rule.literal && !text.includes(r.rule.literal)) continue;
      this.stats.regexRuns++;
      const g = r.re.exec(text)?.groups;
      const pod = podKey(g);
      if (pod) return pod;
    }
    return undefined;
  }

  /** Room for the next bytes; commit(n) after filling it. */
  private writable(): Buffer {
    if (this.buf === ENDED) throw new Error(`${this.info.source}: bytes pushed after the scan ended (a bug: please report it)`);
    if (this.len === this.buf.length) {
      // Compacting only when full: per scan batch it would copy CONTEXT bytes each time, as many
      // bytes again as a 256 KiB batch holds.
      this.compact();
      // A full scan makes room; if it settled a record, the next one cuts the long line after it.
      for (let i = 0; i < 2 && this.len === this.buf.length; i++) this.process(false, true);
      if (this.len === this.buf.length) throw new Error(`${this.info.source}: the scanner could not make room in its buffer (a bug: please report it with the file)`);
    }
    return this.buf.subarray(this.len);
  }

  private commit(n: number): void {
    if (n <= 0) return;
    if (this.discarding) {
      const nl = this.buf.indexOf(10, this.len);
      if (nl === -1 || nl >= this.len + n) { this.stats.bytes += n; return; }
      this.stats.bytes += n;
      this.buf.copyWithin(this.len, nl + 1, this.len + n);
      n -= nl + 1 - this.len;
      this.discarding = false;
      this.newlines++; // the cut line's own newline
    } else {
      this.stats.bytes += n;
    }
    this.len += n;
    if (this.len - this.scanPos >= this.batch) this.process(false);
  }

  /** Copies `chunk` in and scans every `batch` bytes. Streams from a pipe keep the default small
   *  batch: handing control back often keeps the program on the other end from waiting on a full pipe. */
  push(chunk: Buffer, batch = STREAM_BATCH): void {
    this.batch = Math.min(batch, this.buf.length >> 1);
    let off = 0;
    while (off < chunk.length) {
      const room = this.writable();
      const n = Math.min(room.length, chunk.length - off);
      chunk.copy(room, 0, off, off + n);
      off += n;
      this.commit(n);
    }
  }

  /** Scan what is buffered without waiting for more (live mode: a quiet stream still reports). */
  flush(): void {
    this.process(false);
  }

  /** The stream has been quiet: records still waiting for a continuation are complete as they are,
   *  and with `partial`, an unterminated last line counts as a line. */
  settle(partial = false): void {
    const limit = partial ? this.len : this.lastLineEnd();
    if (limit <= this.scanPos) return;
    if (!this.detected) this.detect(limit);
    this.scanRange(limit, true);
  }

  /** The stream's file is under another name now: events from here on name it (its line numbers
   *  are the same file's). */
  rename(source: string): void {
    this.info = { ...this.info, source };
  }

  /** Bytes received but not yet scanned. */
  get unscanned(): number {
    return this.len - this.scanPos;
  }

  end(): ScanStats {
    if (this.buf === ENDED) return this.stats;
    this.process(true);
    this.reach(this.len);
    // an unterminated last line counts, and so does a cut one whose end never came
    this.stats.lines = this.newlines + (this.discarding || (this.len > 0 && this.buf[this.len - 1] !== 10) ? 1 : 0);
    // The buffer goes to the next scanner; this one cannot take more bytes (writable() throws).
    idle.set(this.buf.length, this.buf);
    this.buf = ENDED;
    this.len = this.scanPos = this.countedPos = 0;
    return this.stats;
  }

  /** The container whose log block the stream is in ('' outside one), as events name it. */
  get markerContext(): string {
    return this.context;
  }

  /** Lines counted so far (complete lines only). */
  get lines(): number {
    return this.newlines;
  }

  /** Just past the last newline received, 0 without one. (lastIndexOf(10, -1) would search from the
   *  end of the whole buffer: since buffers are reused, through the previous scanner's bytes.) */
  private lastLineEnd(): number {
    return this.len === 0 ? 0 : this.buf.lastIndexOf(10, this.len - 1) + 1;
  }

  private lineNumberAt(pos: number): number {
    if (pos < this.countedPos) {
      // A record assembled backwards starts before the counted position.
      let back = 0;
      for (let p = this.buf.indexOf(10, pos); p !== -1 && p < this.countedPos; p = this.buf.indexOf(10, p + 1)) back++;
      return this.lineBase + this.newlines + 1 - back;
    }
    let p = this.countedPos;
    const b = this.buf;
    while (p < pos) {
      const nl = b.indexOf(10, p);
      if (nl === -1 || nl >= pos) break;
      this.newlines++;
      p = nl + 1;
    }
    this.countedPos = pos;
    return this.lineBase + this.newlines + 1;
  }

  private process(final: boolean, full = false): void {
    let limit = final ? this.len : this.lastLineEnd();
    if (!final && limit <= this.scanPos && full) {
      // A line longer than the whole buffer: cut it and skip the rest of it.
      limit = this.len;
      this.emit({ type: 'problem', source: this.info.source, line: this.lineBase + this.newlines + 1, reason: `is longer than ${this.buf.length >> 20} MiB: scanned its start only` });
      this.scanRange(limit, true);
      this.countedPos = this.scanPos = this.len = 0;
      this.discarding = true;
      return;
    }
    if (!this.detected && (final || limit > 0)) this.detect(limit);
    this.scanRange(limit, final);
    if (final) { this.lineNumberAt(this.len); return; }
    if (full) {
      this.compact();
      if (this.len === this.buf.length && this.scanPos < limit) {
        // A record waits to see whether the next line continues it, and that line does not fit in
        // the buffer (it will be cut): take the record as it stands, or no room would ever be made.
        this.scanRange(limit, true);
        this.compact();
      }
    }
  }

  /** A large stream gets a prefilter tuned to its own text: the rarest bigram pairs of each literal in
   *  *this* log, not in a generic sample (fewer false candidates on the hot path). */
  private tune(limit: number): void {
    if (limit < TUNE_MIN) return;
    const freq = textFrequencies(this.buf.subarray(0, Math.min(limit, TUNE_SAMPLE)));
    this.view = { ...this.view, index: new LiteralIndex(this.view.literals, freq) };
  }

  /** The first look at a stream: tune the prefilter, and detect the format unless it was given. */
  private detect(limit: number): void {
    this.tune(limit);
    const sample = formatSample(this.buf, limit);
    this.format ??= detectFormat(sample, this.info.time);
    this.detected = true;
    if (this.heads.length) this.readHeads(limit);
  }

  /** Fact rules read from the stream's first lines: run once here, never through the prefilter. */
  private readHeads(limit: number): void {
    const lines: string[] = [];
    for (let p = 0, n = Math.max(...this.heads.map((h) => h.rule.head ?? 0)); p < limit && lines.length < n;) {
      let e = this.buf.indexOf(10, p);
      if (e === -1 || e > limit) e = limit;
      lines.push(this.buf.toString('utf8', p, Math.min(e, p + 2048)).replace(/\r$/, ''));
      p = e + 1;
    }
    for (const h of this.heads) {
      const r = h.rule;
      for (let i = 0; i < Math.min(lines.length, r.head ?? 0); i++) {
        if (r.literal && !lines[i].includes(r.literal)) continue;
        this.stats.regexRuns++;
        const m = h.re.exec(lines[i]);
        if (!m) continue;
        this.emitFact(r, m.groups ?? {}, m[0], h.redact, this.info.source, i + 1, undefined);
        break;
      }
    }
  }

  private scanRange(limit: number, final: boolean): void {
    const { index } = this.view;
    const b = this.buf;
    while (this.scanPos < limit) {
      const hit = index.find(b, this.scanPos, limit);
      if (hit === -1) { this.scanPos = limit; break; }
      const lineStart = hit === 0 ? 0 : b.lastIndexOf(10, hit - 1) + 1;
      const a = assemble({ buf: b, lo: 0, hi: limit, final, format: this.format, ctx: this.info.time }, lineStart);
      if (!a.complete) { this.scanPos = lineStart; return; }
      const line = this.lineNumberAt(a.start);
      const record = toRecord(a);
      this.stats.records++;
      if (!this.onRecord(record, line, a.start, a.end, limit, final)) { this.scanPos = lineStart; return; }
      this.scanPos = Math.max(a.end + 1, hit + 1);
    }
    this.lineNumberAt(Math.min(this.scanPos, limit));
  }

  /** The stamp of a log's last line before `limit` (stats.lastTime): whether the log goes on after a
   *  boot without a failure. The last line, not the latest stamp: the same however the stream is
   *  batched or split. Looked for once, at the end (the stats that carry it are the end's; per batch
   *  it parsed a line per live line fed), within REACH_LINES of it: a log that ends in more
   *  unstamped lines than that tells no reach, and no failure is called gone on its account. */
  private reach(limit: number): void {
    if (this.info.role !== 'log' || limit <= 0) return;
    const b = this.buf;
    let e = limit;
    // Whose line it is: walking back over a dump's END marker enters that container's block, over
    // a START marker leaves it (a dump ends in an END line, after which no block is open).
    let pod = this.ownPod();
    for (let i = 0; i < REACH_LINES && e > 0; i++) {
      if (b[e - 1] === 10) e--;
      const s = e > 0 ? b.lastIndexOf(10, e - 1) + 1 : 0;
      if (e > s) {
        const text = b.toString('utf8', s, Math.min(e, s + 2048));
        const end = text.startsWith('==== ') ? END_MARKER.exec(text) : null;
        if (end) pod = podKey(end.groups);
        else if (text.startsWith('==== ') && START_MARKER.test(text)) pod = this.pathPod || undefined;
        else {
          const t = parseLine(text, this.format, this.info.time).time;
          if (t !== undefined && Number.isFinite(t)) {
            this.stats.lastTime = t;
            if (pod) this.stats.lastPod = pod;
            break;
          }
        }
      }
      e = s;
    }
  }

  /** Keep the unscanned tail and up to CONTEXT bytes of scanned text before it (a quarter of the
   *  buffer when that is less: a small buffer kept full of context would take every line for one
   *  longer than the buffer). */
  private compact(): void {
    const b = this.buf;
    let keep = Math.max(0, this.scanPos - Math.min(CONTEXT, this.buf.length >> 2));
    if (keep > 0) keep = b.indexOf(10, keep - 1) + 1 || this.scanPos;
    if (keep > this.countedPos) keep = this.countedPos;
    if (keep === 0) return;
    b.copyWithin(0, keep, this.len);
    this.len -= keep;
    this.scanPos -= keep;
    this.countedPos -= keep;
  }

  /** Lines around a record, for fact rules that read a value spread over lines (JSON, YAML). */
  private windowText(start: number, end: number, limit: number, w: { before: number; after: number }): string | undefined {
    const b = this.buf;
    let s = start;
    // (s = 1: the line before is empty and starts at 0; a negative offset would search from the end)
    for (let i = 0; i < w.before && s > 0; i++) s = s >= 2 ? b.lastIndexOf(10, s - 2) + 1 : 0;
    let e = end;
    for (let i = 0; i < w.after; i++) {
      if (e >= limit) break;
      const n = b.indexOf(10, e + 1);
      if (n === -1 || n >= limit) return undefined;
      e = n;
    }
    return b.toString('utf8', s, e);
  }

  /** Returns false when a windowed rule needs lines that have not arrived yet. */
  private onRecord(r: LogRecord, line: number, start: number, end: number, limit: number, final: boolean): boolean {
    const { literals, groups, index } = this.view;
    const text = r.message;
    this.pending.clear();
    // Which literals the message holds: in one pass over its bytes (a log where every line is a
    // failure spent 15 % of its time in text.includes, once per literal per record).
    const marked = text.length <= SCRATCH_CHARS;
    const seen = this.seen;
    if (marked) {
      stamp = (stamp + 1) >>> 0 || 1;
      index.mark(scratch, 0, scratch.write(text, 0), seen, stamp);
    }
    for (let li = 0; li < literals.length; li++) {
      if (marked ? seen[li] !== stamp : !text.includes(literals[li])) continue;
      for (const s of groups[li]) {
        let subject = text;
        if (s.window) {
          const wt = this.windowText(start, end, final ? this.len : limit, s.window);
          if (wt === undefined) {
            if (!final) return false;
            continue;
          }
          subject = wt;
        }
        this.stats.regexRuns++;
        const m = s.re.exec(subject);
        if (!m) continue;
        this.onMatch(s, m, r, line, subject);
      }
    }
    if (this.pending.size) {
      const pod = this.podOf(text);
      for (const h of this.pending.values()) this.emit(pod ? { ...h, pod, evidence: { ...h.evidence, pod } } : h);
    }
    return true;
  }

  /** The pod of the container block or file being read, if any. */
  private ownPod(): string | undefined {
    return this.context || this.pathPod ? this.podOf('') : undefined;
  }

  /** One fact event, the same for a rule run on a record and one run on a file's first lines. */
  private emitFact(rule: FactRule, groups: Record<string, string>, whole: string, redact: RegExp[] | undefined, source: string, line: number, time: number | undefined): void {
    let value = fill(rule.value ?? '{value}', groups, whole).trim();
    if (!value) return;
    if (redact) value = redactValue(value, redact);
    const pod = this.ownPod();
    this.emit({ type: 'fact', name: rule.fact, value, source, line, time, priority: rule.priority ?? 50, combine: rule.combine, ...(rule.scope === 'cluster' ? { cluster: true as const } : {}), ...(pod ? { pod } : {}), ...(rule.timed ? { timed: true as const } : {}) });
  }

  private onMatch(s: CompiledSignal, m: RegExpExecArray, r: LogRecord, line: number, subject: string): void {
    const source = this.context ? `${this.info.source} (${this.context})` : this.info.source;
    const o = s.owner;
    const groups: Record<string, string> = {};
    const mg = m.groups;
    if (mg) for (const k in mg) if (mg[k] !== undefined) groups[k] = mg[k];
    switch (o.kind) {
      case 'pattern': {
        let why: string[] | undefined;
        for (const [k, re] of s.also) {
          this.stats.regexRuns++;
          const am = re.exec(subject);
          if (!am) {
            if (s.require?.includes(k)) return; // e.g. the MARK warning outside an IPv6 context
            continue;
          }
          (why ??= []).push(am[0]);
          let named = false;
          const ag = am.groups;
          if (ag) for (const gk in ag) if (ag[gk] !== undefined) { groups[gk] = ag[gk]; named = true; }
          if (!named) groups[k] = am[0];
        }
        const prev = this.pending.get(o.patternId);
        if (prev) {
          prev.signals.push(o.signal);
          prev.captures = { ...groups, ...prev.captures };
        } else {
          const repeat = r.format === 'describe-events' ? describeRepeat(r.message) : undefined;
          this.pending.set(o.patternId, { type: 'hit', patternId: o.patternId, signals: [o.signal], captures: groups, time: r.time, evidence: excerpt(subject, m, source, line, r.time, why), ...(repeat ? { repeat } : {}) });
        }
        return;
      }
      case 'fact':
        this.emitFact(o.rule, groups, m[0], s.redact, source, line, r.time);
        return;
      case 'pod': {
        if (o.rule.kind === 'own') {
          const pod = this.ownPod();
          if (pod && groups.node) this.emit({ type: 'placement', pod, node: groups.node, source });
          return;
        }
        if (this.context) return; // a line of a pod's log, not of the listing
        if (o.rule.kind === 'object') {
          this.podObject = podKey(groups) ?? '';
          return;
        }
        const pod = podKey(groups) ?? this.podObject;
        if (o.rule.kind === 'node' && pod && groups.node) {
          this.emit({ type: 'placement', pod, node: groups.node, source });
          if (pod === this.podObject) this.podObject = '';
        }
        return;
      }
      case 'timeline':
        this.emit({ type: 'timeline', kind: o.rule.kind, text: fill(o.rule.text, groups, m[0]), time: r.time, source, line, ...(o.rule.freshStart ? { freshStart: true as const } : {}) });
        return;
      case 'marker':
        this.context = o.name === 'start' ? `${groups.ns}/${groups.pod}:${groups.container}` : '';
        this.markerSeen = true;
        return;
    }
  }
}

/** The lines a stream's format is detected from: its first 64, each cut at 2 KiB. */
export function formatSample(buf: Buffer, limit: number): string[] {
  const sample: string[] = [];
  let p = 0;
  while (p < limit && sample.length < FORMAT_SAMPLE_LINES) {
    let e = buf.indexOf(10, p);
    if (e === -1 || e > limit) e = limit;
    sample.push(buf.toString('latin1', p, Math.min(e, p + 2048)));
    p = e + 1;
  }
  return sample;
}

/** Templates split once into literal text (even places) and group names (odd places). */
const templates = new Map<string, string[]>();

function fill(template: string, groups: Record<string, string>, whole: string): string {
  let parts = templates.get(template);
  if (!parts) templates.set(template, (parts = template.split(/\{(\w+)\}/)));
  let out = parts[0];
  for (let i = 1; i < parts.length; i += 2) out += (parts[i] === 'match' ? whole : groups[parts[i]] ?? '') + parts[i + 1];
  return out;
}

/** `namespace/pod` from a rule's named captures, if it captured both. */
export function podKey(g: Record<string, string | undefined> | undefined): string | undefined {
  return g?.ns && g.pod ? `${g.ns}/${g.pod}` : undefined;
}

/** The pod of a container block's context (`namespace/pod:container`). */
export function podOfContext(context: string): string {
  return context.slice(0, context.lastIndexOf(':'));
}

/** context kept ahead of a match deep in a record, and at least after one near its start */
const EXCERPT_BEFORE = 200;
const EXCERPT_AFTER = 150;
/** how far a cut moves to reach a line or word boundary before it gives up and cuts mid-word */
const EXCERPT_SNAP = 80;
/** The timestamps records start with (ISO/felix, syslog, klog), so a cut never lands inside one. */
const LEADING_TIME = /^(?:\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(?:[.,]\d+)?(?:Z|[+-]\d\d:?\d\d)?|[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d(?:\.\d+)?|[IWEF]\d{4} \d\d:\d\d:\d\d\.\d+)/;

const isSpace = (c: number): boolean => c === 32 || c === 10 || c === 9 || c === 13;

/** A record's text, or when it is longer than EXCERPT, the part around the match: from the record's
 *  start whenever the match and some context after it fit (the timestamp and prefix say when and
 *  who), else from the first line or word boundary shortly before the match. Runs only on hits. */
function excerpt(text: string, m: RegExpExecArray, source: string, line: number, time: number | undefined, also?: string[]): Evidence {
  const ms = m.index;
  const me = m.index + m[0].length;
  // A pretty-printed JSON line of a cluster-info-dump keeps its indentation: in a report or a pane it
  // only takes width from the text. Left out (never past the match).
  let lead = 0;
  while (lead < ms && (text.charCodeAt(lead) === 32 || text.charCodeAt(lead) === 9)) lead++;
  if (text.length - lead <= EXCERPT) return { source, line, time: isoString(time), text: lead ? text.slice(lead) : text, match: [ms - lead, me - lead] };
  let s = lead;
  if (ms - lead > EXCERPT_BEFORE && me - lead + EXCERPT_AFTER > EXCERPT) {
    s = ms - EXCERPT_BEFORE;
    const reach = Math.min(ms, s + EXCERPT_SNAP);
    // a line start first (a joined block's own line), else the next word; looked for only up to
    // `reach`, as a record can be a megabyte without a newline
    let nl = -1;
    let sp = -1;
    for (let i = s - 1; i < reach; i++) {
      const c = text.charCodeAt(i);
      if (c === 10) { nl = i; break; }
      if (sp < 0 && isSpace(c)) sp = i;
    }
    if (nl >= 0) s = nl + 1;
    else if (sp >= 0) s = sp + 1;
    // a timestamp is kept whole or left out, never cut
    const head = LEADING_TIME.exec(text.slice(0, 48))?.[0].length ?? 0;
    if (s < head) s = 0;
  }
  let e = Math.min(text.length, s + EXCERPT);
  if (e < text.length) {
    // end on a word boundary too, unless that would cut into the match
    let i = e;
    while (i > me && i > e - EXCERPT_SNAP && !isSpace(text.charCodeAt(i))) i--;
    if (i > me && isSpace(text.charCodeAt(i))) e = i;
  }
  const pre = s > lead ? '…' : '';
  const kept = text.slice(s, e);
  // what else made the record count (felix's ipVersion=0x6 at the end of a 4 KB line) stays in view
  const cut = also?.filter((a) => !kept.includes(a)).map((a) => ` … ${a.length > 80 ? `${a.slice(0, 80)}…` : a}`).join('') ?? '';
  const post = e < text.length && !cut ? '…' : '';
  return { source, line, time: isoString(time), text: pre + kept + post + cut, match: [ms - s + pre.length, Math.min(me, e) - s + pre.length] };
}
