import { afterEach, describe, expect, it } from 'vitest';
import { about, BackendUnavailableError, uiReady } from './api';

type GoGlobal = { go?: unknown };

afterEach(() => {
  delete (globalThis as GoGlobal).go;
});

describe('api', () => {
  it('fails clearly when there is no backend', async () => {
    await expect(about()).rejects.toBeInstanceOf(BackendUnavailableError);
    await expect(uiReady()).rejects.toThrow(/backend is not reachable/);
  });

  it('calls the bound Go methods', async () => {
    const calls: string[] = [];
    (globalThis as GoGlobal).go = {
      app: {
        Info: {
          About: async () => {
            calls.push('About');
            return { version: '1.2.3', commit: 'abc', goVersion: 'go1.26', platform: 'linux/amd64', profile: 'p', dataDir: '/d' };
          },
          UIReady: async () => {
            calls.push('UIReady');
          },
        },
      },
    };
    const a = await about();
    expect(a.version).toBe('1.2.3');
    await uiReady();
    expect(calls).toEqual(['About', 'UIReady']);
  });
});

describe('api: Chats', () => {
  afterEach(() => {
    delete (globalThis as { runtime?: unknown }).runtime;
  });

  it('passes arguments through and turns Go error strings into Errors', async () => {
    const seen: unknown[][] = [];
    (globalThis as GoGlobal).go = {
      app: {
        Info: {},
        Chats: {
          Send: async (...a: unknown[]) => {
            seen.push(a);
            return { id: 9 };
          },
          Unlock: () => Promise.reject('No keyring is available on this computer: choose a passphrase to protect your messages.'),
        },
      },
    };
    const { send, unlock, needsPassphrase } = await import('./api');
    expect((await send(3, 'hi', 2)).id).toBe(9);
    expect(seen).toEqual([[3, 'hi', 2]]);
    const err = await unlock('').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    expect(needsPassphrase(err)).toBe(true);
    expect(needsPassphrase(new Error('That handle is taken'))).toBe(false);
  });

  it('fails clearly without the Chats service', async () => {
    const { conversations } = await import('./api');
    await expect(conversations()).rejects.toBeInstanceOf(BackendUnavailableError);
  });

  it('delivers sotto:event payloads and unsubscribes', async () => {
    const handlers: Record<string, ((...d: unknown[]) => void)[]> = {};
    (globalThis as { runtime?: unknown }).runtime = {
      EventsOnMultiple: (name: string, cb: (...d: unknown[]) => void) => {
        (handlers[name] ??= []).push(cb);
        return () => (handlers[name] = handlers[name].filter((h) => h !== cb));
      },
    };
    const { onEvent } = await import('./api');
    const got: unknown[] = [];
    const off = onEvent((e) => got.push(e));
    handlers['sotto:event'][0]({ kind: 'message', conversation: 4 });
    expect(got).toEqual([{ kind: 'message', conversation: 4 }]);
    off();
    expect(handlers['sotto:event']).toHaveLength(0);
  });
});
