import { afterEach, describe, expect, it } from 'vitest';
import { cleanup, fireEvent, render, screen, waitFor, within } from '@testing-library/svelte';
import App from '../App.svelte';
import { conv, installFake, msg, type Fake } from '../testing/fakeGo';

let fake: Fake | undefined;
afterEach(() => {
  cleanup();
  fake?.uninstall();
  fake = undefined;
});

describe('Retry', () => {
  it('offers Retry on failed outgoing messages only, and sends the message again', async () => {
    const failed = msg({ id: 1, outgoing: true, status: 'failed', body: 'did not go' });
    const sent = msg({ id: 2, outgoing: true, status: 'sent', body: 'went' });
    const theirs = msg({ id: 3, body: 'hello' });
    fake = installFake({ conversations: [conv({ id: 1, handle: 'bob' })], messages: { 1: [failed, sent, theirs] } });
    render(App);
    await fireEvent.click(await screen.findByRole('button', { name: /@bob/ }));
    const pane = await screen.findByRole('main', { name: 'Conversation with @bob' });
    await within(pane).findByText('did not go');
    expect(within(pane).getByRole('img', { name: /Not sent/ })).toBeTruthy();
    const buttons = within(pane).getAllByRole('button', { name: 'Retry' });
    expect(buttons).toHaveLength(1);
    expect(buttons[0].closest('[data-message-id]')?.getAttribute('data-message-id')).toBe('1');
    fake.override.Retry = () => {
      fake!.messages.set(1, [msg({ id: 1, outgoing: true, status: 'pending', body: 'did not go' }), sent, theirs]);
    };
    await fireEvent.click(buttons[0]);
    await waitFor(() => expect(fake!.called('Retry')).toEqual([[1]]));
    await within(pane).findByRole('img', { name: 'Sending' });
    expect(within(pane).queryByRole('button', { name: 'Retry' })).toBeNull();
  });

  it('shows why a retry was refused', async () => {
    fake = installFake({ conversations: [conv({ id: 1, handle: 'bob' })], messages: { 1: [msg({ id: 1, outgoing: true, status: 'failed', body: 'x' })] } });
    fake.override.Retry = () => {
      throw new Error('messenger: no such message');
    };
    render(App);
    await fireEvent.click(await screen.findByRole('button', { name: /@bob/ }));
    const pane = await screen.findByRole('main', { name: 'Conversation with @bob' });
    await fireEvent.click(await within(pane).findByRole('button', { name: 'Retry' }));
    expect(await within(pane).findByText(/no such message/)).toBeTruthy();
  });
});
