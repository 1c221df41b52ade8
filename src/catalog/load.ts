// Loads the knowledge base (pattern files, fact rules, bundle layouts) from YAML, validates it and
// names the file and line of anything wrong. A user directory may add files or replace built-in ids.
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import fg from 'fast-glob';
import { LineCounter, parseDocument, isMap, isSeq, type Node as YamlNode } from 'yaml';
import type { z } from 'zod';
import {
  patternSchema, factsFileSchema, layoutSchema,
  type PatternFile, type FactRule, type TimelineRule, type Layout,
} from './schema.js';

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
  layouts: (Layout & { file: string })[];
  dirs: string[];
}

export function builtinPatternDir(): string {
  // dist/src/catalog/load.js and src/catalog/load.ts both sit three levels (or two) below the root.
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 4; i++) {
    dir = path.dirname(dir);
    try {
      readFileSync(path.join(dir, 'patterns', 'schema.json'));
      return path.join(dir, 'patterns');
    } catch { /* keep climbing */ }
  }
  throw new Error('built-in patterns/ directory not found next to the program');
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
    const issue = res.error.issues[0];
    throw new CatalogError(file, lineOf(doc, counter, issue.path), describeIssue(issue));
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
  const kind = /^kind:\s*(facts|layout)\s*$/m.exec(text)?.[1];
  if (kind === 'facts') {
    const { value, doc, counter } = parseYamlFile(file, text, factsFileSchema);
    value.facts.forEach((r, i) => checkRegex(file, lineOf(doc, counter, ['facts', i, 'regex']), r.regex, r.ignoreCase ? 'i' : ''));
    value.timeline.forEach((r, i) => checkRegex(file, lineOf(doc, counter, ['timeline', i, 'regex']), r.regex));
    cat.facts.push(...value.facts.map((f) => ({ ...f, file })));
    cat.timeline.push(...value.timeline.map((t) => ({ ...t, file })));
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
  const { value, doc, counter } = parseYamlFile(file, text, patternSchema);
  const signalLines: Record<string, number> = {};
  const names = new Set<string>();
  value.signals.forEach((s, i) => {
    const line = lineOf(doc, counter, ['signals', i, 'regex']);
    if (names.has(s.name)) throw new CatalogError(file, line, `signal name "${s.name}" used twice`);
    names.add(s.name);
    signalLines[s.name] = line ?? 0;
    checkRegex(file, line, s.regex, s.ignoreCase ? 'i' : '');
    for (const [, re] of Object.entries(s.also ?? {})) checkRegex(file, line, re, s.ignoreCase ? 'i' : '');
    for (const r of s.require ?? []) if (!s.also?.[r]) throw new CatalogError(file, line, `require names "${r}", which is not one of this signal's also: regexes`);
    if (!(s.ignoreCase ? s.regex.toLowerCase() : s.regex).length) throw new CatalogError(file, line, 'empty regex');
  });
  const expectedDir = value.id.split('-')[0];
  if (path.basename(file, '.yaml') !== value.id) {
    throw new CatalogError(file, lineOf(doc, counter, ['id']), `file name must be the id: ${value.id}.yaml`);
  }
  const dirName = path.basename(path.dirname(file));
  if (dirName !== expectedDir) {
    throw new CatalogError(file, lineOf(doc, counter, ['id']), `a ${expectedDir}-… pattern belongs in patterns/${expectedDir}/, not ${dirName}/`);
  }
  const prev = seen.get(value.id);
  if (prev && path.dirname(path.dirname(prev)) === path.dirname(path.dirname(file))) {
    throw new CatalogError(file, lineOf(doc, counter, ['id']), `duplicate id ${value.id} (also in ${prev})`);
  }
  seen.set(value.id, file);
  cat.patterns = cat.patterns.filter((p) => p.id !== value.id);
  cat.patterns.push({ ...value, file, signalLines });
}

/** Where the built-in catalog, parsed and validated at build time, is kept (dist/ only). */
const CACHE = fileURLToPath(new URL('../../patterns-cache.json', import.meta.url));

interface CacheFile { hash: string; patterns: LoadedPattern[]; facts: Catalog['facts']; timeline: Catalog['timeline']; layouts: Catalog['layouts'] }

function dirHash(files: string[]): string {
  const h = createHash('sha256');
  for (const f of files) h.update(f).update('\0').update(readFileSync(f)).update('\0');
  return h.digest('hex');
}

function loadDir(dir: string, cat: Catalog, first: boolean, useCache: boolean): void {
  const files = fg.sync(['**/*.yaml', '**/*.yml'], { cwd: dir, absolute: true, onlyFiles: true }).sort();
  if (!files.length && !first) throw new CatalogError(dir, undefined, 'no .yaml pattern files in this directory');
  // Parsing YAML costs half a second: the built-in files, unchanged since the build, come from JSON.
  const hash = useCache ? dirHash(files) : '';
  if (useCache) {
    try {
      const c = JSON.parse(readFileSync(CACHE, 'utf8')) as CacheFile;
      if (c.hash === hash) {
        cat.patterns.push(...c.patterns);
        cat.facts.push(...c.facts);
        cat.timeline.push(...c.timeline);
        cat.layouts.push(...c.layouts);
        return;
      }
    } catch { /* no cache, or from another build: parse */ }
  }
  const seen = new Map<string, string>();
  for (const f of files) loadFile(f, cat, seen);
}

/** Load the built-in knowledge base, then each extra directory on top (same id replaces). */
export function loadCatalog(extraDirs: string[] = [], opts: { builtin?: boolean; cache?: boolean } = {}): Catalog {
  const builtin = opts.builtin === false ? [] : [builtinPatternDir()];
  const dirs = [...builtin, ...extraDirs];
  const cat: Catalog = { patterns: [], facts: [], timeline: [], layouts: [], dirs };
  dirs.forEach((dir, i) => loadDir(dir, cat, i === 0, opts.cache !== false && i === 0 && builtin.length > 0));
  validateReferences(cat);
  return cat;
}

/** Write the cache of the built-in catalog (at build time). */
export function writeCatalogCache(): string {
  const dir = builtinPatternDir();
  const cat = loadCatalog([], { cache: false });
  const files = fg.sync(['**/*.yaml', '**/*.yml'], { cwd: dir, absolute: true, onlyFiles: true }).sort();
  const c: CacheFile = { hash: dirHash(files), patterns: cat.patterns, facts: cat.facts, timeline: cat.timeline, layouts: cat.layouts };
  writeFileSync(CACHE, JSON.stringify(c));
  return CACHE;
}

function validateReferences(cat: Catalog): void {
  const ids = new Set(cat.patterns.map((p) => p.id));
  const walk = (p: LoadedPattern, c: unknown): void => {
    if (!c || typeof c !== 'object') return;
    const o = c as Record<string, unknown>;
    if (typeof o.signal === 'string' && !p.signals.some((s) => s.name === o.signal)) {
      throw new CatalogError(p.file, undefined, `condition names unknown signal "${o.signal}"`);
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
    if (p.when) walk(p, p.when);
    for (const f of p.confidence.factors) walk(p, f.when);
    for (const ex of p.examples.positive) {
      if (ex.signal && !p.signals.some((s) => s.name === ex.signal)) {
        throw new CatalogError(p.file, undefined, `example names unknown signal "${ex.signal}"`);
      }
    }
  }
}
