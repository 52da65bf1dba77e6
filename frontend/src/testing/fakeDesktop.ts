// The desktop shell's side of the fake backend (desktop.Service, Chats.PreCall
// and the sotto:open / sotto:dnd events), added on top of installFake.
import type { DesktopSettings, DNDView, OpenRequest, PreCallView } from '../lib/api';
import type { Fake } from './fakeGo';

export interface FakeDesktop {
  pending: OpenRequest;
  settings: DesktopSettings;
  dnd: DNDView;
  preCalls: Record<string, PreCallView>;
  open(r: OpenRequest): void;
}

type G = { go: { app: { Chats: Record<string, unknown> }; desktop?: unknown }; runtime: Record<string, unknown> };

export function installDesktop(fake: Fake): FakeDesktop {
  const g = globalThis as unknown as G;
  const listeners = new Map<string, ((p: unknown) => void)[]>();
  const d: FakeDesktop = {
    pending: { kind: '', source: '' } as OpenRequest,
    settings: { closeToTray: false, startAtLogin: false, startMinimised: false, doNotDisturbUntil: 0 } as DesktopSettings,
    dnd: { active: false, until: 0, label: '' } as DNDView,
    preCalls: {},
    open: (r) => (listeners.get('sotto:open') ?? []).forEach((l) => l(r)),
  };
  const record =
    <A extends unknown[], R>(name: string, f: (...a: A) => R) =>
    async (...args: A) => {
      fake.calls.push({ name, args });
      return f(...args);
    };
  g.go.app.Chats.PreCall = record('PreCall', (h: string) => d.preCalls[h] ?? { handle: h, known: false, conversation: 0, verification: 'unknown', state: '' });
  g.go.desktop = {
    Service: {
      TakeOpen: record('TakeOpen', () => {
        const r = d.pending;
        d.pending = { kind: '', source: '' } as OpenRequest;
        return r;
      }),
      Settings: record('DesktopSettings', () => d.settings),
      SetSettings: record('SetDesktopSettings', (s: DesktopSettings) => (d.settings = s)),
      DoNotDisturb: record('DoNotDisturb', () => d.dnd),
      SetDoNotDisturb: record('SetDoNotDisturb', (c: string) => {
        d.dnd = c === 'off' ? ({ active: false, until: 0, label: '' } as DNDView) : ({ active: true, until: 1, label: c === 'hour' ? 'until 15:00' : 'until tomorrow, 08:00' } as DNDView);
        return d.dnd;
      }),
      WindowState: record('WindowState', () => undefined),
      Shown: record('Shown', () => undefined),
    },
  };
  const inner = g.runtime.EventsOnMultiple as (n: string, cb: (p: unknown) => void, max: number) => () => void;
  g.runtime.EventsOnMultiple = (name: string, cb: (p: unknown) => void, max: number) => {
    if (name !== 'sotto:open' && name !== 'sotto:dnd') return inner(name, cb, max);
    const list = listeners.get(name) ?? [];
    list.push(cb);
    listeners.set(name, list);
    return () => list.splice(list.indexOf(cb), 1);
  };
  return d;
}
