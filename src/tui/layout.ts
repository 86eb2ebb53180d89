/**
 * Panel rectangles for a terminal size. Wide terminals put the weights beside the score table;
 * narrower ones give the table the full width (so eight environment columns stay legible) and move
 * the weights down beside the history and the log.
 */
export interface Rect {
  top: number;
  left: number;
  width: number;
  height: number;
}

export type PanelName = 'header' | 'cycle' | 'table' | 'weights' | 'history' | 'log' | 'footer' | 'detail';
export type Layout = Record<PanelName, Rect> & { wide: boolean };

export const HEADER_HEIGHT = 2;
export const CYCLE_HEIGHT = 5;
export const FOOTER_HEIGHT = 1;
/** Width from which the weights sit beside the table. */
export const WIDE_COLUMNS = 140;

/**
 * @param tableRows miner rows the table would like to show (it gets up to half the body).
 */
export function computeLayout(columns: number, rows: number, tableRows = 8): Layout {
  const cols = Math.max(20, columns);
  const lines = Math.max(12, rows);
  const header: Rect = { top: 0, left: 0, width: cols, height: HEADER_HEIGHT };
  const cycle: Rect = { top: HEADER_HEIGHT, left: 0, width: cols, height: CYCLE_HEIGHT };
  const footer: Rect = { top: lines - FOOTER_HEIGHT, left: 0, width: cols, height: FOOTER_HEIGHT };
  const bodyTop = HEADER_HEIGHT + CYCLE_HEIGHT;
  const body = Math.max(4, lines - bodyTop - FOOTER_HEIGHT);
  const wide = cols >= WIDE_COLUMNS;

  // Table: border (2) + column header (1) + rows; when wide the weights beside it need 2 more
  // (submission and cycle lines). Between a floor and about half the body.
  const wanted = Math.max(1, tableRows) + (wide ? 5 : 3);
  const floor = wide ? 10 : 5;
  const cap = Math.max(floor, Math.floor(body * (wide ? 0.55 : 0.5)));
  const midHeight = Math.min(body - 3, Math.max(Math.min(floor, body - 3), Math.min(wanted, cap)));
  const bottomTop = bodyTop + midHeight;
  const bottomHeight = Math.max(3, body - midHeight);

  let table: Rect, weights: Rect, history: Rect, log: Rect;
  if (wide) {
    const tableWidth = Math.round(cols * 0.62);
    table = { top: bodyTop, left: 0, width: tableWidth, height: midHeight };
    weights = { top: bodyTop, left: tableWidth, width: cols - tableWidth, height: midHeight };
    const historyWidth = Math.round(cols * 0.42);
    history = { top: bottomTop, left: 0, width: historyWidth, height: bottomHeight };
    log = { top: bottomTop, left: historyWidth, width: cols - historyWidth, height: bottomHeight };
  } else {
    // Weights above history on the left, the log (which needs width more than height) on the right.
    table = { top: bodyTop, left: 0, width: cols, height: midHeight };
    const leftWidth = Math.round(cols * 0.42);
    const weightsHeight = Math.max(3, Math.ceil(bottomHeight / 2));
    weights = { top: bottomTop, left: 0, width: leftWidth, height: weightsHeight };
    history = { top: bottomTop + weightsHeight, left: 0, width: leftWidth, height: Math.max(3, bottomHeight - weightsHeight) };
    log = { top: bottomTop, left: leftWidth, width: cols - leftWidth, height: bottomHeight };
  }
  const detailWidth = Math.min(cols - 2, Math.max(60, Math.round(cols * 0.8)));
  const detailHeight = Math.min(lines - 2, Math.max(12, Math.round(lines * 0.8)));
  const detail: Rect = { top: Math.floor((lines - detailHeight) / 2), left: Math.floor((cols - detailWidth) / 2), width: detailWidth, height: detailHeight };
  return { header, cycle, table, weights, history, log, footer, detail, wide };
}
