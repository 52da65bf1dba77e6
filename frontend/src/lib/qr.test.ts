import { describe, expect, it } from 'vitest';
import { qrPath } from './qr';

describe('qrPath', () => {
  it('draws a QR code whose finder patterns sit in three corners', () => {
    const { size, d } = qrPath('c290dG8tc2FmZXR5LW51bWJlcg==', 0);
    expect(size).toBeGreaterThanOrEqual(21);
    expect((size - 17) % 4).toBe(0);
    const dark = new Set(Array.from(d.matchAll(/M(\d+) (\d+)/g), (m) => `${m[1]},${m[2]}`));
    // Each finder pattern's corner and centre are dark; the separator is light.
    for (const [x, y] of [[0, 0], [size - 1, 0], [0, size - 1], [3, 3], [size - 4, 3], [3, size - 4]]) {
      expect(dark.has(`${x},${y}`), `${x},${y}`).toBe(true);
    }
    expect(dark.has('7,7')).toBe(false);
  });
  it('encodes different payloads differently and offsets by the margin', () => {
    expect(qrPath('a').d).not.toBe(qrPath('b').d);
    expect(qrPath('a', 4).d.startsWith('M4 4')).toBe(true);
  });
});
