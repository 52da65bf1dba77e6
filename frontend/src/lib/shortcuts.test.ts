import { describe, expect, it } from 'vitest';
import { isMacPlatform, shellAction } from './shortcuts';

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
