// Kernel and package versions compared by their numeric parts: `6.8.0-57-generic` → [6, 8, 0, 57].
// A bound compares only as many parts as it has, so `6.11.5` covers `6.11.5-200.fc40`.

export function versionParts(v: string): number[] {
  return (v.match(/\d+/g) ?? []).map(Number);
}

function cmpPrefix(v: number[], bound: number[]): number {
  for (let i = 0; i < bound.length; i++) {
    const a = v[i] ?? 0;
    if (a !== bound[i]) return a < bound[i] ? -1 : 1;
  }
  return 0;
}

/** `"6.8.0-56 - 6.8.0-57"` (inclusive) or `"6.8.0-1025"` (that version and its flavours). */
export function versionInRange(version: string, range: string): boolean {
  const v = versionParts(version);
  if (!v.length) return false;
  const [lo, hi] = range.includes(' - ') ? range.split(' - ') : [range, range];
  return cmpPrefix(v, versionParts(lo)) >= 0 && cmpPrefix(v, versionParts(hi)) <= 0;
}
