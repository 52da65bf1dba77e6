import { afterEach, describe, expect, it } from 'vitest';
import { cleanup, fireEvent, render, screen, waitFor, within } from '@testing-library/svelte';
import App from '../App.svelte';
import { conv, installFake, type Fake } from '../testing/fakeGo';
import { installDesktop } from '../testing/fakeDesktop';
import type { OpenRequest } from './api';

let fake: Fake | undefined;

afterEach(() => {
  cleanup();
  fake?.uninstall();
  fake = undefined;
});

const req = (r: Partial<OpenRequest>) => ({ source: 'link', ...r }) as OpenRequest;

describe('links and the desktop shell', () => {
  it('a call link at a cold start opens the pre-call screen and never rings', async () => {
    fake = installFake({ conversations: [conv({ id: 7, handle: 'bob', verification: 'verified' })] });
    const d = installDesktop(fake);
    d.pending = req({ kind: 'call', handle: 'bob', video: true });
    d.preCalls.bob = { handle: 'bob', known: true, conversation: 7, verification: 'verified', state: 'accepted' };
    render(App);
    const dialog = await screen.findByRole('dialog', { name: 'Call' }, { timeout: 5000 });
    expect((await within(dialog).findByTestId('precall-handle', {}, { timeout: 5000 })).textContent).toBe('@bob');
    expect((await within(dialog).findByTestId('precall-trust')).textContent).toMatch(/You verified @bob's safety number/);
    const camera = within(dialog).getByRole('checkbox', { name: 'Start with my camera on' }) as HTMLInputElement;
    expect(camera.checked).toBe(true);
    await waitFor(() => expect(fake!.called('Shown')).toContainEqual(['precall', 'bob']));
    // Nothing rang, nothing was created.
    expect(fake.called('StartConversation')).toHaveLength(0);
    expect(fake.calls.some((c) => c.name === 'Start')).toBe(false);
    await fireEvent.click(camera);
    expect(within(dialog).getByRole('button', { name: 'Call' })).toBeTruthy();
    await fireEvent.click(within(dialog).getByRole('button', { name: 'Cancel' }));
    await waitFor(() => expect(screen.queryByRole('dialog')).toBeNull());
  });

  it('says when the safety number is not known or changed', async () => {
    fake = installFake();
    const d = installDesktop(fake);
    d.preCalls.eve = { handle: 'eve', known: true, conversation: 3, verification: 'key-changed', state: 'accepted' };
    render(App);
    await screen.findByText('No conversations yet');
    d.open(req({ kind: 'call', handle: 'carol' }));
    let dialog = await screen.findByRole('dialog', { name: 'Call' }, { timeout: 5000 });
    expect((await within(dialog).findByTestId('precall-trust')).textContent).toMatch(/not talked with @carol on this device/);
    await fireEvent.click(within(dialog).getByRole('button', { name: 'Cancel' }));
    d.open(req({ kind: 'call', handle: 'eve' }));
    dialog = await screen.findByRole('dialog', { name: 'Call' }, { timeout: 5000 });
    await waitFor(() => expect(within(dialog).getByTestId('precall-trust').textContent).toMatch(/safety number changed/));
  });

  it('a chat link or a notification click opens that conversation', async () => {
    fake = installFake({ conversations: [conv({ id: 4, handle: 'dave' }), conv({ id: 5, handle: 'erin' })] });
    const d = installDesktop(fake);
    render(App);
    await screen.findByRole('button', { name: /@dave/ });
    d.open(req({ kind: 'chat', handle: 'erin' }));
    expect(await screen.findByRole('main', { name: 'Conversation with @erin' })).toBeTruthy();
    await waitFor(() => expect(fake!.called('Shown')).toContainEqual(['chat', 'erin']));
    d.open(req({ kind: 'chat', conversation: 4, source: 'notification' }));
    expect(await screen.findByRole('main', { name: 'Conversation with @dave' })).toBeTruthy();
    await waitFor(() => expect(fake!.called('WindowState')).toContainEqual([true, 4]));
  });

  it('the tray’s Start call… asks for a handle first', async () => {
    fake = installFake();
    const d = installDesktop(fake);
    render(App);
    await screen.findByText('No conversations yet');
    d.open(req({ kind: 'call', source: 'tray' }));
    const dialog = await screen.findByRole('dialog', { name: 'Call' }, { timeout: 5000 });
    await fireEvent.input(within(dialog).getByLabelText('Who do you want to call?'), { target: { value: 'Frank' } });
    await fireEvent.click(within(dialog).getByRole('button', { name: 'Next' }));
    expect((await within(dialog).findByTestId('precall-handle')).textContent).toBe('@frank');
  });

  it('Settings → Desktop saves the tray and login choices and sets Do not disturb', async () => {
    fake = installFake();
    const d = installDesktop(fake);
    render(App);
    await screen.findByText('No conversations yet');
    await fireEvent.keyDown(window, { key: ',', ctrlKey: true });
    const dialog = await screen.findByRole('dialog', { name: 'Settings' });
    await fireEvent.click(within(dialog).getByRole('button', { name: 'Desktop' }));
    const close = (await within(dialog).findByRole('checkbox', { name: /Close button keeps Sotto running in the tray/ })) as HTMLInputElement;
    const minimised = within(dialog).getByRole('checkbox', { name: /Start minimised/ }) as HTMLInputElement;
    expect(minimised.disabled).toBe(true);
    await fireEvent.click(close);
    await waitFor(() => expect(d.settings.closeToTray).toBe(true));
    await fireEvent.click(within(dialog).getByRole('checkbox', { name: /Start Sotto when I log in/ }));
    await waitFor(() => expect(d.settings.startAtLogin).toBe(true));
    await waitFor(() => expect(minimised.disabled).toBe(false));
    await fireEvent.click(within(dialog).getByRole('button', { name: 'For 1 hour' }));
    expect((await within(dialog).findByText(/On until 15:00/)).textContent).toMatch(/No notifications until then/);
  });
});

describe('a second link while the pre-call screen is open', () => {
  it('replaces it with the new handle', async () => {
    fake = installFake();
    const d = installDesktop(fake);
    render(App);
    await screen.findByText('No conversations yet');
    d.open(req({ kind: 'call', handle: 'bob' }));
    await screen.findByRole('dialog', { name: 'Call' }, { timeout: 5000 });
    d.open(req({ kind: 'chat', handle: 'carol' }));
    const dialog = await screen.findByRole('dialog', { name: 'Message' }, { timeout: 5000 });
    expect((await within(dialog).findByTestId('precall-handle')).textContent).toBe('@carol');
    await waitFor(() => expect(fake!.called('Shown')).toContainEqual(['chat', 'carol']));
  });
});
