// `watch --metrics`: Prometheus metrics of the live engine, refreshed at each scrape.
import type { Catalog } from '../catalog/load.js';
import { diagnose } from '../engine/diagnose.js';
import type { LiveEngine } from '../engine/live.js';
import { createMetrics, serveMetrics } from '../export/metrics.js';

/** `lag`: seconds the reader is behind its sources (WatchStore.lag), as cnidoctor_source_lag_seconds */
export async function startMetrics(listen: string, engine: LiveEngine, catalog: Catalog, version: string, lag: () => number): Promise<{ close(): Promise<void> }> {
  const m = createMetrics({ version, catalog });
  const srv = await serveMetrics(listen, m.registry, {
    beforeScrape: () => m.update(diagnose(engine.state, catalog), { lines: engine.state.stats.lines, lagSeconds: lag() }),
  });
  process.stderr.write(`cni-doctor: metrics on http://${srv.host.includes(':') ? `[${srv.host}]` : srv.host}:${srv.port}/metrics\n`);
  return { close: () => srv.close() };
}
