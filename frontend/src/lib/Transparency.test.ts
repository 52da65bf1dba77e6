import { afterEach, describe, expect, it } from 'vitest';
import { cleanup, fireEvent, render, screen, waitFor, within } from '@testing-library/svelte';
import App from '../App.svelte';
import { conv, installFake, type Fake } from '../testing/fakeGo';

let fake: Fake | undefined;

afterEach(() => {
  cleanup();
  fake?.uninstall();
  fake = undefined;
});

describe('key transparency in the UI', () => {
  it('an alarm stays until it is acknowledged on purpose', async () => {
    fake = installFake({ conversations: [conv({ id: 3, handle: 'bob', contactId: 9 })] });
    render(App);
    await screen.findByRole('button', { name: /@bob/ });
    fake.emit({ kind: 'transparency', contact: 9, status: 'the relay served a key that is not in its log' });
    const alarm = await screen.findByTestId('transparency-alarm');
    expect(alarm.getAttribute('role')).toBe('alert');
    expect(alarm.textContent).toMatch(/@bob: the relay served a key that is not in its log/);
    // Esc and "keep" leave it in place.
    await fireEvent.click(within(alarm).getByRole('button', { name: 'What this means' }));
    let dialog = await screen.findByRole('dialog', { name: 'A key check failed' });
    const ack = within(dialog).getByRole('button', { name: 'Acknowledge' }) as HTMLButtonElement;
    expect(ack.disabled).toBe(true);
    await fireEvent.keyDown(dialog, { key: 'Escape' });
    await waitFor(() => expect(screen.queryByRole('dialog')).toBeNull());
    expect(screen.getByTestId('transparency-alarm')).toBeTruthy();
    // A second alarm about the account joins the first.
    fake.emit({ kind: 'transparency', status: 'a tree head from @bob is inconsistent with ours (split view)' });
    await waitFor(() => expect(screen.getByTestId('transparency-alarm').textContent).toMatch(/your account: .*split view/));
    await fireEvent.click(screen.getByRole('button', { name: 'What this means' }));
    dialog = await screen.findByRole('dialog', { name: 'A key check failed' });
    await fireEvent.click(within(dialog).getByRole('checkbox'));
    await fireEvent.click(within(dialog).getByRole('button', { name: 'Acknowledge' }));
    await waitFor(() => expect(screen.queryByTestId('transparency-alarm')).toBeNull());
  });

  it('an alarm raised while the window was closed shows at start', async () => {
    fake = installFake();
    fake.override.Transparency = () => ({ checked: false, size: 0, version: 0, at: '', failure: 'an entry for your handle was not made by this device' });
    render(App);
    expect((await screen.findByTestId('transparency-alarm', {}, { timeout: 5000 })).textContent).toMatch(
      /your account: an entry for your handle was not made by this device/,
    );
  });

  it('the contact panel says where the key was checked', async () => {
    fake = installFake({ conversations: [conv({ id: 3, handle: 'bob' })] });
    render(App);
    await fireEvent.click(await screen.findByRole('button', { name: /@bob/ }));
    await fireEvent.click(await screen.findByRole('button', { name: 'Conversation menu' }));
    await fireEvent.click(screen.getByRole('menuitem', { name: 'Contact and safety number' }));
    const line = await screen.findByTestId('transparency', {}, { timeout: 5000 });
    expect(line.textContent).toMatch(/checked in the transparency log at size 1,234/);
  });
});
