import { writeFileSync } from 'node:fs';
import path from 'node:path';
import pc from 'picocolors';
import { builtinPatternDir, type Catalog } from '../catalog/load.js';
import { runExamples } from '../catalog/examples.js';
import { jsonSchemas } from '../catalog/schema.js';

export function patternsList(cat: Catalog, json: boolean): number {
  if (json) {
    process.stdout.write(JSON.stringify(cat.patterns.map((p) => ({
      id: p.id, title: p.title, severity: p.severity, kind: p.kind, file: p.file,
      signals: p.signals.map((s) => s.name), examples: { positive: p.examples.positive.length, negative: p.examples.negative.length },
    })), null, 2) + '\n');
    return 0;
  }
  const w = Math.max(...cat.patterns.map((p) => p.id.length));
  for (const p of [...cat.patterns].sort((a, b) => a.id.localeCompare(b.id))) {
    process.stdout.write(`${p.id.padEnd(w)}  ${p.severity.padEnd(8)} ${p.kind.padEnd(7)} ${p.title}\n`);
  }
  return 0;
}

export function patternsShow(cat: Catalog, id: string, json: boolean): number {
  const p = cat.patterns.find((x) => x.id === id);
  if (!p) {
    process.stderr.write(`cni-doctor: no pattern with id ${id} (see: cni-doctor patterns list)\n`);
    return 2;
  }
  if (json) {
    const { signalLines: _s, ...rest } = p;
    process.stdout.write(JSON.stringify(rest, null, 2) + '\n');
    return 0;
  }
  const out = [`${pc.bold(p.id)} — ${p.title}`, `severity ${p.severity}, ${p.kind}; ${p.file}`, '', p.summary.trim(), '', pc.underline('Root cause'), p.rootCause.trim()];
  if (p.notThis) out.push('', pc.underline('Not the cause'), p.notThis.trim());
  out.push('', pc.underline('Signals'));
  for (const s of p.signals) out.push(`  ${s.name}: literal ${JSON.stringify(s.literal)}`, `    /${s.regex}/${s.ignoreCase ? 'i' : ''}`);
  out.push('', pc.underline('What to do'));
  p.remediation.forEach((r, i) => {
    out.push(`  ${i + 1}. ${r.text}`);
    for (const c of r.commands ?? []) out.push(`     $ ${c}`);
  });
  out.push('', pc.underline('References'), ...p.references.map((r) => `  ${r}`));
  process.stdout.write(out.join('\n') + '\n');
  return 0;
}

export function patternsTest(cat: Catalog, json: boolean): number {
  const { passed, failures } = runExamples(cat);
  if (json) process.stdout.write(JSON.stringify({ passed, failed: failures.length, failures }, null, 2) + '\n');
  else {
    for (const f of failures) process.stdout.write(`${pc.red('FAIL')} ${f.id} (${path.relative(process.cwd(), f.file)}): ${f.what}\n`);
    process.stdout.write(`${passed} examples passed, ${failures.length} failed, ${cat.patterns.length} patterns, ${cat.facts.length} fact rules, ${cat.timeline.length} timeline rules\n`);
  }
  return failures.length ? 1 : 0;
}

export async function patternsLint(cat: Catalog, json: boolean): Promise<number> {
  const { lintCatalog } = await import('../catalog/lint.js');
  const { issues, examples } = lintCatalog(cat);
  if (json) process.stdout.write(JSON.stringify({ issues, examplesPassed: examples.passed }, null, 2) + '\n');
  else {
    for (const i of issues) process.stdout.write(`${pc.red('LINT')} ${i.id} (${path.relative(process.cwd(), i.file)}): ${i.problem}\n`);
    process.stdout.write(`${issues.length} problem${issues.length === 1 ? '' : 's'} in ${cat.patterns.length} patterns, ${cat.facts.length} fact rules, ${cat.timeline.length} timeline rules\n`);
  }
  return issues.length ? 1 : 0;
}

export function patternsSchema(write: boolean): number {
  const text = JSON.stringify(jsonSchemas(), null, 2) + '\n';
  if (write) {
    writeFileSync(path.join(builtinPatternDir(), 'schema.json'), text);
    return 0;
  }
  process.stdout.write(text);
  return 0;
}
