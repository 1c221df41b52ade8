// Prometheus metrics for a node running `cni-doctor watch --headless --metrics :9464`.
//
//   const m = createMetrics({ version, catalog });         // one Registry, all series declared
//   m.update(diagnose(state, catalog), { lines: state.stats.lines, lagSeconds });   // after each change
//   const srv = await serveMetrics(':9464', m.registry);    // GET /metrics; srv.close() on shutdown
// or, diagnosing only when Prometheus scrapes:
//   serveMetrics(':9464', m.registry, { beforeScrape: () => m.update(diagnose(engine.state, catalog), { lines: engine.state.stats.lines }) })
//
// Naming follows prometheus/docs naming.md (shared/reference/fleet-formats.md §4): one `cnidoctor_`
// prefix, counters end in `_total` and only go up, base units, `_info` for build metadata, labels
// bounded by the catalog (diagnosis id, severity). No `node` label: node identity is a target label
// added by the scrape configuration (the DaemonSet's pod), not by the exporter.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client';
import type { Catalog } from '../catalog/load.js';
import type { Diagnosis } from '../engine/diagnose.js';

export interface MetricsStats {
  /** lines read since the watcher started — cumulative, as State.stats.lines holds it */
  lines: number;
  /** how far behind the source the reader is (now − time of the newest line read), when known */
  lagSeconds?: number;
}

export interface DoctorMetrics {
  registry: Registry;
  /** Set every series from the current diagnoses (the full list, not a delta). Diagnoses that
   *  disappeared drop to 0; counters advance by the growth of `occurrences` and `lines`
   *  (a value that went down is taken as a restarted count and added whole). */
  update(diagnoses: readonly Diagnosis[], stats: MetricsStats): void;
}

export interface MetricsOptions {
  version?: string;
  /** declare every catalog id at 0 up front, so "not diagnosed" is an explicit 0, not an absent series */
  catalog?: Catalog;
  /** also export prom-client's process_* and nodejs_* metrics */
  defaultMetrics?: boolean;
}

export function createMetrics(opts: MetricsOptions = {}): DoctorMetrics {
  const registry = new Registry();
  const registers = [registry];
  const active = new Gauge({
    name: 'cnidoctor_diagnosis_active',
    help: 'Whether cni-doctor currently diagnoses this failure class on this node (1) or not (0).',
    labelNames: ['diagnosis', 'severity'] as const, registers,
  });
  const confidence = new Gauge({
    name: 'cnidoctor_diagnosis_confidence',
    help: 'Confidence of the diagnosis, 0 to 1 (0 when not diagnosed).',
    labelNames: ['diagnosis'] as const, registers,
  });
  const lastSeen = new Gauge({
    name: 'cnidoctor_diagnosis_last_seen_timestamp_seconds',
    help: 'Time of the newest evidence line for the diagnosis (Unix seconds).',
    labelNames: ['diagnosis'] as const, registers,
  });
  const matches = new Counter({
    name: 'cnidoctor_signal_matches_total',
    help: 'Log records that matched a signal of the failure class.',
    labelNames: ['diagnosis'] as const, registers,
  });
  const lines = new Counter({ name: 'cnidoctor_lines_read_total', help: 'Log lines read.', registers });
  // Registered on the first known value: an absent series says "unknown", a 0 would say "no lag".
  let lag: Gauge | undefined;
  const updated = new Gauge({
    name: 'cnidoctor_last_update_timestamp_seconds',
    help: 'When the diagnoses were last evaluated (Unix seconds).',
    registers,
  });
  const build = new Gauge({ name: 'cnidoctor_build_info', help: 'cni-doctor build information (always 1).', labelNames: ['version'] as const, registers });
  build.set({ version: opts.version ?? 'unknown' }, 1);
  if (opts.defaultMetrics) collectDefaultMetrics({ register: registry });

  const severityOf = new Map<string, string>();
  const occurrences = new Map<string, number>();
  let linesSeen = 0;

  const declare = (id: string, severity: string): void => {
    const prev = severityOf.get(id);
    if (prev === severity) return;
    if (prev !== undefined) active.remove({ diagnosis: id, severity: prev });
    severityOf.set(id, severity);
    active.set({ diagnosis: id, severity }, 0);
    confidence.set({ diagnosis: id }, 0);
    matches.inc({ diagnosis: id }, 0);
  };
  for (const p of opts.catalog?.patterns ?? []) declare(p.id, p.severity);

  const advance = (prev: number, now: number): number => (now >= prev ? now - prev : now);

  return {
    registry,
    update(diagnoses, stats) {
      const present = new Set<string>();
      for (const d of diagnoses) {
        declare(d.id, d.severity);
        present.add(d.id);
        // not seen since a later boot (resolved): found, but no longer current
        active.set({ diagnosis: d.id, severity: d.severity }, d.resolved ? 0 : 1);
        confidence.set({ diagnosis: d.id }, d.confidence);
        if (d.lastSeen) {
          const t = Date.parse(d.lastSeen);
          if (Number.isFinite(t)) lastSeen.set({ diagnosis: d.id }, t / 1000);
        }
        const delta = advance(occurrences.get(d.id) ?? 0, d.occurrences);
        if (delta > 0) matches.inc({ diagnosis: d.id }, delta);
        occurrences.set(d.id, d.occurrences);
      }
      for (const [id, severity] of severityOf) {
        if (present.has(id)) continue;
        active.set({ diagnosis: id, severity }, 0);
        confidence.set({ diagnosis: id }, 0);
        // keep the last occurrence count: the engine's count does not restart when a class clears
      }
      const dl = advance(linesSeen, stats.lines);
      if (dl > 0) lines.inc(dl);
      linesSeen = stats.lines;
      if (stats.lagSeconds !== undefined && Number.isFinite(stats.lagSeconds)) {
        lag ??= new Gauge({
          name: 'cnidoctor_source_lag_seconds',
          help: 'Seconds since every followed file was last read to its end (0 while caught up; journal and stdin pipes report 0 unless paused).',
          registers,
        });
        lag.set(Math.max(0, stats.lagSeconds));
      }
      updated.set(Date.now() / 1000);
    },
  };
}

/** `:9464` (all interfaces), `9464`, `127.0.0.1:9464`, `[::1]:9464`, `localhost:0` (any free port). */
export function parseListen(listen: string): { host?: string; port: number } {
  const bad = (): Error => new Error(`not a listen address: ${JSON.stringify(listen)} (use :9464, 127.0.0.1:9464 or [::1]:9464)`);
  const s = listen.trim();
  let host: string | undefined;
  let portText = s;
  if (!/^\d+$/.test(s)) {
    const i = s.lastIndexOf(':');
    if (i < 0) throw bad();
    host = s.slice(0, i);
    portText = s.slice(i + 1);
    if (host.startsWith('[') && host.endsWith(']')) host = host.slice(1, -1);
    else if (host.includes(':') || /[\s[\]]/.test(host)) throw bad();
    if (!host) host = undefined;
  }
  if (!/^\d{1,5}$/.test(portText) || Number(portText) > 65535) throw bad();
  return { host, port: Number(portText) };
}

export interface MetricsServer {
  /** the port actually bound (useful with port 0) */
  port: number;
  host: string;
  close(): Promise<void>;
}

export interface ServeOptions {
  /** called before each scrape is rendered — the cheap place to call `update()` (diagnose on demand
   *  instead of on every engine change); an exception becomes a 500 */
  beforeScrape?: () => void | Promise<void>;
}

/** Serve `GET /metrics` (and HEAD) from `registry`; anything else is 404 (405 for other methods on
 *  /metrics). Resolves once listening; rejects if the address cannot be bound. */
export function serveMetrics(listen: string, registry: Registry, opts: ServeOptions = {}): Promise<MetricsServer> {
  const { host, port } = parseListen(listen);
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('not found: metrics are at /metrics\n');
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain; charset=utf-8' }).end('method not allowed\n');
      return;
    }
    Promise.resolve().then(() => opts.beforeScrape?.()).then(() => registry.metrics()).then(
      (body) => {
        res.writeHead(200, { 'content-type': registry.contentType, 'cache-control': 'no-store' });
        res.end(req.method === 'HEAD' ? undefined : body);
      },
      (e: unknown) => {
        res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' }).end(`cannot collect metrics: ${(e as Error).message}\n`);
      },
    );
  });
  server.keepAliveTimeout = 5000;
  return new Promise((resolve, reject) => {
    const onError = (e: Error): void => reject(new Error(`cannot serve metrics on ${listen}: ${e.message}`));
    server.once('error', onError);
    server.listen({ port, host }, () => {
      server.off('error', onError);
      const addr = server.address() as AddressInfo;
      resolve({
        port: addr.port,
        host: addr.address,
        close: () => new Promise<void>((done, fail) => {
          server.close((e) => (e ? fail(e) : done()));
          server.closeAllConnections();
        }),
      });
    });
  });
}
