// `patterns lint`: what loading cannot catch. Every regex must be RE2 syntax (so NPD, Loki and Vector
// can run it unchanged) and free of backtracking-prone shapes; literals must be real; references URLs.
import { RE2JS } from 're2js';
import { isSafePattern } from 'redos-detector';
import type { Catalog } from './load.js';
import { runExamples } from './examples.js';

export interface LintIssue { file: string; id: string; problem: string }

/** JS named groups `(?<n>…)` in Go/RE2 spelling `(?P<n>…)`. */
export function toRe2Syntax(src: string): string {
  return src.replace(/\(\?<([A-Za-z_][A-Za-z0-9_]*)>/g, '(?P<$1>');
}

/** JavaScript constructs RE2 lacks, named as a pattern author knows them: re2js reports a lookbehind
 *  as an "invalid named capture", which sends the author looking in the wrong place. */
const NOT_IN_RE2: [RegExp, string][] = [
  [/\(\?<[=!]/, 'lookbehind (?<= or (?<! is not in RE2: match the text before it instead, or move the condition into a second signal'],
  [/\(\?[=!]/, 'lookahead (?= or (?! is not in RE2: match the text after it instead, or use a negative example to check the near miss'],
  [/\\[1-9]|\\k</, 'backreferences (\\1, \\k<name>) are not in RE2: spell the repeated text out'],
];

export function re2Problem(src: string, ignoreCase = false): string | undefined {
  try {
    RE2JS.compile(toRe2Syntax(src), ignoreCase ? RE2JS.CASE_INSENSITIVE : 0);
    return undefined;
  } catch (e) {
    // Only once RE2 has refused: a `(?=` inside a character class is legal and must not be blamed.
    const known = NOT_IN_RE2.find(([re]) => re.test(src));
    return `not RE2 syntax: ${known ? known[1] : (e as Error).message}`;
  }
}

export function backtrackingProblem(src: string): string | undefined {
  // Judge the expression itself (anchored), with group names removed (the checker's parser lacks them).
  const plain = src.replace(/\(\?<[A-Za-z_][A-Za-z0-9_]*>/g, '(');
  try {
    // Bounded by steps, not time, so the verdict is the same on a loaded CI machine.
    const r = isSafePattern(`^(?:${plain})`, { maxSteps: 20000 });
    if (r.safe) return undefined;
    return r.error === 'hitMaxSteps'
      ? 'too complex to prove free of catastrophic backtracking: simplify it'
      : 'backtracking-prone shape (nested or adjacent overlapping quantifiers): the same text can be matched many ways';
  } catch (e) {
    return `cannot check for backtracking: ${(e as Error).message.split('\n')[0]}`;
  }
}

interface CatalogRegex { file: string; id: string; src: string; literal: string; ignoreCase?: boolean; line?: number }

/** Every regex the catalog runs, named by file, signal or rule, and line where it is known. */
function catalogRegexes(cat: Catalog): CatalogRegex[] {
  const regexes: CatalogRegex[] = [];
  for (const p of cat.patterns) {
    for (const s of p.signals) {
      const line = p.signalLines[s.name] || undefined;
      regexes.push({ file: p.file, id: `${p.id}/${s.name}`, src: s.regex, literal: s.literal, ignoreCase: s.ignoreCase, line });
      for (const [k, re] of Object.entries(s.also ?? {})) regexes.push({ file: p.file, id: `${p.id}/${s.name}.also.${k}`, src: re, literal: '', line });
    }
  }
  for (const r of cat.facts) {
    regexes.push({ file: r.file, id: `fact ${r.fact}`, src: r.regex, literal: r.literal ?? '', ignoreCase: r.ignoreCase });
    for (const [i, re] of (r.redact ?? []).entries()) regexes.push({ file: r.file, id: `fact ${r.fact} redact ${i + 1}`, src: re, literal: '' });
  }
  for (const r of cat.timeline) regexes.push({ file: r.file, id: `timeline ${r.kind}`, src: r.regex, literal: r.literal });
  for (const r of cat.pods) regexes.push({ file: r.file, id: `pods ${r.kind}`, src: r.regex, literal: r.literal ?? '' });
  return regexes;
}

/** The first regex of these files that is not RE2 or may backtrack catastrophically: run before a
 *  user's pattern directory is used, since one such regex can hang a scan (V8 backtracks). */
export function unsafeRegex(cat: Catalog, inFile: (file: string) => boolean): (CatalogRegex & { problem: string }) | undefined {
  for (const r of catalogRegexes(cat)) {
    if (!inFile(r.file)) continue;
    const problem = re2Problem(r.src, r.ignoreCase) ?? backtrackingProblem(r.src);
    if (problem) return { ...r, problem };
  }
  return undefined;
}

export function lintCatalog(cat: Catalog): { issues: LintIssue[]; examples: ReturnType<typeof runExamples> } {
  const issues: LintIssue[] = [];
  const add = (file: string, id: string, problem: string): void => { issues.push({ file, id, problem }); };
  const regexes = catalogRegexes(cat);
  for (const p of cat.patterns) {
    for (const r of p.references) {
      let ok = false;
      try { ok = ['https:', 'http:'].includes(new URL(r).protocol); } catch { ok = false; }
      if (!ok) add(p.file, p.id, `reference is not a URL: ${r}`);
    }
    if (p.kind === 'symptom' && !p.nextSteps) add(p.file, p.id, 'a symptom must say in nextSteps what to read when no cause is found');
    if (p.examples.positive.length < 3) add(p.file, p.id, `only ${p.examples.positive.length} positive examples (3 or more, in 2 or more wrappers)`);
    if (new Set(p.examples.positive.map((e) => e.format)).size < 2) add(p.file, p.id, 'positive examples in only one wrapper format (2 or more)');
    if (p.examples.negative.length < 2) add(p.file, p.id, `only ${p.examples.negative.length} near-miss negatives (2 or more)`);
    // The literal prefilter drops a line that holds none of the signals' literals before any regex
    // or condition sees it: such a negative passes whatever the regexes say, so it tests nothing.
    const literals = [...new Set(p.signals.map((s) => s.literal))];
    p.examples.negative.forEach((ex, i) => {
      if (!literals.some((l) => ex.text.includes(l))) {
        add(p.file, p.id, `negative example ${i + 1} (${ex.format}) contains none of the signals' literals (${literals.map((l) => JSON.stringify(l)).join(', ')}): the prefilter drops it before any regex or condition runs, so it cannot exercise them — make it a near miss that carries a literal`);
      }
    });
  }
  for (const r of regexes) {
    const re2 = re2Problem(r.src, r.ignoreCase);
    if (re2) add(r.file, r.id, re2);
    const bt = backtrackingProblem(r.src);
    if (bt) add(r.file, r.id, bt);
    if (r.literal && Buffer.byteLength(r.literal) < 5) add(r.file, r.id, `literal "${r.literal}" is shorter than 5 bytes`);
    if (r.literal && r.literal.trim() !== r.literal) add(r.file, r.id, `literal "${r.literal}" starts or ends with white space (journal output may expand or trim it)`);
  }
  const examples = runExamples(cat);
  for (const f of examples.failures) add(f.file, f.id, f.what);
  return { issues, examples };
}
