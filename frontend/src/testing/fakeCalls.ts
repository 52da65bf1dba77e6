// A fake app.Calls beside fakeGo's Chats: records calls, answers like the Go
// service, and emits "sotto:call" events through the fake Wails runtime.
import type { CallView, DeviceView, VideoEndpoint } from '../lib/api';
import type { Fake } from './fakeGo';

export interface FakeCalls {
  emit(v: Partial<CallView> & { id: string }): void;
  devices: DeviceView[];
  endpoint: VideoEndpoint | null;
  active: CallView[];
}

type G = { go: { app: Record<string, unknown> }; runtime: { EventsOnMultiple: (n: string, cb: (p: unknown) => void, max: number) => () => void } };

export function callView(p: Partial<CallView> & { id: string }): CallView {
  return {
    conversation: 1,
    handle: 'bob',
    outgoing: true,
    video: false,
    remoteVideo: false,
    state: 'calling',
    endReason: '',
    startedAt: Date.now(),
    connectedAt: 0,
    muted: false,
    quality: '',
    note: '',
    ...p,
  } as CallView;
}

/** Adds Calls to a fake made by installFake. */
export function installFakeCalls(fake: Fake): FakeCalls {
  const g = globalThis as unknown as G;
  const listeners: ((v: CallView) => void)[] = [];
  const fc: FakeCalls = {
    emit: (v) => listeners.forEach((l) => l(callView(v))),
    devices: [
      { id: 'mic-1', kind: 'microphone', label: 'Built-in microphone', default: true },
      { id: 'mic-2', kind: 'microphone', label: 'USB headset', default: false },
      { id: 'cam-1', kind: 'camera', label: 'Integrated camera', default: true },
      { id: 'spk-1', kind: 'speaker', label: 'Speakers', default: true },
    ],
    endpoint: null,
    active: [],
  };
  let next = 1;
  const defaults: Record<string, (...a: never[]) => unknown> = {
    Start: (conv: number, video: boolean) => callView({ id: `c${next++}`, conversation: conv, video, handle: 'bob' }),
    Accept: () => undefined,
    Decline: () => undefined,
    Hangup: () => undefined,
    SetMuted: () => undefined,
    SetCamera: () => undefined,
    Active: () => fc.active,
    Devices: () => fc.devices,
    SetDevice: () => undefined,
    VideoEndpoint: () => fc.endpoint,
  };
  const Calls: Record<string, (...a: unknown[]) => Promise<unknown>> = {};
  for (const name of Object.keys(defaults)) {
    Calls[name] = async (...args: unknown[]) => {
      fake.calls.push({ name, args });
      const f = fake.override[name] ?? (defaults[name] as (...a: unknown[]) => unknown);
      return f(...args);
    };
  }
  g.go.app.Calls = Calls;
  const inner = g.runtime.EventsOnMultiple;
  g.runtime.EventsOnMultiple = (name, cb, max) => {
    if (name !== 'sotto:call') return inner(name, cb, max);
    listeners.push(cb as (v: CallView) => void);
    return () => listeners.splice(listeners.indexOf(cb as (v: CallView) => void), 1);
  };
  return fc;
}
