import { describe, expect, it } from 'vitest';
import {
  anchoredScrollTop,
  captureAnchor,
  HeightStats,
  layout,
  renderPlan,
  rowAt,
  scrollTopFor,
  visibleRange,
  type Slot,
} from './virtual';

const keys = (n: number, from = 0) => Array.from({ length: n }, (_, i) => `m-${from + i}`);

describe('layout', () => {
  it('adds measured heights and estimates the rest', () => {
    const o = layout(['a', 'b', 'c'], new Map([['b', 100]]), () => 40);
    expect(Array.from(o)).toEqual([0, 40, 140, 180]);
  });
  it('is a single zero for no rows', () => {
    expect(Array.from(layout([], new Map(), () => 10))).toEqual([0]);
  });
});

describe('rowAt', () => {
  const o = layout(keys(4), new Map(), () => 10); // 0 10 20 30 40
  it('finds the row containing y, clamped to the rows', () => {
    expect(rowAt(o, -5)).toBe(0);
    expect(rowAt(o, 0)).toBe(0);
    expect(rowAt(o, 9.9)).toBe(0);
    expect(rowAt(o, 10)).toBe(1);
    expect(rowAt(o, 35)).toBe(3);
    expect(rowAt(o, 400)).toBe(3);
  });
  it('is -1 without rows', () => {
    expect(rowAt(layout([], new Map(), () => 10), 0)).toBe(-1);
  });
});

describe('visibleRange', () => {
  const o = layout(keys(1000), new Map(), () => 50); // 50 000 px
  it('covers the viewport and the overscan, no more', () => {
    expect(visibleRange(o, 10_000, 500, 0)).toEqual({ start: 200, end: 210 });
    expect(visibleRange(o, 10_000, 500, 100)).toEqual({ start: 198, end: 212 });
    expect(visibleRange(o, 10_025, 500, 0)).toEqual({ start: 200, end: 211 });
  });
  it('stays inside the list at both ends', () => {
    expect(visibleRange(o, 0, 500, 1000)).toEqual({ start: 0, end: 30 });
    expect(visibleRange(o, 49_500, 500, 1000)).toEqual({ start: 970, end: 1000 });
    expect(visibleRange(o, 99_999, 500, 0)).toEqual({ start: 999, end: 1000 });
  });
  it('is empty for no rows', () => {
    expect(visibleRange(layout([], new Map(), () => 1), 0, 500, 0)).toEqual({ start: 0, end: 0 });
  });
  it('keeps a long history to a few dozen rows', () => {
    const big = layout(keys(10_000), new Map(), (i) => (i % 7 === 0 ? 120 : 48));
    const r = visibleRange(big, big[10_000] - 700, 700, 700);
    expect(r.end).toBe(10_000);
    expect(r.end - r.start).toBeLessThan(40);
  });
});

const total = (plan: Slot[], o: Float64Array) =>
  plan.reduce((h, s) => h + (s.kind === 'gap' ? s.height : o[s.index + 1] - o[s.index]), 0);

describe('renderPlan', () => {
  const o = layout(keys(100), new Map([['m-50', 200]]), () => 20);
  it('puts spacers above and below the range, adding up to the full height', () => {
    const plan = renderPlan(o, { start: 10, end: 13 });
    expect(plan).toEqual([
      { kind: 'gap', height: 200, key: 'gap-0' },
      { kind: 'row', index: 10 },
      { kind: 'row', index: 11 },
      { kind: 'row', index: 12 },
      { kind: 'gap', height: o[100] - o[13], key: 'gap-13' },
    ]);
    expect(total(plan, o)).toBe(o[100]);
  });
  it('keeps rows outside the range at their place, with a spacer between', () => {
    const plan = renderPlan(o, { start: 10, end: 12 }, [99, 11, 3]);
    expect(plan.filter((s) => s.kind === 'row').map((s) => (s as { index: number }).index)).toEqual([3, 10, 11, 99]);
    expect(plan[0]).toEqual({ kind: 'gap', height: 60, key: 'gap-0' });
    expect(plan.at(-1)).toEqual({ kind: 'row', index: 99 });
    expect(total(plan, o)).toBe(o[100]);
  });
  it('ignores keep indices outside the list and needs no spacer at the ends', () => {
    const plan = renderPlan(o, { start: 0, end: 100 }, [-1, 100, 500]);
    expect(plan.every((s) => s.kind === 'row')).toBe(true);
    expect(plan).toHaveLength(100);
  });
  it('gives spacers keys that are unique within a plan', () => {
    const plan = renderPlan(o, { start: 40, end: 45 }, [2, 90]);
    const gapKeys = plan.filter((s) => s.kind === 'gap').map((s) => (s as { key: string }).key);
    expect(new Set(gapKeys).size).toBe(gapKeys.length);
    expect(gapKeys).toHaveLength(4);
  });
});

describe('anchoring', () => {
  it('holds the first visible message still when an older page is added above', () => {
    const before = keys(100, 100);
    const o1 = layout(before, new Map(), () => 30);
    const anchor = captureAnchor(before, o1, 65)!; // inside row 2 (60..90)
    expect(anchor).toEqual({ key: 'm-102', delta: -5 });
    const after = [...keys(100, 0), ...before];
    const o2 = layout(after, new Map(), () => 30);
    expect(anchoredScrollTop(anchor, after, o2)).toBe(3000 + 65);
  });
  it('holds it still when rows above it change height', () => {
    const k = keys(10);
    const o1 = layout(k, new Map(), () => 50);
    const anchor = captureAnchor(k, o1, 260)!;
    const o2 = layout(k, new Map([['m-0', 150], ['m-1', 10]]), () => 50);
    expect(anchoredScrollTop(anchor, k, o2)).toBe(260 + 100 - 40);
  });
  it('prefers a message to a day separator, which moves when older pages arrive', () => {
    const k = ['day-1', 'm-1', 'm-2'];
    const o = layout(k, new Map(), () => 40);
    expect(captureAnchor(k, o, 10, (key) => key.startsWith('m-'))).toEqual({ key: 'm-1', delta: 30 });
  });
  it('gives null when there is nothing to hold or the row is gone', () => {
    expect(captureAnchor([], layout([], new Map(), () => 1), 0)).toBeNull();
    expect(anchoredScrollTop({ key: 'm-x', delta: 0 }, keys(3), layout(keys(3), new Map(), () => 1))).toBeNull();
  });
});

describe('HeightStats', () => {
  it('estimates with the mean measured height per kind, the fallback before that', () => {
    const s = new HeightStats({ message: 56, day: 36 });
    expect(s.estimate('message')).toBe(56);
    expect(s.estimate('other')).toBe(48);
    s.add('message', 40);
    s.add('message', 80);
    expect(s.estimate('message')).toBe(60);
    s.add('message', 100, 40); // a row re-measured: 100 and 80
    expect(s.estimate('message')).toBe(90);
    expect(s.estimate('day')).toBe(36);
  });
});

describe('scrollTopFor', () => {
  const o = layout(keys(100), new Map(), () => 20); // 2000 px
  it('moves as little as needed for nearest', () => {
    expect(scrollTopFor(o, 10, 100, 200, 'nearest')).toBe(100);
    expect(scrollTopFor(o, 2, 100, 200, 'nearest')).toBe(40);
    expect(scrollTopFor(o, 20, 100, 200, 'nearest')).toBe(220);
  });
  it('centres the row, within the scroll range', () => {
    expect(scrollTopFor(o, 50, 0, 200, 'center')).toBe(1000 - 90);
    expect(scrollTopFor(o, 0, 500, 200, 'center')).toBe(0);
    expect(scrollTopFor(o, 99, 0, 200, 'center')).toBe(1800);
  });
});
