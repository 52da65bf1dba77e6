import { describe, expect, it, vi } from 'vitest';
import { menuKey, onMenuKeydown } from './menukeys';

describe('menuKey', () => {
  it('moves and wraps with the arrows', () => {
    expect(menuKey('ArrowDown', 0, 3)).toEqual({ focus: 1 });
    expect(menuKey('ArrowDown', 2, 3)).toEqual({ focus: 0 });
    expect(menuKey('ArrowUp', 0, 3)).toEqual({ focus: 2 });
    expect(menuKey('ArrowUp', 2, 3)).toEqual({ focus: 1 });
  });
  it('starts at the ends when nothing has focus', () => {
    expect(menuKey('ArrowDown', -1, 3)).toEqual({ focus: 0 });
    expect(menuKey('ArrowUp', -1, 3)).toEqual({ focus: 2 });
  });
  it('jumps with Home and End', () => {
    expect(menuKey('Home', 2, 4)).toEqual({ focus: 0 });
    expect(menuKey('End', 0, 4)).toEqual({ focus: 3 });
  });
  it('closes on Esc (back to the button) and Tab (focus moves on)', () => {
    expect(menuKey('Escape', 1, 3)).toEqual({ close: 'refocus' });
    expect(menuKey('Tab', 1, 3)).toEqual({ close: 'leave' });
    expect(menuKey('Escape', -1, 0)).toEqual({ close: 'refocus' });
  });
  it('ignores other keys and moves in an empty menu', () => {
    expect(menuKey('a', 0, 3)).toBeNull();
    expect(menuKey('ArrowDown', -1, 0)).toBeNull();
    expect(menuKey('End', -1, 0)).toBeNull();
  });
});

describe('onMenuKeydown', () => {
  function menu(n: number) {
    const m = document.createElement('div');
    for (let i = 0; i < n; i++) {
      const b = document.createElement('button');
      b.setAttribute('role', 'menuitem');
      m.append(b);
    }
    document.body.append(m);
    return m;
  }
  it('focuses the next item', () => {
    const m = menu(3);
    const items = m.querySelectorAll<HTMLElement>('[role="menuitem"]');
    items[1].focus();
    const e = new KeyboardEvent('keydown', { key: 'ArrowDown', cancelable: true });
    onMenuKeydown(e, m, '[role="menuitem"]', () => {});
    expect(document.activeElement).toBe(items[2]);
    expect(e.defaultPrevented).toBe(true);
    m.remove();
  });
  it('closes with focus back on Esc and without on Tab', () => {
    const m = menu(2);
    const close = vi.fn();
    const esc = new KeyboardEvent('keydown', { key: 'Escape', cancelable: true });
    onMenuKeydown(esc, m, '[role="menuitem"]', close);
    expect(close).toHaveBeenLastCalledWith(true);
    expect(esc.defaultPrevented).toBe(true);
    const tab = new KeyboardEvent('keydown', { key: 'Tab', cancelable: true });
    onMenuKeydown(tab, m, '[role="menuitem"]', close);
    expect(close).toHaveBeenLastCalledWith(false);
    expect(tab.defaultPrevented).toBe(false);
    m.remove();
  });
});
