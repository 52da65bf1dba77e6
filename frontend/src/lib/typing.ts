// When to tell the contact "typing" and "stopped": at most one "typing" per
// REPEAT_MS while keys keep coming, "stopped" after IDLE_MS of quiet or when
// the message is sent. Timers are injected so tests can drive the clock.

export const REPEAT_MS = 3000;
export const IDLE_MS = 4000;

export interface Timers {
  now(): number;
  setTimeout(f: () => void, ms: number): unknown;
  clearTimeout(h: unknown): void;
}

const realTimers: Timers = {
  now: () => Date.now(),
  setTimeout: (f, ms) => setTimeout(f, ms),
  clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
};

export class TypingNotifier {
  private lastSent = -Infinity;
  private typing = false;
  private idle: unknown = null;

  constructor(
    private readonly send: (typing: boolean) => void,
    private readonly timers: Timers = realTimers,
  ) {}

  /** A key changed the draft; empty drafts count as stopping. */
  input(draftEmpty: boolean): void {
    if (draftEmpty) {
      this.stop();
      return;
    }
    const now = this.timers.now();
    if (!this.typing || now - this.lastSent >= REPEAT_MS) {
      this.typing = true;
      this.lastSent = now;
      this.send(true);
    }
    if (this.idle !== null) this.timers.clearTimeout(this.idle);
    this.idle = this.timers.setTimeout(() => this.stop(), IDLE_MS);
  }

  /** Sent, cleared, or left the conversation. */
  stop(): void {
    if (this.idle !== null) {
      this.timers.clearTimeout(this.idle);
      this.idle = null;
    }
    if (this.typing) {
      this.typing = false;
      this.lastSent = -Infinity;
      this.send(false);
    }
  }
}
