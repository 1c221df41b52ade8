// `export npd` and `export loki`: the options; the work is loaded only when the verb runs.
import type { Command } from 'commander';
import type { Catalog } from '../catalog/load.js';
import { DEFAULT_INSTALL_CNI_SELECTOR, DEFAULT_JOURNAL_SELECTOR, DEFAULT_JOURNAL_SOURCE, DEFAULT_NPD_SOURCES_HELP, DEFAULT_SELECTOR } from '../export/defaults.js';
import type { LokiCliOptions, NpdCliOptions } from './export-run.js';

const collect = (v: string, prev: string[] = []): string[] => [...prev, v];

/** Adds `export npd` and `export loki` to the program. */
export function registerExport(prog: Command, catalogFrom: (dirs?: string[]) => Promise<Catalog>): void {
  const exp = prog.command('export').description('fleet configs from the knowledge base: node-problem-detector monitors, Loki ruler alerts');
  exp.command('npd')
    .description('node-problem-detector system-log-monitor configs (journald plugin), one per SYSLOG_IDENTIFIER')
    .option('--output <dir>', 'write the monitor JSON files and a ConfigMap (cni-doctor-npd-config) here, and print the NPD flag')
    .option('--source <identifier>', `SYSLOG_IDENTIFIER to export, repeatable (default: ${DEFAULT_NPD_SOURCES_HELP}; "all": every identifier some pattern has a rule for)`, collect)
    .option('--log-path <dir>', 'journal directory as node-problem-detector sees it', '/var/log/journal')
    .option('--lookback <duration>', 'how far back NPD reads at start (Go duration)', '10m')
    .option('--config-dir <dir>', 'where node-problem-detector mounts the ConfigMap (for the printed flag)', '/config')
    .option('--patterns <dir>', 'add a directory of pattern files', collect)
    .option('--json', 'print the configs, the flag and the skipped signals as one JSON object')
    .action(async (o: NpdCliOptions & { patterns?: string[] }) => {
      const { runExportNpd } = await import('./export-run.js');
      process.exitCode = runExportNpd(await catalogFrom(o.patterns), o);
    });
  exp.command('loki')
    .description('Loki ruler alerting rules (YAML) for calico-node pod logs, its install-cni init container and the kubelite journal')
    .option('--selector <logql>', 'stream selector of calico-node pod logs', DEFAULT_SELECTOR)
    .option('--install-cni-selector <logql>', 'stream selector of the install-cni init container logs (calico-node pod)', DEFAULT_INSTALL_CNI_SELECTOR)
    .option('--journal-selector <logql>', 'stream selector of the journal unit', DEFAULT_JOURNAL_SELECTOR)
    .option('--journal-source <identifier>', 'SYSLOG_IDENTIFIER the journal selector reads', DEFAULT_JOURNAL_SOURCE)
    .option('--node-label <label>', 'label naming the node in pod-log streams', 'node_name')
    .option('--journal-node-label <label>', 'label naming the node in journal streams', 'nodename')
    .option('--range <duration>', 'count_over_time range when a pattern names no window', '10m')
    .option('--for <duration>', 'how long an alert must hold before it fires', '1m')
    .option('--no-pods', 'no rules for pod logs (calico-node and install-cni)')
    .option('--no-journal', 'no rules for the journal')
    .option('--output <file>', 'write the rule file here instead of stdout')
    .option('--patterns <dir>', 'add a directory of pattern files', collect)
    .option('--json', 'the same rules as JSON, with the skipped signals')
    .action(async (o: LokiCliOptions & { patterns?: string[] }) => {
      const { runExportLoki } = await import('./export-run.js');
      process.exitCode = runExportLoki(await catalogFrom(o.patterns), o);
    });
}
