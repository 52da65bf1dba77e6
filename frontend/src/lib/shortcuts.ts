// Keyboard shortcuts of the shell (the full list is in ../shared/UI.md; each
// lands with the feature it drives). Pure: maps a key event to an action.

export type ShellAction = 'open-settings' | 'close-panel' | null;

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

export function shellAction(e: KeyLike, isMac: boolean): ShellAction {
  if (e.key === ',' && primaryModifier(e, isMac) && !e.altKey && !e.shiftKey) return 'open-settings';
  if (e.key === 'Escape' && !e.ctrlKey && !e.metaKey && !e.altKey && !e.shiftKey) return 'close-panel';
  return null;
}

export function isMacPlatform(platform: string = navigator.platform): boolean {
  return /^Mac/i.test(platform);
}
