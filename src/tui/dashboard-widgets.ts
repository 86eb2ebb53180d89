/**
 * The dashboard's terminal and widgets: the blessed screen, the panels in their fixed stacking, their
 * placement from a computed layout, and the page keys blessed does not map. dashboard.ts owns the
 * state, the polling and the rendering.
 */
import blessed from 'blessed';
import { ASCII_GLYPHS, UNICODE_GLYPHS, type Glyphs } from './format.ts';
import type { Layout, Rect } from './layout.ts';

export type Panel = 'table' | 'weights' | 'history' | 'log';
export const FOCUS_ORDER: readonly Panel[] = ['table', 'weights', 'history', 'log'];
export const BORDER = 'gray';
export const BORDER_FOCUS = 'cyan';

export interface ScreenOptions {
  input?: NodeJS.ReadableStream;
  output?: NodeJS.WritableStream;
  terminal?: string;
  title: string;
  unicode?: boolean;
}

/** The screen, and the glyphs it can draw (unicode unless the terminal's locale says otherwise). */
export function openScreen(o: ScreenOptions): { screen: blessed.Widgets.Screen; glyphs: Glyphs } {
  const screen = blessed.screen({
    input: o.input as NodeJS.ReadableStream | undefined,
    output: o.output as NodeJS.WritableStream | undefined,
    terminal: o.terminal,
    smartCSR: true,
    fullUnicode: true,
    autoPadding: true,
    warnings: false,
    title: o.title,
    sendFocus: false,
    ignoreLocked: ['C-c'],
  } as blessed.Widgets.IScreenOptions);
  const tput = (screen as unknown as { tput: { unicode: boolean; brokenACS: boolean } }).tput;
  const unicode = o.unicode ?? tput.unicode;
  // Draw box characters as plain UTF-8 instead of the ACS charset, which tmux and many terminals
  // show as "lqqk" (the NCURSES_NO_UTF8_ACS=1 behaviour, without touching the environment).
  if (unicode) tput.brokenACS = true;
  const glyphs: Glyphs = unicode ? UNICODE_GLYPHS : ASCII_GLYPHS;

  return { screen, glyphs };
}

export interface DashboardWidgets {
  header: blessed.Widgets.BoxElement;
  cycle: blessed.Widgets.BoxElement;
  tablePanel: blessed.Widgets.BoxElement;
  tableHeader: blessed.Widgets.BoxElement;
  tableList: blessed.Widgets.ListElement;
  weights: blessed.Widgets.BoxElement;
  history: blessed.Widgets.BoxElement;
  log: blessed.Widgets.BoxElement;
  footer: blessed.Widgets.BoxElement;
  /** The miner detail overlay (hidden until a row is opened). */
  detail: blessed.Widgets.BoxElement;
  /** What takes the keys when a panel has the focus. */
  focusTargets: Record<Panel, blessed.Widgets.BlessedElement>;
  /** Whose border shows the focus. */
  borders: Record<Panel, blessed.Widgets.BlessedElement>;
}

export function createWidgets(screen: blessed.Widgets.Screen): DashboardWidgets {
  const panelStyle = { border: { fg: BORDER }, label: { fg: 'white', bold: true } };
  const header = blessed.box({ parent: screen, tags: true, wrap: false });
  const cycle = blessed.box({ parent: screen, tags: true, wrap: false, border: { type: 'line' }, label: ' cycle ', style: structuredClone(panelStyle) });
  const tablePanel = blessed.box({ parent: screen, tags: true, border: { type: 'line' }, label: ' scores ', style: structuredClone(panelStyle) });
  const tableHeader = blessed.box({ parent: tablePanel, top: 0, left: 0, height: 1, tags: true, wrap: false });
  const tableList = blessed.list({
    parent: tablePanel,
    top: 1,
    left: 0,
    tags: true,
    keys: true,
    mouse: false,
    wrap: false,
    style: { selected: { bg: 'blue', bold: true }, item: {} },
  } as blessed.Widgets.ListOptions<blessed.Widgets.ListElementStyle>);
  const scrollBox = (label: string, wrap = false) =>
    blessed.box({
      parent: screen,
      tags: true,
      wrap,
      border: { type: 'line' },
      label,
      scrollable: true,
      alwaysScroll: true,
      keys: true,
      style: structuredClone(panelStyle),
    } as blessed.Widgets.BoxOptions);
  const weights = scrollBox(' weights ');
  const history = scrollBox(' cycles ');
  const log = scrollBox(' log ', true);
  const footer = blessed.box({ parent: screen, tags: true, wrap: false });
  const detail = blessed.box({
    parent: screen,
    tags: true,
    wrap: false,
    hidden: true,
    border: { type: 'line' },
    label: ' miner ',
    scrollable: true,
    alwaysScroll: true,
    keys: true,
    style: { border: { fg: BORDER_FOCUS }, label: { fg: 'white', bold: true }, bg: 'black' },
  } as blessed.Widgets.BoxOptions);

  const focusTargets: Record<Panel, blessed.Widgets.BlessedElement> = { table: tableList, weights, history, log };
  const borders: Record<Panel, blessed.Widgets.BlessedElement> = { table: tablePanel, weights, history, log };

  return { header, cycle, tablePanel, tableHeader, tableList, weights, history, log, footer, detail, focusTargets, borders };
}

const place = (el: blessed.Widgets.BlessedElement, r: Rect) => {
  el.top = r.top;
  el.left = r.left;
  el.width = r.width;
  el.height = r.height;
};

export function placeWidgets(w: DashboardWidgets, next: Layout): void {
  place(w.header, next.header);
  place(w.cycle, next.cycle);
  place(w.tablePanel, next.table);
  w.tableHeader.width = Math.max(1, next.table.width - 2);
  w.tableList.width = Math.max(1, next.table.width - 2);
  w.tableList.height = Math.max(1, next.table.height - 3);
  place(w.weights, next.weights);
  place(w.history, next.history);
  place(w.log, next.log);
  place(w.footer, next.footer);
  place(w.detail, next.detail);
}

/** Page keys (blessed only maps them in vi mode). `rows` is how many rows the table holds. */
export function bindPageKeys(w: DashboardWidgets, rows: () => number): void {
  for (const box of [w.weights, w.history, w.log, w.detail]) {
    box.key(['pageup', 'pagedown', 'home', 'end'], (_ch: string, key: { name: string }) => {
      const page = Math.max(1, (box.height as number) - 3);
      if (key.name === 'pageup') box.scroll(-page);
      else if (key.name === 'pagedown') box.scroll(page);
      else if (key.name === 'home') box.setScroll(0);
      else box.setScrollPerc(100);
    });
  }
  const tableList = w.tableList;
  tableList.key(['pageup', 'pagedown', 'home', 'end'], (_ch: string, key: { name: string }) => {
    const page = Math.max(1, (tableList.height as number) - 1);
    const last = Math.max(0, rows() - 1);
    const at = (tableList as unknown as { selected: number }).selected;
    const target = key.name === 'pageup' ? at - page : key.name === 'pagedown' ? at + page : key.name === 'home' ? 0 : last;
    tableList.select(Math.min(last, Math.max(0, target)));
  });
}

/** The screen as plain text, one string per row (what the terminal shows). */
export function screenText(screen: blessed.Widgets.Screen): string[] {
  const lines = (screen as unknown as { lines: [unknown, string][][] }).lines;
  return lines.map((row) =>
    row
      .map((c) => c[1])
      .join('')
      .replace(/\s+$/, ''),
  );
}
