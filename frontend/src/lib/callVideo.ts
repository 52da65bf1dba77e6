// Draws a call's video from the media bridge (calls/bridge in Go): a loopback
// WebSocket that sends decoded I420 frames. The token goes in the first
// message, never in the URL. Frames are drawn on the next animation frame; one
// that arrives before then replaces the one waiting, and every frame is
// acknowledged when drawn or skipped (the bridge sends at most two ahead), so
// a busy page shows the newest picture rather than every picture later and later.
// The wire format and the measurements behind it: docs/CALLS-VIDEO.md.
import type { VideoEndpoint } from './api';

export const FRAME_HEADER = 20;
const FORMAT_I420 = 1;
const MAX_DIMENSION = 8192;

export interface BridgeFrame {
  width: number;
  height: number;
  number: number;
  /** Unix ms when Go captured or decoded it. */
  captured: number;
  /** Y, U and V planes, packed. */
  planes: Uint8Array;
}

/** Reads one frame message; null for anything malformed. */
export function parseFrame(buf: ArrayBuffer): BridgeFrame | null {
  if (buf.byteLength < FRAME_HEADER) return null;
  const d = new DataView(buf);
  if (d.getUint8(0) !== 1 || d.getUint8(1) !== FORMAT_I420) return null;
  const width = d.getUint16(2, true);
  const height = d.getUint16(4, true);
  if (!width || !height || width > MAX_DIMENSION || height > MAX_DIMENSION) return null;
  const cw = (width + 1) >> 1;
  const ch = (height + 1) >> 1;
  if (buf.byteLength - FRAME_HEADER !== width * height + 2 * cw * ch) return null;
  return { width, height, number: d.getUint32(8, true), captured: d.getFloat64(12, true), planes: new Uint8Array(buf, FRAME_HEADER) };
}

export interface Drawer {
  kind: 'webgl' | 'canvas';
  draw(f: BridgeFrame): void;
}

/** BT.601 limited range, as libvpx decodes. */
function yuvToRgb(y: number, u: number, v: number): [number, number, number] {
  const yy = 1.1643 * (y - 16);
  const uu = u - 128;
  const vv = v - 128;
  return [yy + 1.5958 * vv, yy - 0.39173 * uu - 0.8129 * vv, yy + 2.017 * uu];
}

/** Converts in JavaScript and puts the pixels on a 2D canvas: no GPU needed. */
export function canvasDrawer(canvas: HTMLCanvasElement): Drawer | null {
  const ctx = canvas.getContext('2d');
  if (!ctx) return null;
  let img: ImageData | null = null;
  return {
    kind: 'canvas',
    draw(f) {
      const { width: w, height: h, planes: p } = f;
      const cw = (w + 1) >> 1;
      if (!img || img.width !== w || img.height !== h) {
        canvas.width = w;
        canvas.height = h;
        img = ctx.createImageData(w, h);
      }
      const out = img.data;
      const uo = w * h;
      const vo = uo + cw * ((h + 1) >> 1);
      for (let y = 0; y < h; y++) {
        for (let x = 0; x < w; x++) {
          const c = (y >> 1) * cw + (x >> 1);
          const [r, g, b] = yuvToRgb(p[y * w + x], p[uo + c], p[vo + c]);
          const o = (y * w + x) * 4;
          out[o] = r;
          out[o + 1] = g;
          out[o + 2] = b;
          out[o + 3] = 255;
        }
      }
      ctx.putImageData(img, 0, 0);
    },
  };
}

const VERTEX = 'attribute vec2 p; varying vec2 t; void main(){ t = vec2((p.x+1.0)/2.0, (1.0-p.y)/2.0); gl_Position = vec4(p,0.0,1.0); }';
const FRAGMENT =
  'precision mediump float; varying vec2 t; uniform sampler2D y,u,v;' +
  'void main(){ float Y = 1.1643*(texture2D(y,t).r-0.0625); float U = texture2D(u,t).r-0.5; float V = texture2D(v,t).r-0.5;' +
  'gl_FragColor = vec4(Y+1.5958*V, Y-0.39173*U-0.8129*V, Y+2.017*U, 1.0); }';

/** Software GL costs more CPU than the 2D canvas (measured: docs/CALLS-VIDEO.md). */
export function isSoftwareRenderer(renderer: string): boolean {
  return /swiftshader|llvmpipe|softpipe|software/i.test(renderer);
}

/** Uploads the three planes as textures and converts in a shader: the GPU does the work. */
export function webglDrawer(canvas: HTMLCanvasElement): Drawer | null {
  // Ask a throwaway canvas first: once a canvas has a WebGL context it can
  // never have a 2D one, and software GL means the 2D canvas is wanted.
  const probe = document.createElement('canvas').getContext('webgl');
  if (!probe) return null;
  const info = probe.getExtension('WEBGL_debug_renderer_info');
  const renderer = String(probe.getParameter(info ? info.UNMASKED_RENDERER_WEBGL : probe.RENDERER) ?? '');
  probe.getExtension('WEBGL_lose_context')?.loseContext();
  if (isSoftwareRenderer(renderer)) return null;
  const gl = canvas.getContext('webgl', { antialias: false, depth: false, preserveDrawingBuffer: true });
  if (!gl) return null;
  const prog = gl.createProgram()!;
  for (const [type, src] of [
    [gl.VERTEX_SHADER, VERTEX],
    [gl.FRAGMENT_SHADER, FRAGMENT],
  ] as const) {
    const s = gl.createShader(type)!;
    gl.shaderSource(s, src);
    gl.compileShader(s);
    gl.attachShader(prog, s);
  }
  gl.linkProgram(prog);
  if (!gl.getProgramParameter(prog, gl.LINK_STATUS)) return null;
  gl.useProgram(prog);
  gl.bindBuffer(gl.ARRAY_BUFFER, gl.createBuffer());
  gl.bufferData(gl.ARRAY_BUFFER, new Float32Array([-1, -1, 1, -1, -1, 1, 1, 1]), gl.STATIC_DRAW);
  const loc = gl.getAttribLocation(prog, 'p');
  gl.enableVertexAttribArray(loc);
  gl.vertexAttribPointer(loc, 2, gl.FLOAT, false, 0, 0);
  gl.pixelStorei(gl.UNPACK_ALIGNMENT, 1);
  const tex = ['y', 'u', 'v'].map((name, i) => {
    const t = gl.createTexture();
    gl.activeTexture(gl.TEXTURE0 + i);
    gl.bindTexture(gl.TEXTURE_2D, t);
    gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_MIN_FILTER, gl.LINEAR);
    gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_MAG_FILTER, gl.LINEAR);
    gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_WRAP_S, gl.CLAMP_TO_EDGE);
    gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_WRAP_T, gl.CLAMP_TO_EDGE);
    gl.uniform1i(gl.getUniformLocation(prog, name), i);
    return t;
  });
  return {
    kind: 'webgl',
    draw(f) {
      const { width: w, height: h, planes: p } = f;
      const cw = (w + 1) >> 1;
      const ch = (h + 1) >> 1;
      if (canvas.width !== w || canvas.height !== h) {
        canvas.width = w;
        canvas.height = h;
        gl.viewport(0, 0, w, h);
      }
      const parts: [Uint8Array, number, number][] = [
        [p.subarray(0, w * h), w, h],
        [p.subarray(w * h, w * h + cw * ch), cw, ch],
        [p.subarray(w * h + cw * ch), cw, ch],
      ];
      parts.forEach(([data, pw, ph], i) => {
        gl.activeTexture(gl.TEXTURE0 + i);
        gl.bindTexture(gl.TEXTURE_2D, tex[i]);
        gl.texImage2D(gl.TEXTURE_2D, 0, gl.LUMINANCE, pw, ph, 0, gl.LUMINANCE, gl.UNSIGNED_BYTE, data);
      });
      gl.drawArrays(gl.TRIANGLE_STRIP, 0, 4);
    },
  };
}

export type BridgeStatus = 'connecting' | 'waiting' | 'playing' | 'stopped' | 'closed' | 'unsupported';

export interface BridgeOptions {
  /** Called after each frame is drawn. */
  onFrame?: (f: BridgeFrame, drawn: number) => void;
  /** connecting → waiting (authorised, no picture yet) → playing; stopped when the sender stops. */
  onStatus?: (s: BridgeStatus) => void;
  /** Tests inject these; the app uses the browser's. */
  makeSocket?: (url: string) => WebSocket;
  schedule?: (f: () => void) => void;
  drawer?: Drawer;
  /** Reconnect after an unexpected close (ms; 0 disables). */
  retryMs?: number;
}

/** One stream of one call drawn on a canvas, until close(). */
export class BridgeVideo {
  drawn = 0;
  skipped = 0;
  private ws: WebSocket | null = null;
  private pending: BridgeFrame | null = null;
  private scheduled = false;
  private closed = false;
  private retry: ReturnType<typeof setTimeout> | undefined;
  private drawer: Drawer | null;
  private state: BridgeStatus | null = null;

  constructor(
    private endpoint: VideoEndpoint,
    private call: string,
    private stream: 'local' | 'remote',
    canvas: HTMLCanvasElement,
    private opts: BridgeOptions = {},
  ) {
    this.drawer = opts.drawer ?? webglDrawer(canvas) ?? canvasDrawer(canvas);
    if (!this.drawer) {
      this.status('unsupported');
      return;
    }
    this.connect();
  }

  private status(s: BridgeStatus) {
    if (s === this.state) return;
    this.state = s;
    this.opts.onStatus?.(s);
  }

  private connect() {
    this.status('connecting');
    const ws = (this.opts.makeSocket ?? ((u) => new WebSocket(u)))(this.endpoint.url);
    this.ws = ws;
    ws.binaryType = 'arraybuffer';
    ws.onopen = () => ws.send(JSON.stringify({ token: this.endpoint.token, call: this.call, stream: this.stream, format: 'i420', ack: true }));
    ws.onmessage = (e: MessageEvent) => {
      if (typeof e.data === 'string') {
        let ev = '';
        try {
          ev = JSON.parse(e.data).event;
        } catch {
          return;
        }
        if (ev === 'ready') this.status('waiting');
        if (ev === 'ended') this.status('stopped');
        return;
      }
      const f = parseFrame(e.data as ArrayBuffer);
      if (f) this.offer(f);
    };
    ws.onclose = () => {
      if (this.ws !== ws) return;
      this.ws = null;
      if (this.closed) return;
      this.status('closed');
      const ms = this.opts.retryMs ?? 1000;
      if (ms > 0) this.retry = setTimeout(() => !this.closed && this.connect(), ms);
    };
  }

  /** Tells the bridge a frame is done with (drawn or skipped): it keeps at
   *  most two unanswered, so a page that falls behind gets the newest next. */
  private ack() {
    if (this.ws?.readyState === 1) this.ws.send('ack');
  }

  private offer(f: BridgeFrame) {
    if (this.pending) {
      this.skipped++;
      this.ack();
    }
    this.pending = f;
    if (this.scheduled) return;
    this.scheduled = true;
    (this.opts.schedule ?? requestAnimationFrame)(() => this.paint());
  }

  private paint() {
    this.scheduled = false;
    const f = this.pending;
    this.pending = null;
    if (!f || this.closed) return;
    this.drawer!.draw(f);
    this.drawn++;
    this.ack();
    this.status('playing');
    this.opts.onFrame?.(f, this.drawn);
  }

  close() {
    this.closed = true;
    clearTimeout(this.retry);
    const ws = this.ws;
    this.ws = null;
    ws?.close();
  }
}
