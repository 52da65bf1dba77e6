import { describe, expect, it } from 'vitest';
import { composerAction, isMacPlatform, neighbour, shellAction } from './shortcuts';

const key = (k: string, mods: Partial<Record<'ctrlKey' | 'metaKey' | 'altKey' | 'shiftKey', boolean>> = {}) => ({
  key: k,
  ctrlKey: false,
  metaKey: false,
  altKey: false,
  shiftKey: false,
  ...mods,
});

describe('shellAction', () => {
  it('opens settings with Ctrl+, on Linux/Windows and Cmd+, on macOS', () => {
    expect(shellAction(key(',', { ctrlKey: true }), false)).toBe('open-settings');
    expect(shellAction(key(',', { metaKey: true }), false)).toBeNull();
    expect(shellAction(key(',', { metaKey: true }), true)).toBe('open-settings');
    expect(shellAction(key(',', { ctrlKey: true }), true)).toBeNull();
    expect(shellAction(key(',', { ctrlKey: true, shiftKey: true }), false)).toBeNull();
  });
  it('closes panels with a bare Escape', () => {
    expect(shellAction(key('Escape'), false)).toBe('close-panel');
    expect(shellAction(key('Escape', { shiftKey: true }), false)).toBeNull();
    expect(shellAction(key('a'), false)).toBeNull();
  });
  it('recognises macOS', () => {
    expect(isMacPlatform('MacIntel')).toBe(true);
    expect(isMacPlatform('Linux x86_64')).toBe(false);
  });
});

describe('messaging shortcuts', () => {
  it('maps Ctrl+N, Ctrl+F, Ctrl+Shift+F, Ctrl+K, Ctrl+Shift+R (Cmd on macOS)', () => {
    expect(shellAction(key('n', { ctrlKey: true }), false)).toBe('new-conversation');
    expect(shellAction(key('f', { ctrlKey: true }), false)).toBe('search-all');
    expect(shellAction(key('F', { ctrlKey: true, shiftKey: true }), false)).toBe('search-chat');
    expect(shellAction(key('k', { ctrlKey: true }), false)).toBe('quick-switcher');
    expect(shellAction(key('R', { ctrlKey: true, shiftKey: true }), false)).toBe('reply');
    expect(shellAction(key('E', { ctrlKey: true, shiftKey: true }), false)).toBe('react');
    expect(shellAction(key('/', { ctrlKey: true }), false)).toBe('show-shortcuts');
    expect(shellAction(key('n', { metaKey: true }), true)).toBe('new-conversation');
    expect(shellAction(key('n', { ctrlKey: true }), true)).toBeNull();
    expect(shellAction(key('n'), false)).toBeNull();
  });
  it('moves between chats with Alt+↑/↓ but leaves Alt+Shift+arrows to the system', () => {
    expect(shellAction(key('ArrowUp', { altKey: true }), false)).toBe('previous-chat');
    expect(shellAction(key('ArrowDown', { altKey: true }), false)).toBe('next-chat');
    expect(shellAction(key('ArrowDown', { altKey: true, shiftKey: true }), false)).toBeNull();
    expect(shellAction(key('ArrowDown'), false)).toBeNull();
  });
});

describe('composerAction', () => {
  it('sends on Enter, breaks the line on Shift+Enter, leaves IME composition alone', () => {
    expect(composerAction(key('Enter'), false)).toBe('send');
    expect(composerAction(key('Enter', { shiftKey: true }), false)).toBe('newline');
    expect(composerAction({ ...key('Enter'), isComposing: true }, false)).toBeNull();
  });
  it('edits the last message on ↑ only when the composer is empty; Esc cancels', () => {
    expect(composerAction(key('ArrowUp'), true)).toBe('edit-last');
    expect(composerAction(key('ArrowUp'), false)).toBeNull();
    expect(composerAction(key('Escape'), false)).toBe('cancel');
    expect(composerAction(key('a'), true)).toBeNull();
  });
});

describe('neighbour', () => {
  it('steps through the list and wraps', () => {
    expect(neighbour([5, 7, 9], 7, 1)).toBe(9);
    expect(neighbour([5, 7, 9], 9, 1)).toBe(5);
    expect(neighbour([5, 7, 9], 5, -1)).toBe(9);
    expect(neighbour([5, 7, 9], null, 1)).toBe(5);
    expect(neighbour([5, 7, 9], null, -1)).toBe(9);
    expect(neighbour([], null, 1)).toBeNull();
  });
});
