// The main thread's side of the scan worker: forwards a stream's chunks (bounded bytes in flight,
// so memory stays bounded) and gets the scanner's events back.
import { Worker } from 'node:worker_threads';
import type { Readable } from 'node:stream';
import type { EngineEvent } from './events.js';
import type { ScanStats, StreamInfo } from './scanner.js';
import type { FromWorker, ToWorker } from './scan-worker.js';

const IN_FLIGHT = 16 << 20;
const BATCH = 512 << 10;

export class ScanWorker {
  private worker: Worker;
  private ready: Promise<void>;
  private nextId = 1;
  private inFlight = 0;
  private drained: (() => void)[] = [];
  private pending = new Map<number, { resolve: (s: ScanStats) => void; reject: (e: Error) => void }>();
  private failure: Error | undefined;

  constructor(dirs: string[], private emit: (e: EngineEvent) => void) {
    // Runs from dist/ (compiled .js) and from src/ under tsx (.ts) alike.
    const self = new URL(import.meta.url);
    const file = new URL(`./scan-worker${self.pathname.endsWith('.ts') ? '.ts' : '.js'}`, self);
    // Only the loader flags (tsx in tests), never --test or --cpu-prof.
    const execArgv: string[] = [];
    process.execArgv.forEach((a, i) => {
      if ((a === '--import' || a === '--loader') && process.execArgv[i + 1]) execArgv.push(a, process.execArgv[i + 1]);
      else if (/^--(import|loader)=/.test(a)) execArgv.push(a);
    });
    this.worker = new Worker(file, { workerData: { dirs }, execArgv });
    this.worker.unref();
    this.ready = new Promise((resolve, reject) => {
      this.worker.on('message', (m: FromWorker) => {
        switch (m.type) {
          case 'ready': resolve(); break;
          case 'events': for (const e of m.events) this.emit(e); break;
          case 'ack':
            this.inFlight -= m.bytes;
            if (this.inFlight < IN_FLIGHT) for (const d of this.drained.splice(0)) d();
            break;
          case 'done': this.pending.get(m.id)?.resolve(m.stats); this.pending.delete(m.id); break;
          case 'error': this.pending.get(m.id)?.reject(new Error(m.message)); this.pending.delete(m.id); break;
        }
      });
      this.worker.on('error', (e) => {
        this.failure = e;
        reject(e);
        for (const p of this.pending.values()) p.reject(e);
        for (const d of this.drained.splice(0)) d();
      });
    });
  }

  private post(m: ToWorker, transfer: ArrayBuffer[] = []): void {
    this.worker.postMessage(m, transfer);
  }

  /** Scan a readable in the worker; resolves with the stream's stats when the worker is done. */
  async scan(info: StreamInfo, r: Readable): Promise<ScanStats> {
    await this.ready;
    const id = this.nextId++;
    const done = new Promise<ScanStats>((resolve, reject) => this.pending.set(id, { resolve, reject }));
    done.catch(() => undefined);
    this.post({ type: 'open', id, info });
    let parts: Buffer[] = [];
    let size = 0;
    const send = async (): Promise<void> => {
      if (!size) return;
      const data = new Uint8Array(size);
      let o = 0;
      for (const p of parts) { data.set(p, o); o += p.length; }
      parts = [];
      this.inFlight += size;
      size = 0;
      this.post({ type: 'chunk', id, data }, [data.buffer]);
      if (this.inFlight >= IN_FLIGHT) await new Promise<void>((res) => this.drained.push(res));
      if (this.failure) throw this.failure;
    };
    let readError: Error | undefined;
    try {
      for await (const c of r) {
        parts.push(c as Buffer);
        size += (c as Buffer).length;
        if (size >= BATCH) await send();
      }
    } catch (e) {
      readError = e as Error;
    }
    await send();
    this.post({ type: 'end', id });
    const stats = await done;
    if (readError) throw Object.assign(readError, { partial: stats });
    return stats;
  }

  async close(): Promise<void> {
    await this.worker.terminate();
  }
}
