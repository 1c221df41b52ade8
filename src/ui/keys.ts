// What a key does to the UI's own state (selection, views, scroll), as a pure function. Quitting and
// pausing are actions for the caller; everything else is a new state.
import type { Key } from 'ink';

export interface UiState {
  /** the selected diagnosis, by id (so it survives re-ranking), with its last index as a fallback */
  sel: { id?: string; index: number };
  expanded: boolean;
  evidence: boolean;
  help: boolean;
  scroll: number;
}

export const INITIAL_UI: UiState = { sel: { index: 0 }, expanded: false, evidence: false, help: false, scroll: 0 };

export interface KeyContext {
  ids: string[];
  /** rows the detail has on screen, and the largest useful scroll offset */
  detailHeight: number;
  maxScroll: number;
}

export type KeyResult = { type: 'quit' } | { type: 'pause' } | { type: 'state'; state: UiState } | { type: 'none' };

export function selectedIndex(sel: UiState['sel'], ids: string[]): number {
  const byId = sel.id !== undefined ? ids.indexOf(sel.id) : -1;
  return byId >= 0 ? byId : Math.max(0, Math.min(sel.index, ids.length - 1));
}

export function onKey(s: UiState, input: string, key: Partial<Key>, ctx: KeyContext): KeyResult {
  if (input === 'q' || (key.ctrl && input === 'c')) return { type: 'quit' };
  // While the help is open, any other key only closes it.
  if (s.help) return { type: 'state', state: { ...s, help: false } };
  if (input === '?') return { type: 'state', state: { ...s, help: true } };
  if (input === 'p') return { type: 'pause' };
  if (!ctx.ids.length) return { type: 'none' };
  const index = selectedIndex(s.sel, ctx.ids);
  const move = (to: number): KeyResult => {
    const i = Math.max(0, Math.min(ctx.ids.length - 1, to));
    return i === index ? { type: 'none' } : { type: 'state', state: { ...s, sel: { id: ctx.ids[i], index: i }, scroll: 0 } };
  };
  if (key.downArrow || input === 'j') return move(index + 1);
  if (key.upArrow || input === 'k') return move(index - 1);
  if (key.home || input === 'g') return move(0);
  if (key.end || input === 'G') return move(ctx.ids.length - 1);
  if (key.return) return { type: 'state', state: { ...s, expanded: !s.expanded, scroll: 0 } };
  if (input === 'e') return { type: 'state', state: { ...s, evidence: !s.evidence, scroll: 0 } };
  const page = Math.max(1, ctx.detailHeight - 2);
  const at = Math.min(s.scroll, ctx.maxScroll);
  let to: number | undefined;
  if (key.pageDown || input === ' ') to = Math.min(ctx.maxScroll, at + page);
  else if (key.pageUp || input === 'b') to = Math.max(0, at - page);
  return to === undefined || to === s.scroll ? { type: 'none' } : { type: 'state', state: { ...s, scroll: to } };
}

export interface InputResult {
  state: UiState;
  /** what the caller does, in order */
  actions: ('quit' | 'pause')[];
}

/** Everything one read from the terminal holds: a fast typist, key repeat or tmux send-keys deliver
 *  several characters in one input ("jjjj"), each a key of its own. A quit ends the sequence. */
export function onInput(s: UiState, input: string, key: Partial<Key>, ctx: KeyContext): InputResult {
  const special = Object.entries(key).some(([k, v]) => v === true && k !== 'shift');
  const keys = !special && [...input].length > 1 ? [...input] : [input];
  const actions: InputResult['actions'] = [];
  let state = s;
  for (const ch of keys) {
    const r = onKey(state, ch, key, ctx);
    if (r.type === 'state') state = r.state;
    else if (r.type === 'quit' || r.type === 'pause') actions.push(r.type);
    if (r.type === 'quit') break;
  }
  return { state, actions };
}
