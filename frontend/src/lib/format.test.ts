import { describe, expect, it } from 'vitest';
import {
  dayLabel,
  estimateLeft,
  fileSize,
  initials,
  layoutMessages,
  listTime,
  preview,
  reactionLabel,
  remaining,
  safetyGroups,
  statusLabel,
  timerLabel,
} from './format';
import type { Message } from './api';

const at = (y: number, mo: number, d: number, h = 12, mi = 0) => new Date(y, mo - 1, d, h, mi).getTime();
const now = at(2026, 3, 10, 15, 30); // a Tuesday

function msg(id: number, sentAt: number, outgoing = false): Message {
  return { id, sentAt, outgoing, status: 'sent', body: `m${id}`, replyTo: 0, edited: false, expiresAt: 0, reactions: [] } as unknown as Message;
}

describe('format', () => {
  it('makes avatar initials', () => {
    expect(initials('alice')).toBe('A');
    expect(initials('@bob_smith')).toBe('BS');
    expect(initials('')).toBe('?');
  });

  it('shows list times as clock, Yesterday, weekday or date', () => {
    expect(listTime(at(2026, 3, 10, 9, 5), now)).toBe('09:05');
    expect(listTime(at(2026, 3, 9), now)).toBe('Yesterday');
    expect(listTime(at(2026, 3, 6), now)).toBe('Fri');
    expect(listTime(at(2026, 1, 2), now)).toBe('2 Jan');
    expect(listTime(at(2025, 1, 2), now)).toBe('2 Jan 2025');
    expect(listTime(0, now)).toBe('');
  });

  it('labels days', () => {
    expect(dayLabel(at(2026, 3, 10, 1), now)).toBe('Today');
    expect(dayLabel(at(2026, 3, 9, 23), now)).toBe('Yesterday');
    expect(dayLabel(at(2026, 3, 2), now)).toBe('Monday, 2 Mar 2026');
  });

  it('puts day separators between days and groups close bubbles from one side', () => {
    const items = layoutMessages(
      [
        msg(1, at(2026, 3, 9, 10, 0)),
        msg(2, at(2026, 3, 10, 10, 0)),
        msg(3, at(2026, 3, 10, 10, 2)),
        msg(4, at(2026, 3, 10, 10, 3), true),
        msg(5, at(2026, 3, 10, 11, 0), true),
      ],
      now,
    );
    expect(items.map((i) => (i.kind === 'day' ? i.label : `${i.message.id}${i.first ? 'F' : ''}${i.last ? 'L' : ''}`))).toEqual([
      'Yesterday',
      '1FL',
      'Today',
      '2F',
      '3L',
      '4FL',
      '5FL',
    ]);
  });

  it('gives every delivery state a text alternative', () => {
    expect(['pending', 'sent', 'delivered', 'read'].map(statusLabel)).toEqual(['Sending', 'Sent', 'Delivered', 'Read']);
    expect(statusLabel('failed')).toMatch(/retry/);
  });

  it('reads reactions aloud with who reacted', () => {
    expect(reactionLabel({ emoji: '👍', mine: false }, 'alice')).toBe('@alice reacted 👍');
    expect(reactionLabel({ emoji: '❤️', mine: true }, 'alice')).toBe('You reacted ❤️');
  });

  it('splits a safety number into 12 groups of 5', () => {
    const digits = '123456789012345678901234567890123456789012345678901234567890';
    const groups = safetyGroups(digits.replace(/(\d{5})/g, '$1 '));
    expect(groups).toHaveLength(12);
    expect(groups[0]).toBe('12345');
    expect(groups.join('')).toBe(digits);
  });

  it('names timers and time left', () => {
    expect(timerLabel(0)).toBe('Off');
    expect(timerLabel(30)).toBe('30 seconds');
    expect(timerLabel(300)).toBe('5 minutes');
    expect(timerLabel(3600)).toBe('1 hour');
    expect(timerLabel(7 * 86400)).toBe('1 week');
    expect(remaining(now + 90_000, now)).toBe('2 min');
    expect(remaining(now - 5, now)).toBe('0 s');
  });

  it('estimates the proof of work left and previews text', () => {
    expect(estimateLeft(1000, 5000)).toBe('About 4 seconds left');
    expect(estimateLeft(6000, 5000)).toBe('Almost done…');
    expect(preview('a\n  b', 80)).toBe('a b');
    expect(preview('x'.repeat(100), 10)).toBe('xxxxxxxxx…');
  });
});

describe('fileSize', () => {
  it('reads like people write it', () => {
    expect(fileSize(980)).toBe('980 B');
    expect(fileSize(12_345)).toBe('12 KB');
    expect(fileSize(3_400_000)).toBe('3.4 MB');
    expect(fileSize(100_000_000)).toBe('100 MB');
  });
});
