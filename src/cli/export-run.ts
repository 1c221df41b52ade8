// `export npd` and `export loki`: argument parsing and file writing only; the configs are built in
// src/export/. Exit codes as everywhere: 0 done, 2 usage error (an unknown --source too) or a catalog
// that cannot be exported.
import { mkdirSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Catalog } from '../catalog/load.js';
import { buildLoki, lokiYaml, type LokiOptions } from '../export/loki.js';
import { buildNpd, monitorFileName, npdConfigMap, npdFlag, npdJson, NPD_FELIX_NOTE, type NpdExport } from '../export/npd.js';
import { ExportError } from '../export/re2.js';
import { toolVersion } from './version.js';

export interface NpdCliOptions {
  output?: string;
  source?: string[];
  logPath?: string;
  lookback?: string;
  configDir?: string;
  json?: boolean;
}

const WHY: Record<string, string> = {
  EACCES: 'permission denied', EPERM: 'permission denied', EROFS: 'read-only file system',
  ENOTDIR: 'a file is in the way of the directory', EEXIST: 'a file is in the way of the directory',
  EISDIR: 'it is a directory', ENOSPC: 'no space left on the device', ENOENT: 'no such directory',
};

function failExport(verb: string, e: unknown): number {
  if (e instanceof ExportError) {
    process.stderr.write(`cni-doctor: export ${verb}: ${e.message}\n`);
    return 2;
  }
  const err = e as NodeJS.ErrnoException;
  if (err && typeof err.code === 'string') {
    const why = WHY[err.code] ?? err.message;
    process.stderr.write(`cni-doctor: export ${verb}: cannot write ${err.path ?? 'the output'}: ${why} (choose another --output)\n`);
    return 2;
  }
  throw e;
}

/** mkdir -p, one level at a time: Node's recursive mkdirSync spins forever under /proc. */
function makeDir(dir: string): void {
  const missing: string[] = [];
  let d = path.resolve(dir);
  for (;;) {
    try {
      if (!statSync(d).isDirectory()) throw Object.assign(new Error(`${d} is not a directory`), { code: 'ENOTDIR', path: d });
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      missing.unshift(d);
      const up = path.dirname(d);
      if (up === d) break;
      d = up;
    }
  }
  for (const m of missing) mkdirSync(m);
}

function skippedNote(n: number, what: string): string {
  return n ? `cni-doctor: ${n} signal${n === 1 ? '' : 's'} not exported to ${what} (--json lists each with the reason)\n` : '';
}

export function runExportNpd(cat: Catalog, o: NpdCliOptions): number {
  let exp: NpdExport;
  try {
    if (o.lookback && !/^(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+$/.test(o.lookback)) throw new ExportError([`--lookback: not a Go duration: ${o.lookback} (e.g. 10m)`]);
    exp = buildNpd(cat, { sources: o.source, logPath: o.logPath, lookback: o.lookback, version: toolVersion() });
  } catch (e) {
    return failExport('npd', e);
  }
  const flag = npdFlag(exp, o.configDir);
  const files = Object.fromEntries(exp.monitors);
  let written: string[] = [];
  if (o.output) {
    try {
      makeDir(o.output);
      for (const [file, cfg] of exp.monitors) {
        writeFileSync(path.join(o.output, file), npdJson(cfg));
        written.push(path.join(o.output, file));
      }
      const cm = path.join(o.output, 'cni-doctor-npd-config.yaml');
      writeFileSync(cm, npdConfigMap(exp));
      written.push(cm);
    } catch (e) {
      return failExport('npd', e);
    }
  }
  if (o.json) {
    process.stdout.write(JSON.stringify({ sources: exp.sources, files, written, flag, skipped: exp.skipped, note: NPD_FELIX_NOTE }, null, 2) + '\n');
    return 0;
  }
  if (o.output) {
    for (const [file, cfg] of exp.monitors) {
      const perm = cfg.rules.filter((r) => r.type === 'permanent').length;
      process.stdout.write(`wrote ${path.join(o.output, file)}: ${cfg.rules.length} rule${cfg.rules.length === 1 ? '' : 's'} (${perm} permanent, ${cfg.conditions.length} condition${cfg.conditions.length === 1 ? '' : 's'}) for SYSLOG_IDENTIFIER ${cfg.pluginConfig.source}\n`);
    }
    process.stdout.write(`wrote ${written[written.length - 1]}: ConfigMap cni-doctor-npd-config (mount it at ${o.configDir ?? '/config'} in node-problem-detector)\n`);
    process.stdout.write(`node-problem-detector flag (append to any monitors you already load):\n  ${flag}\n`);
  } else {
    const only = exp.monitors.size === 1 ? [...exp.monitors.values()][0] : undefined;
    process.stdout.write(only ? npdJson(only) : JSON.stringify(files, null, 2) + '\n');
    process.stderr.write(`cni-doctor: ${exp.monitors.size} monitor${exp.monitors.size === 1 ? '' : 's'} (${exp.sources.map(monitorFileName).join(', ')}); with --output DIR the files, a ConfigMap and the flag are written\n`);
  }
  process.stderr.write(skippedNote(exp.skipped.length, 'node-problem-detector (felix output is not in the journal: see export loki)'));
  return 0;
}

export interface LokiCliOptions extends LokiOptions {
  output?: string;
  json?: boolean;
}

export function runExportLoki(cat: Catalog, o: LokiCliOptions): number {
  let text: string;
  let skipped: number;
  try {
    const exp = buildLoki(cat, { ...o, version: toolVersion() });
    skipped = exp.skipped.length;
    text = o.json ? JSON.stringify({ groups: exp.groups, skipped: exp.skipped }, null, 2) + '\n' : lokiYaml(exp, toolVersion());
    if (o.output) {
      makeDir(path.dirname(path.resolve(o.output)));
      writeFileSync(o.output, text);
    }
  } catch (e) {
    return failExport('loki', e);
  }
  if (o.output) process.stdout.write(`wrote ${o.output}: put it in the Loki ruler's rules directory as <dir>/<tenant>/cni-doctor.yaml\n`);
  else process.stdout.write(text);
  process.stderr.write(skippedNote(skipped, 'Loki'));
  return 0;
}
