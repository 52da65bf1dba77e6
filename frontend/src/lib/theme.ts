// Appearance: follow the system's light/dark preference unless the person has
// chosen one. The choice is a display preference only, so it lives in
// localStorage; nothing about it is sensitive.

export type ThemeChoice = 'system' | 'light' | 'dark';

const KEY = 'sotto.theme';
const CHOICES: readonly ThemeChoice[] = ['system', 'light', 'dark'];

export function isThemeChoice(v: unknown): v is ThemeChoice {
  return typeof v === 'string' && (CHOICES as readonly string[]).includes(v);
}

/** The saved choice, or 'system' when nothing (or something unknown) is saved. */
export function loadTheme(storage: Pick<Storage, 'getItem'> = localStorage): ThemeChoice {
  const v = storage.getItem(KEY);
  return isThemeChoice(v) ? v : 'system';
}

/** Saves the choice and applies it to the document root. */
export function applyTheme(
  choice: ThemeChoice,
  root: HTMLElement = document.documentElement,
  storage: Pick<Storage, 'setItem'> = localStorage,
): void {
  storage.setItem(KEY, choice);
  if (choice === 'system') root.removeAttribute('data-theme');
  else root.setAttribute('data-theme', choice);
}
