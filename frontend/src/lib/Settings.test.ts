import { afterEach, describe, expect, it } from 'vitest';
import { cleanup, fireEvent, render, screen, waitFor, within } from '@testing-library/svelte';
import App from '../App.svelte';
import { installFake, type Fake } from '../testing/fakeGo';

let fake: Fake | undefined;

afterEach(() => {
  cleanup();
  fake?.uninstall();
  fake = undefined;
});

async function openSettings(section: string) {
  await screen.findByText(/No conversations yet/);
  await fireEvent.keyDown(window, { key: ',', ctrlKey: true });
  const dialog = await screen.findByRole('dialog', { name: 'Settings' });
  await fireEvent.click(within(dialog).getByRole('button', { name: section }));
  return dialog;
}

describe('settings', () => {
  it('Advanced names the relay the account lives on', async () => {
    fake = installFake();
    fake.status = { ...fake.status, relay: 'https://relay.example:8443' };
    render(App);
    const dialog = await openSettings('Advanced');
    expect((await within(dialog).findByTestId('relay-address')).textContent).toBe('https://relay.example:8443');
  });

  it('Privacy offers always relaying calls', async () => {
    fake = installFake();
    render(App);
    const dialog = await openSettings('Privacy');
    const box = (await within(dialog).findByRole('checkbox', { name: /Always relay calls/ })) as HTMLInputElement;
    expect(box.checked).toBe(false);
    await fireEvent.click(box);
    await waitFor(() => expect(fake!.called('SetPreferences').at(-1)?.[0]).toMatchObject({ relayCalls: true }));
  });
});
