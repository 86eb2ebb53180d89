/**
 * The blessed dashboard: places the view model's lines in panels, polls its source on a timer,
 * and owns the terminal while it runs.
 *
 * - Never blocks the event loop: snapshots are awaited (never overlapped — the next poll is
 *   scheduled only after the previous one settles), log lines are buffered, and the screen is
 *   redrawn at most every `renderIntervalMs` with only the panels whose text changed.
 * - Always gives the terminal back: `screen.destroy()` on `q`, on stop(), on SIGINT/SIGTERM and on
 *   an uncaught exception (via `uncaughtExceptionMonitor`, which leaves the process's crash
 *   behaviour as it was).
 */
import type blessed from 'blessed';
import { ProgressTracker } from './progress.ts';
import { computeLayout, type Layout, type Rect } from './layout.ts';
import { BORDER, BORDER_FOCUS, FOCUS_ORDER, bindPageKeys, createWidgets, openScreen, placeWidgets, screenText, type Panel } from './dashboard-widgets.ts';
import { formatLogChunk } from './log-format.ts';
import { cycleLines, footerLine, headerLines, historyLines, minerDetailLines, minerRows, scoreTable, weightsLines } from './view-model.ts';
import type { DashboardSnapshot, DashboardSource } from './types.ts';
import { systemClock, type Cancel, type Clock } from '../clock.ts';

export type StopReason = 'quit' | 'signal' | 'crash' | 'stop';

export interface DashboardOptions {
  source: DashboardSource;
  /** First word of the header (default "kinitro"). */
  title?: string;
  /** Milliseconds between the end of one snapshot and the start of the next (default 2000). */
  refreshMs?: number;
  /**
   * Called once when the operator presses `q` (or Ctrl-C), after the terminal has been restored.
   * `kinitro start` shuts the whole appliance down from here.
   */
  onQuit: () => void | Promise<void>;
  /** Terminal streams; default process.stdin / process.stdout. Tests pass PassThroughs. */
  input?: NodeJS.ReadableStream;
  output?: NodeJS.WritableStream;
  /** terminfo name (default $TERM). */
  terminal?: string;
  /** Restore the terminal on SIGINT/SIGTERM and uncaught exceptions (default true). */
  handleProcessEvents?: boolean;
  /** The one clock (src/clock.ts): render pacing, polls, "updated" times; tests inject a ManualClock. */
  clock?: Clock;
  /** Minimum time between two redraws (default 100 ms). */
  renderIntervalMs?: number;
  /** Log lines kept for the log pane (default 1000). */
  logScrollback?: number;
  /** Force unicode or ASCII drawing; default: what the terminal's locale says. */
  unicode?: boolean;
}

export interface Dashboard {
  /** Adds pino JSON lines (or any text) to the log pane; cheap, safe to call at any rate. */
  appendLog(line: string): void;
  /** Takes a snapshot now (or joins the one in flight) and redraws; resolves when drawn. */
  refresh(): Promise<void>;
  /** Restores the terminal and stops every timer. Idempotent; does not call onQuit. */
  stop(): void;
  /** Resolves when the dashboard has stopped, with why. */
  readonly stopped: Promise<StopReason>;
  /** The screen as plain text, one string per row (what the terminal shows). */
  screenText(): string[];
}

/** Log lines kept in the pane while it follows the tail. */
const LOG_TAIL = 200;

export function startDashboard(options: DashboardOptions): Dashboard {
  const source = options.source;
  const title = options.title ?? 'kinitro';
  const refreshMs = Math.max(100, options.refreshMs ?? 2000);
  const renderInterval = Math.max(0, options.renderIntervalMs ?? 100);
  const scrollback = Math.max(10, options.logScrollback ?? 1000);
  const clock = options.clock ?? systemClock;
  const handleProcess = options.handleProcessEvents ?? true;

  const { screen, glyphs } = openScreen({ input: options.input, output: options.output, terminal: options.terminal, title, unicode: options.unicode });
  const widgets = createWidgets(screen);
  const { header, cycle, tablePanel, tableHeader, tableList, weights, history, log, footer, detail, focusTargets, borders } = widgets;

  // ── state ──
  let snapshot: DashboardSnapshot | null = null;
  /** Rows the score table wants (it sizes the layout); 3 until the first snapshot. */
  let minerCount = 3;
  let updatedAt: number | null = null;
  let lastError: string | null = null;
  let lastWarnings = '';
  const tracker = new ProgressTracker();
  const logLines: string[] = [];
  let logDirty = false;
  let logFollow = true;
  let movingLog = false;
  let focus: Panel = 'table';
  let tableUids: number[] = [];
  let selectedUid: number | null = null;
  let detailUid: number | null = null;
  let layout: Layout | null = null;
  let stoppedFlag = false;
  let resolveStopped!: (r: StopReason) => void;
  const stopped = new Promise<StopReason>((r) => (resolveStopped = r));
  /** Last text given to each widget, so unchanged panels are not re-parsed. */
  const shown = new Map<blessed.Widgets.BlessedElement, string>();

  const setText = (el: blessed.Widgets.BlessedElement, text: string) => {
    if (shown.get(el) === text) return;
    shown.set(el, text);
    el.setContent(text);
  };

  function applyLayout(): void {
    const next = computeLayout(screen.width as number, screen.height as number, minerCount);
    if (layout && JSON.stringify(layout) === JSON.stringify(next)) return;
    layout = next;
    placeWidgets(widgets, next);
    // Widths changed: everything is re-rendered from the view model.
    shown.clear();
  }

  function paintFocus(): void {
    for (const p of FOCUS_ORDER) {
      const style = borders[p].style as { border: { fg: string } };
      style.border.fg = p === focus && detailUid === null ? BORDER_FOCUS : BORDER;
    }
  }

  // ── rendering ──
  let renderTimer: Cancel | null = null;
  let lastRender = 0;
  let tableMemo: { snapshot: DashboardSnapshot | null; width: number; view: ReturnType<typeof scoreTable> } | null = null;

  function renderNow(): void {
    if (renderTimer) {
      renderTimer();
      renderTimer = null;
    }
    if (stoppedFlag) return;
    lastRender = clock.now();
    applyLayout();
    const L = layout!;
    const now = clock.now();
    const inner = (r: Rect) => Math.max(1, r.width - 2);
    const base = { nowMs: now, glyphs };

    setText(header, headerLines(snapshot, { ...base, width: L.header.width, title }).join('\n'));
    const current = snapshot?.currentCycle ?? null;
    setText(cycle, cycleLines(snapshot, { ...base, width: inner(L.cycle), rate: current ? tracker.rate(current.id) : null }).join('\n'));

    // The table depends on the snapshot and the width only (no clock): rebuild it only when they change.
    const tableWidth = inner(L.table);
    if (!tableMemo || tableMemo.snapshot !== snapshot || tableMemo.width !== tableWidth) {
      tableMemo = { snapshot, width: tableWidth, view: scoreTable(snapshot, { ...base, width: tableWidth }) };
    }
    const table = tableMemo.view;
    tablePanel.setLabel(` ${table.caption} `);
    setText(tableHeader, table.header);
    const items = table.rows.length > 0 ? table.rows.map((r) => r.line) : [table.note ?? ''];
    const itemsText = items.join('\n');
    if (shown.get(tableList) !== itemsText) {
      shown.set(tableList, itemsText);
      tableUids = table.rows.map((r) => r.uid);
      tableList.setItems(items as unknown as blessed.Widgets.BlessedElement[]);
      const index = selectedUid === null ? -1 : tableUids.indexOf(selectedUid);
      tableList.select(Math.max(0, index));
    }

    setText(weights, weightsLines(snapshot, { ...base, width: inner(L.weights) }).join('\n'));
    setText(history, historyLines(snapshot, { ...base, width: inner(L.history) }).join('\n'));
    if (logDirty || !shown.has(log)) {
      logDirty = false;
      // Following the tail, the pane only needs its last screenfuls: parsing the whole
      // scrollback on every redraw would cost ~35 µs a line.
      if (logFollow) {
        // Programmatic scrolling must not look like the operator scrolling away.
        movingLog = true;
        log.resetScroll();
        setText(log, logLines.slice(-Math.max(LOG_TAIL, (log.height as number) * 2)).join('\n'));
        log.setScrollPerc(100);
        movingLog = false;
      } else setText(log, logLines.join('\n'));
    }
    if (detailUid !== null) {
      detail.setLabel(` miner ${detailUid} `);
      setText(detail, minerDetailLines(snapshot, detailUid, { ...base, width: inner(L.detail) - 1 }).join('\n'));
    }
    setText(
      footer,
      footerLine({ ...base, width: L.footer.width, updatedAt, error: lastError, detailOpen: detailUid !== null, warnings: snapshot?.warnings ?? [] }),
    );
    paintFocus();
    screen.render();
  }

  function scheduleRender(): void {
    if (stoppedFlag || renderTimer) return;
    const wait = Math.max(0, lastRender + renderInterval - clock.now());
    renderTimer = clock.setTimeout(renderNow, wait, { unref: true });
  }

  // ── polling ──
  let pollTimer: Cancel | null = null;
  let inFlight: Promise<void> | null = null;

  function poll(): Promise<void> {
    if (inFlight) return inFlight;
    if (pollTimer) {
      pollTimer();
      pollTimer = null;
    }
    inFlight = (async () => {
      try {
        // Always asynchronous, even for a source that throws synchronously.
        const snap = await Promise.resolve().then(() => source.snapshot());
        if (stoppedFlag) return;
        snapshot = snap;
        minerCount = Math.max(1, minerRows(snap).length);
        updatedAt = clock.now();
        if (lastError !== null) note(30, `connected again to ${source.label ?? snap.origin}`);
        lastError = null;
        const warned = snap.warnings.join('; ');
        if (warned && warned !== lastWarnings) note(40, `partial snapshot: ${warned}`);
        lastWarnings = warned;
        const c = snap.currentCycle;
        const st = snap.currentStats;
        if (c && st) tracker.observe(c.id, Date.parse(c.startedAt) || null, st.completed + st.failed, updatedAt);
      } catch (err) {
        const message = (err as Error)?.message ?? String(err);
        if (message !== lastError) note(40, `snapshot failed: ${message}`);
        lastError = message;
      } finally {
        inFlight = null;
        if (!stoppedFlag) {
          pollTimer = clock.setTimeout(() => void poll(), refreshMs, { unref: true });
          scheduleRender();
        }
      }
    })();
    return inFlight;
  }

  // ── details ──
  function openDetail(uid: number): void {
    detailUid = uid;
    shown.delete(detail);
    detail.setScroll(0);
    detail.show();
    detail.setFront();
    detail.focus();
    renderNow();
  }

  function closeDetail(): void {
    if (detailUid === null) return;
    detailUid = null;
    detail.hide();
    focusTargets[focus].focus();
    renderNow();
  }

  function setFocus(p: Panel): void {
    focus = p;
    focusTargets[p].focus();
    renderNow();
  }

  // ── keys ──
  screen.key(['q', 'C-c'], (_ch: string, key: { full: string }) => {
    if (key.full === 'q' && detailUid !== null) return; // the detail view's own handler closes it
    void quit();
  });
  screen.key(['tab'], () => {
    if (detailUid !== null) return;
    setFocus(FOCUS_ORDER[(FOCUS_ORDER.indexOf(focus) + 1) % FOCUS_ORDER.length]!);
  });
  screen.key(['S-tab'], () => {
    if (detailUid !== null) return;
    setFocus(FOCUS_ORDER[(FOCUS_ORDER.indexOf(focus) + FOCUS_ORDER.length - 1) % FOCUS_ORDER.length]!);
  });
  screen.key(['r'], () => void poll());
  detail.key(['escape', 'q', 'enter', 'backspace'], () => closeDetail());
  tableList.on('select item', (_item: unknown, index: number) => {
    if (tableUids[index] !== undefined) selectedUid = tableUids[index]!;
  });
  tableList.on('select', (_item: unknown, index: number) => {
    const uid = tableUids[index];
    if (uid !== undefined) openDetail(uid);
  });
  // Scrolling the log up pauses following; scrolling back to the end resumes it.
  log.on('scroll', () => {
    if (movingLog) return;
    const top = (log as unknown as { childBase: number }).childBase ?? 0;
    logFollow = top + (log.height as number) - 2 >= log.getScrollHeight();
  });
  bindPageKeys(widgets, () => tableUids.length);
  screen.on('keypress', (_ch: string, key: { name?: string }) => {
    if (focus === 'log' && detailUid === null && logFollow && (key.name === 'up' || key.name === 'pageup' || key.name === 'home')) {
      // Leaving the tail: put the whole scrollback under the view, at the bottom, before the
      // pane handles the key and scrolls up.
      movingLog = true;
      setText(log, logLines.join('\n'));
      log.setScrollPerc(100);
      movingLog = false;
      logFollow = false;
    }
    // Keys move focused widgets without a redraw of their own: draw after them.
    scheduleRender();
  });
  screen.on('resize', () => {
    layout = null;
    renderNow();
  });

  // ── terminal restore ──
  const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM'];
  const onSignal = (signal: NodeJS.Signals) => {
    stop('signal');
    // If nobody else handles this signal, keep its default meaning (terminate) now that the
    // terminal is restored.
    if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
  };
  const onCrash = () => stop('crash');
  const onExit = () => stop('stop');
  if (handleProcess) {
    for (const s of signals) process.on(s, onSignal);
    process.on('uncaughtExceptionMonitor', onCrash);
    process.on('exit', onExit);
  }

  let clockTimer: Cancel | null = clock.setInterval(() => scheduleRender(), 1000, { unref: true });

  function stop(reason: StopReason = 'stop'): void {
    if (stoppedFlag) return;
    stoppedFlag = true;
    for (const cancel of [renderTimer, pollTimer, clockTimer]) cancel?.();
    renderTimer = pollTimer = clockTimer = null;
    if (handleProcess) {
      for (const s of signals) process.off(s, onSignal);
      process.off('uncaughtExceptionMonitor', onCrash);
      process.off('exit', onExit);
    }
    try {
      screen.destroy();
    } catch {
      // A half-torn-down terminal must not turn a clean stop into a crash.
    }
    resolveStopped(reason);
  }

  async function quit(): Promise<void> {
    if (stoppedFlag) return;
    stop('quit');
    try {
      await options.onQuit();
    } catch (err) {
      process.stderr.write(`kinitro tui: quit handler failed: ${(err as Error)?.message ?? String(err)}\n`);
    }
  }

  /** The dashboard's own events (connection lost/back) go to its log pane, in pino's shape. */
  function note(level: number, msg: string): void {
    appendLog(JSON.stringify({ level, time: clock.now(), component: 'tui', msg }));
  }

  function appendLog(chunk: string): void {
    if (stoppedFlag) return;
    const now = clock.now();
    for (const f of formatLogChunk(chunk, now)) logLines.push(f.text);
    if (logLines.length > scrollback) logLines.splice(0, logLines.length - scrollback);
    logDirty = true;
    scheduleRender();
  }

  tableList.focus();
  renderNow();
  void poll();

  return {
    appendLog,
    async refresh() {
      await poll();
      renderNow();
    },
    stop: () => stop('stop'),
    stopped,
    screenText: () => screenText(screen),
  };
}
