// Zoom with Ctrl/Cmd + − 0: the whole UI scales, and the choice is kept
// on this device.
import { zoomStep } from './shortcuts';

const KEY = 'sotto.zoom';

export function loadZoom(storage: Pick<Storage, 'getItem'> = localStorage): number {
  const z = Number(storage.getItem(KEY));
  return Number.isFinite(z) && z >= 0.5 && z <= 3 ? z : 1;
}

/** Sets --sotto-zoom, which app.css applies as the root's zoom. */
export function applyZoom(z: number, root: HTMLElement = document.documentElement) {
  if (z === 1) root.style.removeProperty('--sotto-zoom');
  else root.style.setProperty('--sotto-zoom', String(z));
}

/** Zooms one step in (1), out (-1) or back to 100 % (0); returns the new zoom. */
export function zoom(step: 1 | -1 | 0, storage: Pick<Storage, 'getItem' | 'setItem'> = localStorage): number {
  const z = step === 0 ? 1 : zoomStep(loadZoom(storage), step);
  storage.setItem(KEY, String(z));
  applyZoom(z);
  return z;
}
