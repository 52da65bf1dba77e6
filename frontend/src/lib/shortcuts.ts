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
      }
    } else {
      switch (key) {
        case 'f':
          return 'search-chat';
        case 'r':
          return 'reply';
        case 'e':
          return 'react';
      }
    }
  }
  // Alt+Shift+arrows select text on some systems: only plain Alt+arrows here.
  if (e.altKey && !e.shiftKey && !e.ctrlKey && !e.metaKey) {
    if (e.key === 'ArrowUp') return 'previous-chat';
    if (e.key === 'ArrowDown') return 'next-chat';
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
