// Placeholder replaced when the metrics exporter lands: headless watch serves Prometheus metrics.
import type { Catalog } from '../catalog/load.js';
import type { LiveEngine } from '../engine/live.js';

export async function startMetrics(_listen: string, _engine: LiveEngine, _catalog: Catalog, _version: string): Promise<{ close(): Promise<void> }> {
  throw new Error('--metrics is not available in this build');
}
