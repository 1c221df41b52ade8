// Facts that change over time. A value read from a stamped line by a rule marked `timed: true`
// (a boot's "Linux version" line, felix's kernelVersion=) holds from that moment until the next
// timed value of the same fact: the kernel that ran when a failure happened is the one booted last
// before it, not the one a later boot (or the bundle's uname) shows. Kept per fact as a short
// history in time order, one entry per run of agreeing values; pure functions, the reducer calls
// them on copies.

/** `pod`: read from that pod's log (another node's, perhaps: diagnosis leaves those out) */
export interface TimedValue { value: string; time: number; source: string; line?: number; priority: number; pod?: string }

/** at most this many changes per fact: the oldest go first (logs mostly run forward) */
export const MAX_TIMED = 64;

/** `6.8.0-57` (felix) and `6.8.0-57-generic` (a boot line) are one kernel: one is the other without its flavour. */
export function agree(a: string, b: string): boolean {
  return a === b || a.startsWith(`${b}-`) || b.startsWith(`${a}-`);
}

/** The history with `v` in it: a new list, or `list` itself when `v` changes nothing (the value was
 *  already in effect then). An agreeing value just after `v` is a later sighting of the same run
 *  and gives way to it. */
export function timedAdd(list: readonly TimedValue[] | undefined, v: TimedValue): readonly TimedValue[] {
  const l = list ?? [];
  let i = l.length;
  while (i > 0 && l[i - 1].time > v.time) i--;
  if (i > 0 && agree(l[i - 1].value, v.value)) return l;
  const out = [...l];
  if (i < out.length && agree(out[i].value, v.value)) out[i] = v;
  else out.splice(i, 0, v);
  if (out.length > MAX_TIMED) out.shift();
  return out;
}

/** The value in effect at `at`: the latest one at or before it. */
export function valueAt(list: readonly TimedValue[] | undefined, at: number): TimedValue | undefined {
  if (!list) return undefined;
  for (let i = list.length - 1; i >= 0; i--) if (list[i].time <= at) return list[i];
  return undefined;
}
