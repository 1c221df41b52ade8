// Loads the knowledge base (pattern files, fact rules, bundle layouts) from YAML, validates it and
// names the file and line of anything wrong. A user directory may add files or replace built-in ids.
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import fg from 'fast-glob';
import { LineCounter, parseDocument, isMap, isSeq, type Node as YamlNode } from 'yaml';
import type { z } from 'zod';
import {
  patternSchema, factsFileSchema, layoutSchema, streamsSchema,
  type PatternFile, type FactRule, type TimelineRule, type PodRule, type Layout, type Streams,
} from './schema.js';
import { builtinPatternDir, cacheText, CACHE_FILE, readCachedCatalog } from './builtin-cache.js';

export { builtinPatternDir };

export class CatalogError extends Error {
  constructor(readonly file: string, readonly line: number | undefined, readonly reason: string) {
    super(`${file}${line ? `:${line}` : ''}: ${reason}`);
  }
}

export interface LoadedPattern extends PatternFile {
  file: string;
  /** line of each signal's regex, for error messages */
  signalLines: Record<string, number>;
}

export interface Catalog {
  patterns: LoadedPattern[];
  facts: (FactRule & { file: string })[];
  timeline: (TimelineRule & { file: string })[];
  pods: (PodRule & { file: string })[];
  layouts: (Layout & { file: string })[];
  streams: (Streams & { file: string })[];
  dirs: string[];
}

function lineOf(doc: ReturnType<typeof parseDocument>, counter: LineCounter, at: (string | number | symbol)[]): number | undefined {
  let node: unknown = doc.contents;
  let last: YamlNode | undefined = node as YamlNode;
  for (const key of at) {
    if (isMap(node)) node = node.get(key as string, true);
    else if (isSeq(node)) node = node.get(key as number, true);
    else break;
    if (node && typeof node === 'object' && 'range' in (node as object)) last = node as YamlNode;
    else break;
  }
  const off = last?.range?.[0];
  return off === undefined ? undefined : counter.linePos(off).line;
}

function describeIssue(issue: z.core.$ZodIssue): string {
  const where = issue.path.length ? issue.path.join('.') : '(top level)';
  return `${where}: ${issue.message}`;
}

export function parseYamlFile<T>(file: string, text: string, schema: z.ZodType<T>): { value: T; doc: ReturnType<typeof parseDocument>; counter: LineCounter } {
  const counter = new LineCounter();
  const doc = parseDocument(text, { lineCounter: counter, prettyErrors: true });
  if (doc.errors.length) {
    const e = doc.errors[0];
    throw new CatalogError(file, e.linePos?.[0]?.line, `YAML syntax: ${e.message.split('\n')[0]}`);
  }
  const res = schema.safeParse(doc.toJS());
  if (!res.success) {
    // Every issue at once (up to 20), each with its line: one run per mistake is slow going.
    const [first, ...rest] = res.error.issues.slice(0, 20);
    const more = rest.map((i) => { const l = lineOf(doc, counter, i.path); return `\n${file}${l ? `:${l}` : ''}: ${describeIssue(i)}`; });
    throw new CatalogError(file, lineOf(doc, counter, first.path), describeIssue(first) + more.join(''));
  }
  return { value: res.data, doc, counter };
}

function checkRegex(file: string, line: number | undefined, src: string, flags = ''): void {
  try {
    new RegExp(src, flags);
  } catch (e) {
    throw new CatalogError(file, line, `regex does not compile: ${(e as Error).message}`);
  }
}

function loadFile(file: string, cat: Catalog, seen: Map<string, string>): void {
  const text = readFileSync(file, 'utf8');
  const kind = /^kind:\s*(facts|layout|streams)\s*$/m.exec(text)?.[1];
  if (kind === 'facts') {
    const { value, doc, counter } = parseYamlFile(file, text, factsFileSchema);
    value.facts.forEach((r, i) => checkRegex(file, lineOf(doc, counter, ['facts', i, 'regex']), r.regex, r.ignoreCase ? 'i' : ''));
    value.timeline.forEach((r, i) => checkRegex(file, lineOf(doc, counter, ['timeline', i, 'regex']), r.regex));
    cat.facts.push(...value.facts.map((f) => ({ ...f, file })));
    value.pods.forEach((r, i) => checkRegex(file, lineOf(doc, counter, ['pods', i, 'regex']), r.regex));
    cat.timeline.push(...value.timeline.map((t) => ({ ...t, file })));
    cat.pods.push(...value.pods.map((t) => ({ ...t, file })));
    return;
  }
  if (kind === 'layout') {
    const { value, doc, counter } = parseYamlFile(file, text, layoutSchema);
    value.nameDates.forEach((r, i) => {
      checkRegex(file, lineOf(doc, counter, ['nameDates', i]), r);
      if (!/\(\?<year>/.test(r) || !/\(\?<month>/.test(r) || !/\(\?<day>/.test(r)) {
        throw new CatalogError(file, lineOf(doc, counter, ['nameDates', i]), 'a nameDates regex needs the named groups year, month and day');
      }
    });
    cat.layouts = cat.layouts.filter((l) => l.id !== value.id);
    cat.layouts.push({ ...value, file });
    return;
  }
  if (kind === 'streams') {
    const { value } = parseYamlFile(file, text, streamsSchema);
    cat.streams = cat.streams.filter((s) => s.id !== value.id);
    cat.streams.push({ ...value, file });
    return;
  }
  const { value, doc, counter } = parseYamlFile(file, text, patternSchema);
  const signalLines: Record<string, number> = {};
  const names = new Set<string>();
  value.signals.forEach((s, i) => {
    const line = lineOf(doc, counter, ['signals', i, 'regex']);
    if (names.has(s.name)) throw new CatalogError(file, line, `signal name "${s.name}" used twice`);
    names.add(s.name);
    signalLines[s.name] = line ?? 0;
    checkRegex(file, line, s.regex, s.ignoreCase ? 'i' : '');
    for (const re of Object.values(s.also ?? {})) checkRegex(file, line, re, s.ignoreCase ? 'i' : '');
    for (const r of s.require ?? []) if (!s.also?.[r]) throw new CatalogError(file, line, `require names "${r}", which is not one of this signal's also: regexes`);
    if (!(s.ignoreCase ? s.regex.toLowerCase() : s.regex).length) throw new CatalogError(file, line, 'empty regex');
  });
  const expectedDir = value.id.split('-')[0];
  if (path.basename(file, '.yaml') !== value.id) {
    throw new CatalogError(file, lineOf(doc, counter, ['id']), `file name must be the id: ${value.id}.yaml`);
  }
  const dirName = path.basename(path.dirname(file));
  if (dirName !== expectedDir) {
    throw new CatalogError(file, lineOf(doc, counter, ['id']), `a ${expectedDir}-… pattern belongs in a directory named ${expectedDir}/ (as <patterns dir>/${expectedDir}/${value.id}.yaml), not ${dirName}/`);
  }
  const prev = seen.get(value.id);
  if (prev && path.dirname(path.dirname(prev)) === path.dirname(path.dirname(file))) {
    throw new CatalogError(file, lineOf(doc, counter, ['id']), `duplicate id ${value.id} (also in ${prev})`);
  }
  seen.set(value.id, file);
  cat.patterns = cat.patterns.filter((p) => p.id !== value.id);
  cat.patterns.push({ ...value, file, signalLines });
}

function loadDir(dir: string, cat: Catalog, first: boolean, useCache: boolean): void {
  // Parsing YAML costs half a second: the built-in files, unchanged since the build, come from JSON.
  const cached = useCache ? readCachedCatalog(dir) : undefined;
  if (cached) {
    cat.patterns.push(...cached.patterns);
    cat.facts.push(...cached.facts);
    cat.timeline.push(...cached.timeline);
    cat.pods.push(...cached.pods);
    cat.layouts.push(...cached.layouts);
    cat.streams.push(...cached.streams);
    return;
  }
  const files = fg.sync(['**/*.yaml', '**/*.yml'], { cwd: dir, absolute: true, onlyFiles: true }).sort();
  if (!files.length && !first) throw new CatalogError(dir, undefined, 'no .yaml pattern files in this directory');
  const seen = new Map<string, string>();
  for (const f of files) loadFile(f, cat, seen);
}

/** Load the built-in knowledge base, then each extra directory on top (same id replaces). */
export function loadCatalog(extraDirs: string[] = [], opts: { builtin?: boolean; cache?: boolean } = {}): Catalog {
  const builtin = opts.builtin === false ? [] : [builtinPatternDir()];
  const dirs = [...builtin, ...extraDirs];
  const cat: Catalog = { patterns: [], facts: [], timeline: [], pods: [], layouts: [], streams: [], dirs };
  dirs.forEach((dir, i) => loadDir(dir, cat, i === 0, opts.cache !== false && i === 0 && builtin.length > 0));
  validateReferences(cat);
  return cat;
}

/** Write the cache of the built-in catalog (at build time). */
export function writeCatalogCache(): string {
  const cat = loadCatalog([], { cache: false });
  writeFileSync(CACHE_FILE, cacheText(builtinPatternDir(), cat));
  return CACHE_FILE;
}

function validateReferences(cat: Catalog): void {
  const ids = new Set(cat.patterns.map((p) => p.id));
  const walk = (p: LoadedPattern, c: unknown): void => {
    if (!c || typeof c !== 'object') return;
    const o = c as Record<string, unknown>;
    if (typeof o.signal === 'string' && !p.signals.some((s) => s.name === o.signal)) {
      throw new CatalogError(p.file, undefined, `condition names unknown signal "${o.signal}"`);
    }
    for (const n of Array.isArray(o.together) ? o.together : []) {
      if (!p.signals.some((s) => s.name === n)) throw new CatalogError(p.file, undefined, `together: names unknown signal "${n}"`);
    }
    if (typeof o.diagnosis === 'string' && !ids.has(o.diagnosis)) {
      throw new CatalogError(p.file, undefined, `condition names unknown diagnosis "${o.diagnosis}"`);
    }
    for (const v of Object.values(o)) {
      if (Array.isArray(v)) v.forEach((x) => walk(p, x));
      else if (v && typeof v === 'object') walk(p, v);
    }
  };
  for (const p of cat.patterns) {
    if (p.causedBy && p.kind !== 'symptom') throw new CatalogError(p.file, undefined, 'causedBy is for symptoms: a cause is not caused by another diagnosis here');
    for (const id of p.causedBy ?? []) {
      const c = cat.patterns.find((x) => x.id === id);
      // A user directory may replace a listed cause with a symptom; a missing id is a typo.
      if (!c) throw new CatalogError(p.file, undefined, `causedBy names unknown diagnosis "${id}"`);
    }
    for (const ex of p.examples.positive) {
      if (ex.container && ex.format !== 'felix' && ex.format !== 'cri') {
        throw new CatalogError(p.file, undefined, `example says container "${ex.container}" but is ${ex.format}: only felix and cri lines are a container's log as they stand`);
      }
    }
    if (p.when) walk(p, p.when);
    for (const r of p.remediation) if (r.when) walk(p, r.when);
    for (const f of p.confidence.factors) walk(p, f.when);
    for (const ex of p.examples.positive) {
      if (ex.signal && !p.signals.some((s) => s.name === ex.signal)) {
        throw new CatalogError(p.file, undefined, `example names unknown signal "${ex.signal}"`);
      }
    }
  }
}
