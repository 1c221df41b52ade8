// The grep/rg side of the comparison: the catalog's regexes that analyze may run on a plain log,
// translated from JS syntax to POSIX ERE (which GNU grep -E and ripgrep both accept).
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Catalog } from '../src/catalog/load.js';

export interface SourceRegex { source: string; regex: string; ignoreCase?: boolean }
export interface Translated { source: string; regex: string; ere: string; rust: string }
export interface Skipped { source: string; regex: string; reason: string }

export type Dialect = 'posix' | 'rust';

/** Translate a JS (RE2-subset) regex to POSIX ERE for GNU grep -E (`posix`) or to the syntax of
 *  ripgrep 13's regex crate (`rust`: no `(?<name>`, no escapes of ordinary characters), or say why not. */
export function translate(re: string, dialect: Dialect): { out: string } | { reason: string } {
  let out = '';
  for (let i = 0; i < re.length; i++) {
    const c = re[i];
    if (c === '\\') {
      const n = re[++i];
      if (n === undefined) return { reason: 'trailing backslash' };
      switch (n) {
        case 'd': out += '[0-9]'; break;
        case 'D': out += '[^0-9]'; break;
        case 's': out += '[[:space:]]'; break;
        case 'S': out += '[^[:space:]]'; break;
        case 'w': out += '[[:alnum:]_]'; break;
        case 'W': out += '[^[:alnum:]_]'; break;
        case 'b': out += '\\b'; break; // GNU grep and ripgrep both know \b
        case 't': out += '\t'; break;
        case 'n': case 'r': return { reason: 'matches across lines (\\n): grep and rg -c are line-based' };
        case 'B': case 'k': case 'p': case 'P': case 'u': case 'x': case 'c': case '0': return { reason: `\\${n} has no ERE form` };
        default:
          if (/[1-9]/.test(n)) return { reason: 'backreference' };
          // Metacharacters stay escaped; other escapes become the plain character (GNU grep ≥ 3.8
          // warns on a stray \, and ripgrep 13 rejects escapes of ordinary characters).
          out += '.[]{}()*+?|^$\\'.includes(n) ? `\\${n}` : n;
      }
      continue;
    }
    if (c === '[') {
      const cls = bracket(re, i, dialect);
      if ('reason' in cls) return cls;
      out += cls.out;
      i = cls.end;
      continue;
    }
    if (c === '(' && re[i + 1] === '?') {
      if (re[i + 2] === ':') { out += '('; i += 2; continue; }
      if (re[i + 2] === '<' && re[i + 3] !== '=' && re[i + 3] !== '!') {
        const close = re.indexOf('>', i);
        if (close === -1) return { reason: 'bad named group' };
        out += '(';
        i = close;
        continue;
      }
      return { reason: 'lookaround or inline flags' };
    }
    // Lazy quantifiers: ERE has none; match/no-match is the same without the `?`.
    if (c === '?' && i > 0 && '*+?}'.includes(re[i - 1]) && re[i - 2] !== '\\') continue;
    out += c;
  }
  return { out };
}

/** A character class starting at re[start] === '['. */
function bracket(re: string, start: number, dialect: Dialect): { out: string; end: number } | { reason: string } {
  let i = start + 1;
  let neg = false;
  if (re[i] === '^') { neg = true; i++; }
  const items: string[] = [];
  let rbracket = false;
  let dash = false;
  let backslash = false;
  let first = true;
  for (; i < re.length; i++, first = false) {
    const c = re[i];
    if (c === ']' && !first) break;
    if (c === ']') { rbracket = true; continue; }
    if (c === '[' && re[i + 1] === ':') return { reason: 'POSIX class in JS source' };
    if (c === '\\') {
      const n = re[++i];
      if (n === 'd') items.push('0-9');
      else if (n === 's') items.push('[:space:]');
      else if (n === 'w') items.push('[:alnum:]_');
      else if (n === 't') items.push('\t');
      else if (n === 'n' || n === 'r') { /* a line never holds a newline: drop it */ }
      else if (n === ']') rbracket = true;
      else if (n === '\\') backslash = true;
      else if (n === '-') dash = true;
      else if ('SDWbB'.includes(n)) return { reason: `\\${n} inside a character class` };
      else if (n === '^' || n === '[') items.push(dialect === 'rust' ? `\\${n}` : n === '^' ? '' : '[');
      else items.push(n);
      if (n === '^' && dialect === 'posix') items.push('^'); // not first: literal in POSIX
      continue;
    }
    if (c === '-' && (re[i + 1] === ']' || first)) { dash = true; continue; }
    items.push(c);
  }
  if (i >= re.length) return { reason: 'unterminated class' };
  let body = items.join('');
  if (!body && !rbracket && !dash && !backslash) {
    // `[^\n]`: any character of a line. `[\n]`: nothing a line can hold.
    return neg ? { out: '.', end: i } : { reason: 'class of newlines only' };
  }
  if (dialect === 'posix') {
    // POSIX: `]` first, `-` last, backslash is literal inside brackets.
    body = `${rbracket ? ']' : ''}${body}${backslash ? '\\' : ''}${dash ? '-' : ''}`;
  } else {
    body = `${rbracket ? '\\]' : ''}${body}${backslash ? '\\\\' : ''}${dash ? '\\-' : ''}`;
  }
  return { out: `[${neg ? '^' : ''}${body}]`, end: i };
}

/** Every regex analyze can run on a plain log file: pattern signals, unbound fact and timeline rules, stream markers. */
export function catalogRegexes(cat: Catalog, markers: { name: string; regex: string }[] = []): { regexes: SourceRegex[]; notCounted: string[] } {
  const regexes: SourceRegex[] = [];
  const notCounted: string[] = [];
  for (const p of cat.patterns) {
    for (const s of p.signals) {
      regexes.push({ source: `${p.id}/${s.name}`, regex: s.regex, ignoreCase: s.ignoreCase });
      for (const k of Object.keys(s.also ?? {})) notCounted.push(`${p.id}/${s.name}.also.${k} (runs only after a match)`);
    }
  }
  for (const f of cat.facts) {
    if (f.files?.length) { notCounted.push(`fact ${f.fact} (bound to ${f.files.join(', ')})`); continue; }
    regexes.push({ source: `fact ${f.fact}`, regex: f.regex, ignoreCase: f.ignoreCase });
  }
  for (const t of cat.timeline) {
    if (t.files?.length) { notCounted.push(`timeline ${t.kind} (bound to files)`); continue; }
    regexes.push({ source: `timeline ${t.kind}`, regex: t.regex });
  }
  for (const m of markers) regexes.push({ source: `marker ${m.name}`, regex: m.regex });
  return { regexes, notCounted };
}

export function translateAll(regexes: SourceRegex[]): { translated: Translated[]; skipped: Skipped[] } {
  const translated: Translated[] = [];
  const skipped: Skipped[] = [];
  const seen = new Set<string>();
  for (const r of regexes) {
    if (r.ignoreCase) { skipped.push({ ...r, reason: 'case-insensitive (grep -i is all-or-nothing)' }); continue; }
    const p = translate(r.regex, 'posix');
    const u = translate(r.regex, 'rust');
    if ('reason' in p || 'reason' in u) { skipped.push({ ...r, reason: 'reason' in p ? p.reason : (u as { reason: string }).reason }); continue; }
    if (seen.has(p.out)) continue; // the same regex twice (a fact and a timeline rule) is one pattern for grep
    seen.add(p.out);
    translated.push({ source: r.source, regex: r.regex, ere: p.out, rust: u.out });
  }
  return { translated, skipped };
}

export function writePatternFiles(dir: string, t: Translated[]): { grep: string; rg: string } {
  const grep = path.join(dir, 'patterns.txt');
  const rg = path.join(dir, 'patterns.rg.txt');
  writeFileSync(grep, t.map((x) => x.ere).join('\n') + '\n');
  writeFileSync(rg, t.map((x) => x.rust).join('\n') + '\n');
  return { grep, rg };
}
