// Keyboard shortcuts (the full list is in ../shared/UI.md). Pure: maps a key
// event to an action; the components decide what the action does.

export type ShellAction =
  | 'open-settings'
  | 'close-panel'
  | 'new-conversation'
  | 'search-all'
  | 'search-chat'
  | 'quick-switcher'
  | 'previous-chat'
  | 'next-chat'
  | 'previous-unread'
  | 'next-unread'
  | 'zoom-in'
  | 'zoom-out'
  | 'zoom-reset'
  | 'reply'
  | 'react'
  | 'show-shortcuts'
  | null;

interface KeyLike {
  key: string;
  ctrlKey: boolean;
  metaKey: boolean;
  altKey: boolean;
  shiftKey: boolean;
}

/** Ctrl on Windows/Linux, Cmd on macOS. */
export function primaryModifier(e: KeyLike, isMac: boolean): boolean {
  return isMac ? e.metaKey && !e.ctrlKey : e.ctrlKey && !e.metaKey;
}

function none(e: KeyLike): boolean {
  return !e.ctrlKey && !e.metaKey && !e.altKey && !e.shiftKey;
}

export function shellAction(e: KeyLike, isMac: boolean): ShellAction {
  const key = e.key.length === 1 ? e.key.toLowerCase() : e.key;
  if (primaryModifier(e, isMac) && !e.altKey) {
    if (!e.shiftKey) {
      switch (key) {
        case ',':
          return 'open-settings';
        case 'n':
          return 'new-conversation';
        case 'f':
          return 'search-all';
        case 'k':
          return 'quick-switcher';
        case '/':
          return 'show-shortcuts';
        case '=':
        case '+':
          return 'zoom-in';
        case '-':
          return 'zoom-out';
        case '0':
          return 'zoom-reset';
      }
    } else {
      switch (key) {
        case 'f':
          return 'search-chat';
        case 'r':
          return 'reply';
        case 'e':
          return 'react';
        case '+': // Shift+= on most layouts
          return 'zoom-in';
      }
    }
  }
  if (e.altKey && !e.ctrlKey && !e.metaKey) {
    // Alt+Shift+arrows also select text on some systems: the shell only
    // takes them outside text fields (see inTextField).
    if (e.key === 'ArrowUp') return e.shiftKey ? 'previous-unread' : 'previous-chat';
    if (e.key === 'ArrowDown') return e.shiftKey ? 'next-unread' : 'next-chat';
  }
  if (e.key === 'Escape' && none(e)) return 'close-panel';
  return null;
}

export type ComposerAction = 'send' | 'newline' | 'edit-last' | 'cancel' | null;

/** Keys inside the composer: Enter sends, Shift+Enter breaks the line, ↑ in
 *  an empty composer edits the last message, Esc cancels a reply or edit.
 *  Enter while an input method is composing belongs to the IME. */
export function composerAction(e: KeyLike & { isComposing?: boolean }, empty: boolean): ComposerAction {
  if (e.isComposing) return null;
  if (e.key === 'Enter' && !e.ctrlKey && !e.metaKey && !e.altKey) return e.shiftKey ? 'newline' : 'send';
  if (e.key === 'ArrowUp' && empty && none(e)) return 'edit-last';
  if (e.key === 'Escape' && none(e)) return 'cancel';
  return null;
}

/** Whether a key event belongs to a text field (where Alt+Shift+arrows
 *  select text and must be left alone). */
export function inTextField(target: EventTarget | null): boolean {
  const el = target as HTMLElement | null;
  if (!el || typeof el.tagName !== 'string') return false;
  return el.tagName === 'TEXTAREA' || el.tagName === 'INPUT' || el.isContentEditable === true;
}

/** Zoom steps for Ctrl + − 0. */
export const ZOOM_STEPS = [0.67, 0.8, 0.9, 1, 1.1, 1.25, 1.5, 1.75, 2];

/** The zoom one step from current (clamped to the steps). */
export function zoomStep(current: number, step: 1 | -1): number {
  let i = ZOOM_STEPS.findIndex((z) => z >= current - 1e-6);
  if (i < 0) i = ZOOM_STEPS.length - 1;
  return ZOOM_STEPS[Math.min(ZOOM_STEPS.length - 1, Math.max(0, i + step))];
}

/** The neighbour of current in ids (wrapping), for Alt+↑/↓. */
export function neighbour(ids: number[], current: number | null, step: 1 | -1): number | null {
  if (ids.length === 0) return null;
  const i = current === null ? -1 : ids.indexOf(current);
  if (i < 0) return step === 1 ? ids[0] : ids[ids.length - 1];
  return ids[(i + step + ids.length) % ids.length];
}

export function isMacPlatform(platform: string = navigator.platform): boolean {
  return /^Mac/i.test(platform);
}

/** What Ctrl+/ lists; "Ctrl" reads "Cmd" on macOS. */
export const SHORTCUTS: [keys: string, what: string][] = [
  ['Ctrl+N', 'New conversation'],
  ['Ctrl+K', 'Go to a conversation'],
  ['Ctrl+F', 'Search all conversations'],
  ['Ctrl+Shift+F', 'Search this conversation'],
  ['Alt+↑ / Alt+↓', 'Previous / next conversation'],
  ['Alt+Shift+↑ / Alt+Shift+↓', 'Previous / next unread conversation (outside text fields)'],
  ['Ctrl+= / Ctrl+− / Ctrl+0', 'Zoom in / out / reset'],
  ['Enter', 'Send'],
  ['Shift+Enter', 'New line'],
  ['↑ (empty composer)', 'Edit your last message'],
  ['↑ / ↓ (in messages)', 'Move between messages'],
  ['Ctrl+Shift+R', 'Reply to the focused message'],
  ['Ctrl+Shift+E', 'React to the focused message'],
  ['Esc', 'Close a panel, cancel a reply or an edit'],
  ['Ctrl+Shift+M', 'In a call: mute or unmute'],
  ['Ctrl+Shift+V', 'In a call: camera on or off'],
  ['Ctrl+Shift+H', 'In a call: hang up'],
  ['Ctrl+,', 'Settings'],
  ['Ctrl+/', 'This list'],
];
