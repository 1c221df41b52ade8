// The `cni-doctor watch` terminal UI. It renders the store's model and nothing else: no diagnosis is
// computed here. It re-renders only when the store's version changes, a key is pressed or the
// terminal is resized — no timers (ages come from the model's `now`, which the store ticks slowly).
// Everything is laid out to the terminal's size and kept one row short of its height, so Ink never
// falls back to clearing the whole screen (which flickers).
import { Box, useInput, useStdout, type Key } from 'ink';
import { useCallback, useEffect, useLayoutEffect, useMemo, useRef, useState, useSyncExternalStore, type ReactNode } from 'react';
import type { Diagnosis } from '../engine/diagnose.js';
import type { LiveModel, LiveStore } from '../present/live-model.js';
import { Detail, detailRows, maxScroll } from './Detail.js';
import { DiagnosisList } from './DiagnosisList.js';
import { EmptyState } from './EmptyState.js';
import { Footer } from './Footer.js';
import { Header, headerHeight } from './Header.js';
import { HelpOverlay } from './HelpOverlay.js';
import { Line, seg, type Row } from './Line.js';
import { colorFromEnv } from '../present/format.js';
import { INITIAL_UI, onInput, selectedIndex, type KeyContext, type UiState } from './keys.js';
import { strWidth } from '../present/text.js';

export interface AppProps {
  store: LiveStore;
  onQuit: () => void;
  /** ring the terminal bell once when a critical diagnosis first appears */
  bell?: boolean;
  /** force colour on or off; by default on unless NO_COLOR is set */
  color?: boolean;
}

export const BEL = '\u0007';

/** The store's model, re-read only when its `version` moves: a notify without a change renders nothing. */
export function useLiveModel(store: LiveStore): LiveModel {
  const cache = useRef<{ store: LiveStore; model: LiveModel } | null>(null);
  const subscribe = useCallback((onChange: () => void) => store.subscribe(onChange), [store]);
  const getSnapshot = useCallback(() => {
    const m = store.getSnapshot();
    const c = cache.current;
    if (c && c.store === store && c.model.version === m.version) return c.model;
    cache.current = { store, model: m };
    return m;
  }, [store]);
  return useSyncExternalStore(subscribe, getSnapshot, getSnapshot);
}

/** Terminal columns and rows, following resize events. */
export function useTerminalSize(): { columns: number; rows: number } {
  const { stdout } = useStdout();
  const [size, setSize] = useState(() => ({ columns: stdout.columns || 80, rows: stdout.rows || 24 }));
  const current = useRef(size);
  useEffect(() => {
    const onResize = (): void => {
      const next = { columns: stdout.columns || 80, rows: stdout.rows || 24 };
      // No state update (and so no render) unless the size really changed.
      if (next.columns === current.current.columns && next.rows === current.current.rows) return;
      current.current = next;
      setSize(next);
    };
    stdout.on('resize', onResize);
    onResize();
    return () => {
      stdout.off('resize', onResize);
    };
  }, [stdout]);
  return size;
}

/** Writes BEL once for each critical diagnosis id the first time it appears. */
export function useBell(diagnoses: Diagnosis[], enabled: boolean): void {
  const { stdout } = useStdout();
  const announced = useRef(new Set<string>());
  useEffect(() => {
    let fresh = false;
    for (const d of diagnoses) {
      if (d.severity !== 'critical' || announced.current.has(d.id)) continue;
      announced.current.add(d.id);
      fresh = true;
    }
    // Straight to the stream: BEL moves no cursor, so Ink's output needs no redraw.
    if (fresh && enabled) stdout.write(BEL);
  }, [diagnoses, enabled, stdout]);
}

function ruleRow(left: string, right: string, width: number): Row {
  const r = right ? ` ${right} ─` : '';
  const l = left ? ` ${left} ` : '';
  const fill = width - 1 - strWidth(l) - strWidth(r);
  if (fill < 1) return [seg('─'.repeat(Math.max(0, width)), { dim: true })];
  return [seg('─', { dim: true }), seg(l, { bold: true }), seg('─'.repeat(fill) + r, { dim: true })];
}

export function App({ store, onQuit, bell = false, color }: AppProps): ReactNode {
  const model = useLiveModel(store);
  const { columns, rows } = useTerminalSize();
  const colorOn = useMemo(() => color ?? colorFromEnv(), [color]);
  const [ui, setUi] = useState<UiState>(INITIAL_UI);
  useBell(model.diagnoses, bell);

  const ds = model.diagnoses;
  const index = selectedIndex(ui.sel, ds.map((d) => d.id));
  const selected: Diagnosis | undefined = ds[index];
  const { expanded, evidence, help } = ui;

  // Layout: one row short of the terminal's height (see the note at the top).
  const width = Math.max(20, columns);
  const budget = Math.max(4, rows - 1);
  const compact = rows < 10;
  const headH = headerHeight(model, compact);
  const footH = 1;
  const body = Math.max(1, budget - headH - footH);
  // Reading one diagnosis (expanded or evidence) leaves the list a row or three; browsing gives it ~40%.
  const listCap = expanded || evidence ? (body < 14 ? 1 : 3) : Math.max(3, Math.floor(body * 0.4));
  const listH = Math.max(1, Math.min(ds.length, listCap, body - 3));
  const detailH = Math.max(0, body - listH - 1);

  // Only the day of "now" matters to the detail (a time on another day shows its date).
  const today = Number.isFinite(model.now) ? new Date(model.now).toISOString().slice(0, 10) : undefined;
  const detail = useMemo(
    () => (selected ? detailRows(selected, { width, expanded, evidence, height: detailH, today }) : []),
    [selected, width, expanded, evidence, detailH, today],
  );
  const maxS = maxScroll(detail.length, detailH);
  const shownScroll = Math.min(ui.scroll, maxS);

  // Keys act on the latest state even when they arrive faster than React commits (key repeat, paste):
  // the handler keeps its own current copy of the UI state and of what the last commit showed.
  const uiNow = useRef(ui);
  const shown = useRef<KeyContext>({ ids: [], detailHeight: 0, maxScroll: 0 });
  const quit = useRef(onQuit);
  useLayoutEffect(() => {
    shown.current = { ids: ds.map((d) => d.id), detailHeight: detailH, maxScroll: maxS };
    quit.current = onQuit;
  });
  useInput(
    useCallback(
      (input: string, key: Key) => {
        // One read may hold several keys ("jjjj" from key repeat or tmux send-keys): each one counts.
        const r = onInput(uiNow.current, input, key, shown.current);
        if (r.state !== uiNow.current) {
          uiNow.current = r.state;
          setUi(r.state);
        }
        for (const a of r.actions) {
          if (a === 'quit') quit.current();
          // Nothing more will be read once the input has ended: there is nothing to pause.
          else if (!store.getSnapshot().finished) store.setPaused(!store.getSnapshot().paused);
        }
      },
      [store],
    ),
  );

  const header = <Header {...model} width={width} compact={compact} color={colorOn} />;
  const footer = (
    <Footer
      width={width}
      expanded={expanded}
      evidence={evidence}
      paused={model.paused}
      help={help}
      scrollable={detail.length > detailH}
      hasDiagnoses={ds.length > 0}
      color={colorOn}
    />
  );

  let main: ReactNode;
  if (help) main = <HelpOverlay width={width} height={body} color={colorOn} />;
  else if (!ds.length) {
    main = (
      <EmptyState
        sources={model.sources}
        lines={model.lines}
        paused={model.paused}
        upFor={model.upFor}
        width={width}
        height={body}
        color={colorOn}
      />
    );
  } else {
    const view = evidence ? 'Evidence' : expanded ? 'Detail (full)' : 'Detail';
    const pos = ds.length > listH ? `${index + 1}/${ds.length}` : '';
    main = (
      <>
        <DiagnosisList diagnoses={ds} selected={index} rows={listH} width={width} now={model.now} color={colorOn} />
        {detailH > 0 ? <Line row={ruleRow(width >= 40 ? view : '', pos, width)} color={colorOn} /> : null}
        <Detail rows={detail} height={detailH} scroll={shownScroll} width={width} expanded={expanded || evidence} color={colorOn} />
      </>
    );
  }

  return (
    <Box flexDirection="column" width={width}>
      {header}
      <Box flexDirection="column" height={body} overflow="hidden">
        {main}
      </Box>
      {footer}
    </Box>
  );
}
