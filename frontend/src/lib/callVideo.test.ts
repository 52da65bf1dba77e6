import { describe, expect, it } from 'vitest';
import { BridgeVideo, FRAME_HEADER, isSoftwareRenderer, parseFrame, type BridgeFrame, type Drawer } from './callVideo';

function frameMessage(w: number, h: number, n: number, captured = 1_700_000_000_123.5, format = 1): ArrayBuffer {
  const cw = (w + 1) >> 1;
  const ch = (h + 1) >> 1;
  const buf = new ArrayBuffer(FRAME_HEADER + w * h + 2 * cw * ch);
  const d = new DataView(buf);
  d.setUint8(0, 1);
  d.setUint8(1, format);
  d.setUint16(2, w, true);
  d.setUint16(4, h, true);
  d.setUint32(8, n, true);
  d.setFloat64(12, captured, true);
  new Uint8Array(buf, FRAME_HEADER).fill(n & 0xff);
  return buf;
}

class FakeSocket {
  sent: string[] = [];
  readyState = 1;
  binaryType = '';
  closed = false;
  onopen: (() => void) | null = null;
  onmessage: ((e: { data: unknown }) => void) | null = null;
  onclose: (() => void) | null = null;
  constructor(public url: string) {}
  send(s: string) {
    this.sent.push(s);
  }
  close() {
    this.closed = true;
    this.onclose?.();
  }
}

function harness(retryMs = 0) {
  const sockets: FakeSocket[] = [];
  const queued: (() => void)[] = [];
  const drawn: BridgeFrame[] = [];
  const statuses: string[] = [];
  const drawer: Drawer = { kind: 'canvas', draw: (f) => drawn.push(f) };
  const v = new BridgeVideo({ url: 'ws://127.0.0.1:4000/video', token: 'secret-token' }, 'c0ffee', 'remote', {} as HTMLCanvasElement, {
    makeSocket: (u) => {
      const s = new FakeSocket(u);
      sockets.push(s);
      return s as unknown as WebSocket;
    },
    schedule: (f) => queued.push(f),
    drawer,
    onStatus: (s) => statuses.push(s),
    retryMs,
  });
  const flush = () => queued.splice(0).forEach((f) => f());
  return { v, sockets, drawn, statuses, flush };
}

describe('parseFrame', () => {
  it('reads the bridge header and planes', () => {
    const f = parseFrame(frameMessage(33, 17, 7))!;
    expect(f).not.toBeNull();
    expect([f.width, f.height, f.number, f.captured]).toEqual([33, 17, 7, 1_700_000_000_123.5]);
    expect(f.planes.length).toBe(33 * 17 + 2 * 17 * 9);
  });

  it('refuses malformed frames', () => {
    expect(parseFrame(new ArrayBuffer(5))).toBeNull();
    expect(parseFrame(frameMessage(4, 4, 1, 0, 2))).toBeNull(); // jpeg is not what the app asks for
    expect(parseFrame(frameMessage(4, 4, 1).slice(0, FRAME_HEADER + 10))).toBeNull();
    const bad = frameMessage(4, 4, 1);
    new DataView(bad).setUint8(0, 9);
    expect(parseFrame(bad)).toBeNull();
    const zero = frameMessage(4, 4, 1);
    new DataView(zero).setUint16(2, 0, true);
    expect(parseFrame(zero)).toBeNull();
  });
});

describe('BridgeVideo', () => {
  it('sends the token in the first message, never in the URL', () => {
    const { sockets, v } = harness();
    expect(sockets[0].url).toBe('ws://127.0.0.1:4000/video');
    expect(sockets[0].url).not.toContain('secret');
    sockets[0].onopen!();
    expect(JSON.parse(sockets[0].sent[0])).toEqual({ token: 'secret-token', call: 'c0ffee', stream: 'remote', format: 'i420', ack: true });
    expect(sockets[0].binaryType).toBe('arraybuffer');
    v.close();
  });

  it('draws the newest frame on the next animation frame and skips ones it could not show', () => {
    const { sockets, drawn, statuses, flush, v } = harness();
    const s = sockets[0];
    s.onopen!();
    s.onmessage!({ data: '{"event":"ready"}' });
    s.onmessage!({ data: frameMessage(4, 4, 1) });
    s.onmessage!({ data: frameMessage(4, 4, 2) });
    s.onmessage!({ data: frameMessage(4, 4, 3) });
    flush();
    expect(drawn.map((f) => f.number)).toEqual([3]);
    expect(v.skipped).toBe(2);
    // Each of the three frames answered once: two skipped, one drawn.
    expect(s.sent.slice(1)).toEqual(['ack', 'ack', 'ack']);
    s.onmessage!({ data: frameMessage(4, 4, 4) });
    s.onmessage!({ data: new ArrayBuffer(3) }); // garbage is ignored
    flush();
    expect(drawn.map((f) => f.number)).toEqual([3, 4]);
    expect(v.drawn).toBe(2);
    s.onmessage!({ data: '{"event":"ended"}' });
    s.onmessage!({ data: 'not json' });
    expect(statuses).toEqual(['connecting', 'waiting', 'playing', 'stopped']);
    v.close();
    expect(s.closed).toBe(true);
  });

  it('reconnects after an unexpected close, not after close()', async () => {
    const { sockets, v } = harness(5);
    sockets[0].onclose!();
    await new Promise((r) => setTimeout(r, 20));
    expect(sockets.length).toBe(2);
    v.close();
    await new Promise((r) => setTimeout(r, 20));
    expect(sockets.length).toBe(2);
  });

  it('falls back to the 2D canvas on software GL', () => {
    expect(isSoftwareRenderer('Google SwiftShader')).toBe(true);
    expect(isSoftwareRenderer('llvmpipe (LLVM 15.0.6, 256 bits)')).toBe(true);
    expect(isSoftwareRenderer('Mesa Intel(R) UHD Graphics 620')).toBe(false);
  });
});

describe('BridgeVideo without a way to draw', () => {
  it('says so and does not connect', () => {
    const statuses: string[] = [];
    let sockets = 0;
    // jsdom's canvas has neither WebGL nor 2D.
    new BridgeVideo({ url: 'ws://127.0.0.1:1/video', token: 't' }, '01', 'local', document.createElement('canvas'), {
      makeSocket: () => {
        sockets++;
        return {} as WebSocket;
      },
      onStatus: (s) => statuses.push(s),
    });
    expect(statuses).toEqual(['unsupported']);
    expect(sockets).toBe(0);
  });
});
