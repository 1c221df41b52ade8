// Translation of catalog regexes (JavaScript syntax, no `u` flag, RE2-compatible by lint) into Go
// RE2 syntax, for the exporters (node-problem-detector, Loki). The translation keeps the JavaScript
// meaning of every construct it emits, and refuses — loudly — what it cannot express in Go:
// lookaround, backreferences, surrogate pairs. Compiled with re2js (a port of Go's regexp) to prove
// that Go will accept the result. See shared/reference/fleet-formats.md §2.
import { RE2JS } from 're2js';

export class TranslateError extends Error {}

/** Everything an export could not translate; the message names every pattern file and signal. */
export class ExportError extends Error {
  constructor(readonly problems: string[]) {
    super(problems.length === 1 ? problems[0] : `${problems.length} problems:\n  ${problems.join('\n  ')}`);
  }
}

export interface TranslateOptions {
  /** named groups: keep as `(?P<name>…)` (NPD), or drop all captures to `(?:…)` (Loki, where
   *  several signals share one alternation and Go rejects duplicate group names) */
  groups: 'keep' | 'drop';
  /** `^` → `(?m:^)`: NPD searches a buffer of several messages joined by `\n`, where a bare `^`
   *  means the start of the buffer, not of the message */
  caretIsLineStart: boolean;
}

const ALL_RUNES = '\\x00-\\x{10FFFF}';
const isHex = (s: string): boolean => /^[0-9A-Fa-f]+$/.test(s);
const isAsciiAlnum = (c: string): boolean => /^[A-Za-z0-9]$/.test(c);

/** One escape sequence at src[i] (a backslash). Returns the Go text and how many chars it used. */
function escape(src: string, i: number, inClass: boolean): [string, number] {
  const c = src[i + 1];
  if (c === undefined) throw new TranslateError('trailing backslash');
  if ('dDwWsS'.includes(c)) return [`\\${c}`, 2];
  if ('fnrtv'.includes(c)) return [`\\${c}`, 2];
  if (c === 'b') return [inClass ? '\\x08' : '\\b', 2];
  if (c === 'B') return [inClass ? 'B' : '\\B', 2];
  if (c === '0' && !/[0-9]/.test(src[i + 2] ?? '')) return ['\\x00', 2];
  if (/[0-9]/.test(c)) throw new TranslateError(`backreference or octal escape \\${c} (not in RE2)`);
  if (c === 'k' && src[i + 2] === '<') throw new TranslateError('named backreference \\k<…> (not in RE2)');
  if (c === 'x') {
    const h = src.slice(i + 2, i + 4);
    return h.length === 2 && isHex(h) ? [`\\x${h}`, 4] : ['x', 2];
  }
  if (c === 'u') {
    const h = src.slice(i + 2, i + 6);
    if (h.length === 4 && isHex(h)) {
      const cp = parseInt(h, 16);
      if (cp >= 0xd800 && cp <= 0xdfff) throw new TranslateError(`UTF-16 surrogate \\u${h} (Go matches code points: write the character itself)`);
      return [`\\x{${h}}`, 6];
    }
    return ['u', 2];
  }
  if (c === 'c') {
    const l = src[i + 2] ?? '';
    if (/^[A-Za-z]$/.test(l)) return [`\\x{${(l.charCodeAt(0) % 32).toString(16).padStart(2, '0')}}`, 3];
    throw new TranslateError('\\c without a control letter');
  }
  // Without the `u` flag every other letter after a backslash is the letter itself in JavaScript
  // (\p is "p", \z is "z", \A is "A"), while Go gives many of them a meaning or rejects them.
  if (/^[A-Za-z]$/.test(c)) return [c, 2];
  // Punctuation: Go accepts a backslash before any ASCII non-word character.
  if (c.charCodeAt(0) < 0x80 && !isAsciiAlnum(c)) return [`\\${c}`, 2];
  // Any other character escaped is itself (a surrogate pair counts as one character here).
  const cp = src.codePointAt(i + 1)!;
  return [String.fromCodePoint(cp), cp > 0xffff ? 3 : 2];
}

/** A character class at src[i] (`[`). */
function charClass(src: string, i: number): [string, number] {
  let j = i + 1;
  let out = '[';
  if (src[j] === '^') { out += '^'; j++; }
  if (src[j] === ']') {
    // JS `[]` matches nothing and `[^]` anything; in Go a leading `]` is a literal.
    return [out === '[^' ? `[${ALL_RUNES}]` : `[^${ALL_RUNES}]`, j + 1 - i];
  }
  for (;;) {
    const c = src[j];
    if (c === undefined) throw new TranslateError('unterminated character class');
    if (c === ']') return [out + ']', j + 1 - i];
    if (c === '\\') {
      const [t, n] = escape(src, j, true);
      out += t;
      j += n;
      continue;
    }
    // `[` is a literal inside a JS class; in Go `[:alpha:]` would be a POSIX class.
    out += c === '[' ? '\\[' : c;
    j++;
  }
}

/** Translate one catalog regex body (no flags) into Go RE2 syntax. Throws TranslateError. */
export function translateRegex(src: string, opts: TranslateOptions): string {
  let out = '';
  let i = 0;
  while (i < src.length) {
    const c = src[i];
    if (c === '\\') {
      const [t, n] = escape(src, i, false);
      out += t;
      i += n;
    } else if (c === '[') {
      const [t, n] = charClass(src, i);
      out += t;
      i += n;
    } else if (c === '(') {
      if (src[i + 1] !== '?') {
        out += opts.groups === 'drop' ? '(?:' : '(';
        i += 1;
        continue;
      }
      const named = /^\(\?<([A-Za-z_][A-Za-z0-9_]*)>/.exec(src.slice(i));
      if (named) {
        out += opts.groups === 'drop' ? '(?:' : `(?P<${named[1]}>`;
        i += named[0].length;
      } else if (src.startsWith('(?:', i)) {
        out += '(?:';
        i += 3;
      } else if (src.startsWith('(?=', i) || src.startsWith('(?!', i)) {
        throw new TranslateError('lookahead (?= or (?! (not in RE2)');
      } else if (src.startsWith('(?<=', i) || src.startsWith('(?<!', i)) {
        throw new TranslateError('lookbehind (?<= or (?<! (not in RE2)');
      } else {
        throw new TranslateError(`unsupported group syntax ${src.slice(i, i + 4)}…`);
      }
    } else if (c === '^') {
      out += opts.caretIsLineStart ? '(?m:^)' : '^';
      i++;
    } else {
      // Surrogate pairs pass through as one character; `.`, `$`, quantifiers and `|` mean the same.
      const cp = src.codePointAt(i)!;
      out += String.fromCodePoint(cp);
      i += cp > 0xffff ? 2 : 1;
    }
  }
  return out;
}

/** Compile with re2js, the port of Go's regexp: Go accepts what this accepts. Returns the problem. */
export function goCompileProblem(goRegex: string): string | undefined {
  try {
    RE2JS.compile(goRegex);
    return undefined;
  } catch (e) {
    return (e as Error).message;
  }
}

/** The NPD rule pattern of one signal: NPD compiles `pattern + "\z"` and searches it in the last
 *  `bufferSize` messages joined by `\n` — free start, fixed end. `.*(?:…).*` lets the signature sit
 *  anywhere in the newest message (Go's `.` stops at `\n`) and keeps a top-level `a|b` whole. */
export function npdPattern(regex: string, ignoreCase: boolean | undefined): string {
  const body = translateRegex(regex, { groups: 'keep', caretIsLineStart: true });
  const p = `${ignoreCase ? '(?i)' : ''}.*(?:${body}).*`;
  const problem = goCompileProblem(p + '\\z');
  if (problem) throw new TranslateError(`Go/RE2 rejects the translation ${JSON.stringify(p)}: ${problem}`);
  return p;
}

/** The LogQL line-filter regex (`|~`, unanchored, one log line) for one or more signals. */
export function lokiRegex(signals: { regex: string; ignoreCase?: boolean }[]): string {
  const parts = signals.map((s) => {
    const body = translateRegex(s.regex, { groups: 'drop', caretIsLineStart: false });
    return signals.length === 1 && !s.ignoreCase ? body : `(?${s.ignoreCase ? 'i' : ''}:${body})`;
  });
  const re = parts.join('|');
  const problem = goCompileProblem(re);
  if (problem) throw new TranslateError(`Go/RE2 rejects the translation ${JSON.stringify(re)}: ${problem}`);
  return re;
}

/** Go's `regexp` search of `pattern + "\z"` over NPD's buffer (what log_buffer.go does). */
export function npdBufferMatches(pattern: string, buffer: string): boolean {
  return RE2JS.compile(pattern + '\\z').matcher(buffer).find();
}

/** NPD's buffer after each of `messages` arrives: the last `size` messages joined by `\n`,
 *  unfilled slots empty (log_buffer.go String()). */
export function npdBuffers(messages: string[], size: number): string[] {
  const out: string[] = [];
  const ring: string[] = Array(size).fill('');
  messages.forEach((m) => {
    ring.shift();
    ring.push(m.trim());
    out.push(ring.join('\n'));
  });
  return out;
}
