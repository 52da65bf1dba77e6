import { describe, expect, it } from 'vitest';
import { IDLE_MS, REPEAT_MS, TypingNotifier, type Timers } from './typing';

function fakeTimers() {
  let t = 0;
  let pending: { at: number; f: () => void; id: number }[] = [];
  let next = 1;
  const timers: Timers = {
    now: () => t,
    setTimeout: (f, ms) => {
      pending.push({ at: t + ms, f, id: next });
      return next++;
    },
    clearTimeout: (h) => {
      pending = pending.filter((p) => p.id !== h);
    },
  };
  const advance = (ms: number) => {
    t += ms;
    const due = pending.filter((p) => p.at <= t);
    pending = pending.filter((p) => p.at > t);
    due.forEach((p) => p.f());
  };
  return { timers, advance };
}

describe('TypingNotifier', () => {
  it('sends typing once per interval and stopped after quiet', () => {
    const sent: boolean[] = [];
    const { timers, advance } = fakeTimers();
    const n = new TypingNotifier((v) => sent.push(v), timers);
    n.input(false);
    advance(500);
    n.input(false);
    advance(500);
    n.input(false);
    expect(sent).toEqual([true]);
    advance(REPEAT_MS);
    n.input(false);
    expect(sent).toEqual([true, true]);
    advance(IDLE_MS);
    expect(sent).toEqual([true, true, false]);
  });

  it('stops at once when the draft is cleared or sent, and only once', () => {
    const sent: boolean[] = [];
    const { timers, advance } = fakeTimers();
    const n = new TypingNotifier((v) => sent.push(v), timers);
    n.input(false);
    n.input(true);
    n.stop();
    advance(IDLE_MS * 2);
    expect(sent).toEqual([true, false]);
  });
});
