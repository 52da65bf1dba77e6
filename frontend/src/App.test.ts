import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { cleanup, fireEvent, render, screen, waitFor } from '@testing-library/svelte';
import App from './App.svelte';

type GoGlobal = { go?: unknown };
let readyCalls = 0;

beforeEach(() => {
  readyCalls = 0;
  (globalThis as GoGlobal).go = {
    app: {
      Info: {
        About: async () => ({
          version: '9.9.9-test',
          commit: 'deadbee',
          goVersion: 'go1.26.8',
          platform: 'linux/amd64',
          profile: 'default',
          dataDir: '/tmp/sotto',
        }),
        UIReady: async () => {
          readyCalls++;
        },
      },
    },
  };
});

afterEach(() => {
  cleanup();
  delete (globalThis as GoGlobal).go;
});

describe('App shell', () => {
  it('shows the empty state and tells the backend it is ready', async () => {
    render(App);
    expect(screen.getByRole('navigation', { name: 'Conversations' })).toBeTruthy();
    expect(screen.getByText('No conversations yet')).toBeTruthy();
    expect(screen.getByRole('main', { name: 'Conversation' })).toBeTruthy();
    await waitFor(() => expect(readyCalls).toBe(1));
  });

  it('opens Settings with Ctrl+, shows About from the backend, closes with Esc and returns focus', async () => {
    render(App);
    const button = screen.getByRole('button', { name: 'Settings' });
    button.focus();
    await fireEvent.keyDown(window, { key: ',', ctrlKey: true });
    const dialog = await screen.findByRole('dialog', { name: 'Settings' });
    expect(dialog).toBeTruthy();
    await fireEvent.click(screen.getByRole('button', { name: 'About' }));
    expect((await screen.findByTestId('about-version')).textContent).toBe('9.9.9-test');
    await fireEvent.keyDown(window, { key: 'Escape' });
    await waitFor(() => expect(screen.queryByRole('dialog')).toBeNull());
    expect(document.activeElement).toBe(button);
  });

  it('says so when the backend cannot be reached', async () => {
    delete (globalThis as GoGlobal).go;
    render(App);
    expect((await screen.findByRole('alert')).textContent).toMatch(/backend is not reachable/);
  });

  it('filters the sidebar search and keeps every control labelled', async () => {
    render(App);
    const search = screen.getByRole('searchbox', { name: 'Search conversations' });
    await fireEvent.input(search, { target: { value: 'bob' } });
    expect(screen.getByText('No conversations match “bob”')).toBeTruthy();
    for (const b of screen.getAllByRole('button')) {
      expect(b.getAttribute('aria-label') || b.textContent?.trim()).toBeTruthy();
    }
  });
});
