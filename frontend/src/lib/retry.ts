// The Retry action for failed outgoing messages. The conversation pane
// provides it; each bubble (however deep in the message list) takes it from
// the component context, so the list in between need not pass it along.
import { getContext, setContext } from 'svelte';
import type { Message } from './api';

const key = Symbol('sotto:retry');

/** Called by the conversation pane: f sends m again. */
export function provideRetry(f: (m: Message) => void): void {
  setContext(key, f);
}

/** The Retry action of the enclosing conversation, if there is one. */
export function retryAction(): ((m: Message) => void) | undefined {
  return getContext(key);
}
