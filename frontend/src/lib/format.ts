// Words and numbers the conversation UI shows: times, day separators, grouped
// bubbles, delivery states, safety numbers. Pure; the clock is passed in.
import type { Message } from './api';

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;

/** Up to two letters for an avatar: "alice" → "A", "bob_smith" → "BS". */
export function initials(handle: string): string {
  const parts = handle.replace(/^@/, '').split(/[_\-.\s]+/).filter(Boolean);
  if (parts.length === 0) return '?';
  if (parts.length === 1) return parts[0][0].toUpperCase();
  return (parts[0][0] + parts[1][0]).toUpperCase();
}

function startOfDay(ms: number): number {
  const d = new Date(ms);
  d.setHours(0, 0, 0, 0);
  return d.getTime();
}

function pad(n: number): string {
  return n < 10 ? '0' + n : String(n);
}

/** Clock time, 24 h: "09:05". */
export function clock(ms: number): string {
  const d = new Date(ms);
  return `${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

const weekdays = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** The sidebar's time: today a clock, this week a weekday, else a date. */
export function listTime(ms: number, now: number): string {
  if (!ms) return '';
  const days = Math.round((startOfDay(now) - startOfDay(ms)) / DAY);
  if (days <= 0) return clock(ms);
  if (days === 1) return 'Yesterday';
  if (days < 7) return weekdays[new Date(ms).getDay()].slice(0, 3);
  const d = new Date(ms);
  const year = d.getFullYear() === new Date(now).getFullYear() ? '' : ` ${d.getFullYear()}`;
  return `${d.getDate()} ${months[d.getMonth()]}${year}`;
}

/** The day separator's words: "Today", "Yesterday", "Monday, 2 Mar 2026". */
export function dayLabel(ms: number, now: number): string {
  const days = Math.round((startOfDay(now) - startOfDay(ms)) / DAY);
  if (days === 0) return 'Today';
  if (days === 1) return 'Yesterday';
  const d = new Date(ms);
  return `${weekdays[d.getDay()]}, ${d.getDate()} ${months[d.getMonth()]} ${d.getFullYear()}`;
}

export type ListItem =
  | { kind: 'day'; key: string; label: string }
  | { kind: 'message'; key: string; message: Message; first: boolean; last: boolean };

/** Bubbles from one side within this long of each other form one group. */
export const GROUP_GAP_MS = 5 * MINUTE;

/** Interleaves day separators and marks where each group of bubbles starts
 *  and ends (same sender, same day, close in time). messages: oldest first. */
export function layoutMessages(messages: Message[], now: number): ListItem[] {
  const out: ListItem[] = [];
  let prevDay = -1;
  for (let i = 0; i < messages.length; i++) {
    const m = messages[i];
    const day = startOfDay(m.sentAt);
    if (day !== prevDay) {
      out.push({ kind: 'day', key: `day-${day}`, label: dayLabel(m.sentAt, now) });
      prevDay = day;
    }
    const prev = messages[i - 1];
    const next = messages[i + 1];
    const joins = (a: Message | undefined, b: Message | undefined) =>
      !!a && !!b && a.outgoing === b.outgoing && startOfDay(a.sentAt) === startOfDay(b.sentAt) &&
      Math.abs(b.sentAt - a.sentAt) <= GROUP_GAP_MS;
    out.push({ kind: 'message', key: `m-${m.id}`, message: m, first: !joins(prev, m), last: !joins(m, next) });
  }
  return out;
}

/** The text alternative of a delivery tick. */
export function statusLabel(status: string): string {
  switch (status) {
    case 'pending':
      return 'Sending';
    case 'sent':
      return 'Sent';
    case 'delivered':
      return 'Delivered';
    case 'read':
      return 'Read';
    case 'failed':
      return 'Not sent — retry to send it again';
  }
  return '';
}

/** How a reaction reads aloud: "@alice reacted 👍", "You reacted 👍". */
export function reactionLabel(r: { emoji: string; mine: boolean }, contactHandle: string): string {
  return `${r.mine ? 'You' : '@' + contactHandle} reacted ${r.emoji}`;
}

/** A safety number as 12 groups of 5 digits (anything else is ignored). */
export function safetyGroups(number: string): string[] {
  const digits = number.replace(/\D/g, '');
  const out: string[] = [];
  for (let i = 0; i < digits.length; i += 5) out.push(digits.slice(i, i + 5));
  return out;
}

/** The disappearing-message timers on offer, in seconds (0: off). */
export const TIMER_CHOICES = [0, 30, 5 * 60, 3600, 8 * 3600, 86400, 7 * 86400, 28 * 86400];

/** "Off", "30 seconds", "5 minutes", "1 hour", "1 day", "1 week", "4 weeks". */
export function timerLabel(secs: number): string {
  if (!secs) return 'Off';
  const units: [number, string][] = [
    [7 * 86400, 'week'],
    [86400, 'day'],
    [3600, 'hour'],
    [60, 'minute'],
    [1, 'second'],
  ];
  for (const [size, name] of units) {
    if (secs % size === 0) {
      const n = secs / size;
      return `${n} ${name}${n === 1 ? '' : 's'}`;
    }
  }
  return `${secs} seconds`;
}

/** Seconds left as "12 s", "4 min", "3 h", "2 d" (for the timer icon's label). */
export function remaining(expiresAt: number, now: number): string {
  const s = Math.max(0, Math.round((expiresAt - now) / 1000));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.round(s / 60)} min`;
  if (s < 86400) return `${Math.round(s / 3600)} h`;
  return `${Math.round(s / 86400)} d`;
}

/** Proof of work takes a few seconds; says how long it still may take. */
export function estimateLeft(elapsedMs: number, expectedMs: number): string {
  const left = Math.ceil((expectedMs - elapsedMs) / 1000);
  if (left <= 0) return 'Almost done…';
  return `About ${left} second${left === 1 ? '' : 's'} left`;
}

/** One line of a message for previews and quotes. */
export function preview(body: string, max = 80): string {
  const line = body.replace(/\s+/g, ' ').trim();
  return line.length > max ? line.slice(0, max - 1) + '…' : line;
}

/** File sizes as people read them: "980 B", "12 KB", "3.4 MB". */
export function fileSize(bytes: number): string {
  if (bytes < 1000) return `${bytes} B`;
  if (bytes < 1_000_000) return `${Math.round(bytes / 1000)} KB`;
  const mb = bytes / 1_000_000;
  return `${mb < 10 ? mb.toFixed(1) : Math.round(mb)} MB`;
}
