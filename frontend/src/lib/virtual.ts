// The windowing arithmetic of a virtualised list with rows of different
// heights: where each row starts (measured heights where known, an estimate
// for the rest), which rows are in or near the viewport, what to render
// (those rows, plus rows that must stay in the DOM such as the focused one,
// with spacers for the gaps), and how to keep the row the reader is looking
// at in place when heights change or rows are added above it.
//
// Everything here is pure: MessageList measures and scrolls, this file only
// computes.

/** Heights measured so far, by row key, in CSS pixels. */
export type Heights = ReadonlyMap<string, number>;

/**
 * Where each row starts: offsets[i] is the top of row i, offsets[n] the
 * total height. Unmeasured rows take estimate(i).
 */
export function layout(keys: readonly string[], heights: Heights, estimate: (i: number) => number): Float64Array {
  const offsets = new Float64Array(keys.length + 1);
  for (let i = 0; i < keys.length; i++) {
    offsets[i + 1] = offsets[i] + (heights.get(keys[i]) ?? estimate(i));
  }
  return offsets;
}

/** The row at height y: the last i with offsets[i] <= y, within [0, n-1]; -1 for no rows. */
export function rowAt(offsets: Float64Array, y: number): number {
  const n = offsets.length - 1;
  if (n <= 0) return -1;
  let lo = 0;
  let hi = n - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (offsets[mid] <= y) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/** Rows [start, end). */
export interface Range {
  start: number;
  end: number;
}

/**
 * The rows that intersect the viewport [scrollTop, scrollTop+viewport],
 * widened by overscan pixels on both sides.
 */
export function visibleRange(offsets: Float64Array, scrollTop: number, viewport: number, overscan: number): Range {
  const n = offsets.length - 1;
  if (n <= 0) return { start: 0, end: 0 };
  const top = Math.max(0, scrollTop - overscan);
  const bottom = scrollTop + Math.max(viewport, 0) + overscan;
  const start = rowAt(offsets, top);
  let end = rowAt(offsets, bottom) + 1;
  // A row that starts exactly at the bottom edge is not visible.
  if (end - 1 > start && offsets[end - 1] >= bottom) end--;
  return { start, end: Math.min(n, Math.max(end, start + 1)) };
}

/** One piece of what is rendered: a row, or a spacer standing in for rows. */
export type Slot = { kind: 'row'; index: number } | { kind: 'gap'; height: number; key: string };

/**
 * What to put in the DOM, top to bottom: the rows in range, the rows in keep
 * (the focused row, the one Tab enters on) wherever they are, and spacers
 * of the right height between them so every row sits where it would if all
 * were rendered.
 */
export function renderPlan(offsets: Float64Array, range: Range, keep: readonly number[] = []): Slot[] {
  const n = offsets.length - 1;
  const rows: number[] = [];
  for (let i = Math.max(0, range.start); i < Math.min(n, range.end); i++) rows.push(i);
  for (const k of keep) if (k >= 0 && k < n && (k < range.start || k >= range.end)) rows.push(k);
  rows.sort((a, b) => a - b);
  const out: Slot[] = [];
  let y = 0;
  let prev = -1;
  for (const i of rows) {
    if (i === prev) continue;
    if (offsets[i] > y) out.push({ kind: 'gap', height: offsets[i] - y, key: `gap-${prev + 1}` });
    out.push({ kind: 'row', index: i });
    y = offsets[i + 1];
    prev = i;
  }
  if (offsets[n] > y) out.push({ kind: 'gap', height: offsets[n] - y, key: `gap-${prev + 1}` });
  return out;
}

/** A row and how far its top is below the top of the viewport. */
export interface Anchor {
  key: string;
  delta: number;
}

/**
 * The row to hold still: the first row (preferring rows accepted by
 * prefer, e.g. messages rather than day separators, which move when older
 * pages arrive) whose bottom is below scrollTop.
 */
export function captureAnchor(
  keys: readonly string[],
  offsets: Float64Array,
  scrollTop: number,
  prefer: (key: string) => boolean = () => true,
): Anchor | null {
  const first = rowAt(offsets, scrollTop);
  if (first < 0) return null;
  for (let i = first; i < keys.length && offsets[i] < scrollTop + 2000; i++) {
    if (prefer(keys[i])) return { key: keys[i], delta: offsets[i] - scrollTop };
  }
  return { key: keys[first], delta: offsets[first] - scrollTop };
}

/** The scrollTop that puts the anchor's row back where it was; null if the row is gone. */
export function anchoredScrollTop(anchor: Anchor, keys: readonly string[], offsets: Float64Array): number | null {
  const i = keys.indexOf(anchor.key);
  if (i < 0) return null;
  return Math.max(0, offsets[i] - anchor.delta);
}

/**
 * Estimates for unmeasured rows: the mean measured height of rows of the
 * same kind, or the fallback for a kind nothing has been measured of.
 */
export class HeightStats {
  private sums = new Map<string, { total: number; count: number }>();

  constructor(private fallback: Record<string, number>) {}

  /** Records a measured height (old: the row's previous height, if any). */
  add(kind: string, height: number, old?: number) {
    const s = this.sums.get(kind) ?? { total: 0, count: 0 };
    if (old !== undefined) {
      s.total += height - old;
    } else {
      s.total += height;
      s.count++;
    }
    this.sums.set(kind, s);
  }

  estimate(kind: string): number {
    const s = this.sums.get(kind);
    if (s && s.count > 0) return s.total / s.count;
    return this.fallback[kind] ?? 48;
  }
}

/**
 * The scrollTop that shows row i: as little movement as possible
 * ('nearest'), or with the row in the middle ('center').
 */
export function scrollTopFor(
  offsets: Float64Array,
  i: number,
  scrollTop: number,
  viewport: number,
  block: 'nearest' | 'center',
): number {
  const top = offsets[i];
  const bottom = offsets[i + 1];
  const max = Math.max(0, offsets[offsets.length - 1] - viewport);
  let want = scrollTop;
  if (block === 'center') want = top - (viewport - (bottom - top)) / 2;
  else if (top < scrollTop) want = top;
  else if (bottom > scrollTop + viewport) want = bottom - viewport;
  return Math.min(max, Math.max(0, want));
}
