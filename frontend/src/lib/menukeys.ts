// The keys of an open ARIA menu (the WAI-ARIA menu pattern), shared by every
// menu so that all of them move and close the same way.

/** What a key does in an open menu. */
export type MenuKeyAction = { focus: number } | { close: 'refocus' | 'leave' } | null;

/**
 * menuKey says what `key` does in an open menu of `count` items whose item
 * `index` has focus (-1: none): ↓/↑ move and wrap, Home/End jump, Esc closes
 * and gives focus back to the menu button, Tab closes and lets focus move on.
 */
export function menuKey(key: string, index: number, count: number): MenuKeyAction {
  switch (key) {
    case 'Escape':
      return { close: 'refocus' };
    case 'Tab':
      return { close: 'leave' };
  }
  if (count === 0) return null;
  switch (key) {
    case 'ArrowDown':
      return { focus: index < 0 ? 0 : (index + 1) % count };
    case 'ArrowUp':
      return { focus: index < 0 ? count - 1 : (index - 1 + count) % count };
    case 'Home':
      return { focus: 0 };
    case 'End':
      return { focus: count - 1 };
  }
  return null;
}

/**
 * onMenuKeydown applies menuKey to a keydown inside `menu`, whose items match
 * `itemSelector`; `close(refocus)` closes the menu.
 */
export function onMenuKeydown(e: KeyboardEvent, menu: HTMLElement, itemSelector: string, close: (refocus: boolean) => void) {
  const items = Array.from(menu.querySelectorAll<HTMLElement>(itemSelector));
  const action = menuKey(e.key, items.indexOf(document.activeElement as HTMLElement), items.length);
  if (!action) return;
  if ('focus' in action) {
    e.preventDefault();
    items[action.focus].focus();
    return;
  }
  if (action.close === 'refocus') {
    e.preventDefault();
    e.stopPropagation();
  }
  close(action.close === 'refocus');
}
