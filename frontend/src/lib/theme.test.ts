import { describe, expect, it } from 'vitest';
import { applyTheme, isThemeChoice, loadTheme } from './theme';

function memoryStorage(init: Record<string, string> = {}) {
  const m = new Map(Object.entries(init));
  return {
    getItem: (k: string) => m.get(k) ?? null,
    setItem: (k: string, v: string) => void m.set(k, v),
  };
}

describe('theme', () => {
  it('defaults to the system and ignores unknown values', () => {
    expect(loadTheme(memoryStorage())).toBe('system');
    expect(loadTheme(memoryStorage({ 'sotto.theme': 'purple' }))).toBe('system');
    expect(loadTheme(memoryStorage({ 'sotto.theme': 'dark' }))).toBe('dark');
    expect(isThemeChoice('light')).toBe(true);
    expect(isThemeChoice(3)).toBe(false);
  });

  it('applies and saves a choice', () => {
    const root = document.createElement('html');
    const store = memoryStorage();
    applyTheme('dark', root, store);
    expect(root.getAttribute('data-theme')).toBe('dark');
    expect(loadTheme(store)).toBe('dark');
    applyTheme('system', root, store);
    expect(root.hasAttribute('data-theme')).toBe(false);
    expect(loadTheme(store)).toBe('system');
  });
});
