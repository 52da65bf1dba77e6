// A QR code as one SVG path, for the contact panel's safety-number code.
import qrcode from 'qrcode-generator';

export interface QRPath {
  /** Modules per side, without the quiet zone. */
  size: number;
  /** SVG path data: one 1×1 square per dark module, offset by the margin. */
  d: string;
}

export function qrPath(payload: string, margin = 4): QRPath {
  const qr = qrcode(0, 'M');
  qr.addData(payload, 'Byte');
  qr.make();
  const size = qr.getModuleCount();
  let d = '';
  for (let r = 0; r < size; r++) {
    for (let c = 0; c < size; c++) {
      if (qr.isDark(r, c)) d += `M${c + margin} ${r + margin}h1v1h-1z`;
    }
  }
  return { size, d };
}
