import { describe, expect, it } from 'vitest';
import { composerAction, inTextField, isMacPlatform, neighbour, shellAction, zoomStep } from './shortcuts';
import { loadZoom, zoom } from './zoom';

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
  it('moves between chats with Alt+↑/↓ and between unread ones with Alt+Shift+↑/↓', () => {
    expect(shellAction(key('ArrowUp', { altKey: true }), false)).toBe('previous-chat');
    expect(shellAction(key('ArrowDown', { altKey: true }), false)).toBe('next-chat');
    expect(shellAction(key('ArrowDown', { altKey: true, shiftKey: true }), false)).toBe('next-unread');
    expect(shellAction(key('ArrowUp', { altKey: true, shiftKey: true }), false)).toBe('previous-unread');
    expect(shellAction(key('ArrowDown'), false)).toBeNull();
  });

  it('leaves Alt+Shift+arrows to text fields, where they select text', () => {
    expect(inTextField(document.createElement('textarea'))).toBe(true);
    expect(inTextField(document.createElement('input'))).toBe(true);
    expect(inTextField(document.createElement('div'))).toBe(false);
    expect(inTextField(null)).toBe(false);
  });

  it('zooms with Ctrl + − 0 in steps that stop at the ends', () => {
    expect(shellAction(key('=', { ctrlKey: true }), false)).toBe('zoom-in');
    expect(shellAction(key('+', { ctrlKey: true, shiftKey: true }), false)).toBe('zoom-in');
    expect(shellAction(key('-', { ctrlKey: true }), false)).toBe('zoom-out');
    expect(shellAction(key('0', { metaKey: true }), true)).toBe('zoom-reset');
    expect(zoomStep(1, 1)).toBe(1.1);
    expect(zoomStep(1, -1)).toBe(0.9);
    expect(zoomStep(2, 1)).toBe(2);
    expect(zoomStep(0.67, -1)).toBe(0.67);
    const mem = new Map<string, string>();
    const storage = { getItem: (k: string) => mem.get(k) ?? null, setItem: (k: string, v: string) => void mem.set(k, v) };
    expect(zoom(1, storage)).toBe(1.1);
    expect(zoom(1, storage)).toBe(1.25);
    expect(loadZoom(storage)).toBe(1.25);
    expect(document.documentElement.style.getPropertyValue('--sotto-zoom')).toBe('1.25');
    expect(zoom(0, storage)).toBe(1);
    expect(document.documentElement.style.getPropertyValue('--sotto-zoom')).toBe('');
    mem.set('sotto.zoom', 'junk');
    expect(loadZoom(storage)).toBe(1);
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
