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
