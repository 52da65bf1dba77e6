import { afterEach, describe, expect, it } from 'vitest';
import { cleanup, fireEvent, render, screen, waitFor, within } from '@testing-library/svelte';
import App from './App.svelte';
import { conv, installFake, msg, type Fake } from './testing/fakeGo';

let fake: Fake | undefined;

afterEach(() => {
  cleanup();
  fake?.uninstall();
  fake = undefined;
});

async function openConversation(handle: string) {
  const row = await screen.findByRole('button', { name: new RegExp(`@${handle}`) });
  await fireEvent.click(row);
  return screen.findByRole('main', { name: `Conversation with @${handle}` });
}

describe('App shell', () => {
  it('shows the empty state when signed in and tells the backend it is ready', async () => {
    fake = installFake();
    render(App);
    await screen.findByRole('navigation', { name: 'Conversations' });
    expect(await screen.findByText('No conversations yet')).toBeTruthy();
    expect(screen.getByRole('main', { name: 'Conversation' })).toBeTruthy();
    await waitFor(() => expect(fake!.called('UIReady')).toHaveLength(1));
  });

  it('opens Settings with Ctrl+, shows About from the backend, closes with Esc and returns focus', async () => {
    fake = installFake();
    render(App);
    await screen.findByText('No conversations yet');
    const button = screen.getByRole('button', { name: 'Settings' });
    button.focus();
    await fireEvent.keyDown(window, { key: ',', ctrlKey: true });
    const dialog = await screen.findByRole('dialog', { name: 'Settings' });
    expect(within(dialog).getByRole('button', { name: 'Privacy' })).toBeTruthy();
    await fireEvent.click(screen.getByRole('button', { name: 'About' }));
    expect((await screen.findByTestId('about-version')).textContent).toBe('9.9.9-test');
    await fireEvent.click(screen.getByRole('button', { name: 'Account' }));
    expect((await screen.findByTestId('account-handle')).textContent).toBe('@alice');
    await fireEvent.keyDown(window, { key: 'Escape' });
    await waitFor(() => expect(screen.queryByRole('dialog')).toBeNull());
    expect(document.activeElement).toBe(button);
  });

  it('says so when the backend cannot be reached', async () => {
    render(App);
    expect((await screen.findByRole('alert')).textContent).toMatch(/backend is not reachable/);
  });

  it('filters the sidebar search and keeps every control labelled', async () => {
    fake = installFake({ conversations: [conv({ id: 1, handle: 'carol' })] });
    render(App);
    await screen.findByRole('button', { name: /@carol/ });
    const search = screen.getByRole('searchbox', { name: 'Search conversations' });
    await fireEvent.input(search, { target: { value: 'bob' } });
    expect(screen.getByText('No conversations match “bob”')).toBeTruthy();
    for (const b of screen.getAllByRole('button')) {
      expect(b.getAttribute('aria-label') || b.textContent?.trim()).toBeTruthy();
    }
  });
});

describe('onboarding', () => {
  it('walks from welcome to a handle, asks for a passphrase when there is no keyring, and lands in the main screen', async () => {
    fake = installFake({ status: { hasProfile: false, signedIn: false, handle: '', defaultRelay: 'https://relay.example' } as never });
    let registers = 0;
    fake.override.Register = (h, _relay, pass) => {
      registers++;
      if (!pass) throw 'No keyring is available on this computer: choose a passphrase to protect your messages.';
      return { hasProfile: true, signedIn: true, handle: h, defaultRelay: '' };
    };
    render(App);
    await screen.findByRole('heading', { name: 'Welcome to Sotto' });
    // Settings stays reachable before there is an account.
    expect(screen.getByRole('button', { name: 'Settings' })).toBeTruthy();
    await fireEvent.click(screen.getByRole('button', { name: 'Get started' }));

    const handle = await screen.findByLabelText('Handle');
    await fireEvent.input(handle, { target: { value: 'a!' } });
    expect(await screen.findByText('Use only letters a–z, digits and _.')).toBeTruthy();
    const create = screen.getByRole('button', { name: 'Create account' }) as HTMLButtonElement;
    expect(create.disabled).toBe(true);
    await fireEvent.input(handle, { target: { value: 'taken' } });
    expect(await screen.findByText('Someone already has that handle. Choose another.')).toBeTruthy();
    expect(create.disabled).toBe(true);
    await fireEvent.input(handle, { target: { value: 'Alice' } });
    expect(await screen.findByText('You will be @alice. It is free.')).toBeTruthy();
    expect(fake.called('CheckHandleAt').at(-1)).toEqual(['Alice', 'https://relay.example']);
    expect((screen.getByLabelText('Relay address') as HTMLInputElement).value).toBe('https://relay.example');

    await fireEvent.click(screen.getByRole('button', { name: 'Create account' }));
    expect((await screen.findByRole('alert')).textContent).toMatch(/choose a passphrase/);
    const p1 = screen.getByLabelText('Passphrase');
    const p2 = screen.getByLabelText('The same passphrase again');
    await fireEvent.input(p1, { target: { value: 'correct horse' } });
    await fireEvent.input(p2, { target: { value: 'correct horse' } });
    await fireEvent.click(screen.getByRole('button', { name: 'Create account' }));

    expect(await screen.findByRole('heading', { name: 'You are @Alice' })).toBeTruthy();
    expect(registers).toBe(2);
    expect(fake.called('Register')[1]).toEqual(['Alice', 'https://relay.example', 'correct horse']);
    await fireEvent.click(screen.getByRole('button', { name: 'Start messaging' }));
    expect(await screen.findByText('No conversations yet')).toBeTruthy();
  });

  it('shows progress with Cancel while the proof of work runs, and says cancelling claimed nothing', async () => {
    fake = installFake({ status: { hasProfile: false, signedIn: false, handle: '', defaultRelay: '' } as never });
    let reject: (e: unknown) => void = () => {};
    fake.override.Register = () => new Promise((_, r) => (reject = r));
    fake.override.CancelRegister = () => reject('cancelled');
    render(App);
    await fireEvent.click(await screen.findByRole('button', { name: 'Get started' }));
    await fireEvent.input(await screen.findByLabelText('Handle'), { target: { value: 'alice' } });
    await screen.findByText('You will be @alice.');
    await fireEvent.click(screen.getByRole('button', { name: 'Create account' }));
    const bar = await screen.findByRole('progressbar', { name: 'Creating your account' });
    expect(bar.getAttribute('aria-valuetext')).toMatch(/second|Almost/);
    await fireEvent.click(screen.getByRole('button', { name: 'Cancel' }));
    expect((await screen.findByRole('alert')).textContent).toMatch(/not claimed/);
  });

  it('unlocks with the keyring silently, or asks for the passphrase', async () => {
    fake = installFake({ status: { hasProfile: true, signedIn: false, handle: '', defaultRelay: '' } as never });
    fake.override.Unlock = (p) => {
      if (p !== 'pw') throw p ? 'That passphrase does not unlock this profile. Try again.' : 'No keyring is available on this computer: choose a passphrase to protect your messages.';
      return { hasProfile: true, signedIn: true, handle: 'alice', defaultRelay: '' };
    };
    render(App);
    const field = await screen.findByLabelText('Passphrase');
    await fireEvent.input(field, { target: { value: 'nope' } });
    await fireEvent.click(screen.getByRole('button', { name: 'Unlock' }));
    expect((await screen.findByRole('alert')).textContent).toMatch(/Try again/);
    await fireEvent.input(field, { target: { value: 'pw' } });
    await fireEvent.click(screen.getByRole('button', { name: 'Unlock' }));
    expect(await screen.findByText('No conversations yet')).toBeTruthy();
    expect(fake.called('Unlock')).toEqual([[''], ['nope'], ['pw']]);
  });
});

describe('conversation', () => {
  it('sends with Enter, keeps Shift+Enter for new lines, and shows the delivery state', async () => {
    fake = installFake({ conversations: [conv({ id: 1, handle: 'bob' })] });
    render(App);
    const pane = await openConversation('bob');
    const box = within(pane).getByRole('textbox', { name: 'Message @bob' });
    await fireEvent.input(box, { target: { value: 'hello *bob*' } });
    await fireEvent.keyDown(box, { key: 'Enter', shiftKey: true });
    expect(fake.called('Send')).toHaveLength(0);
    await fireEvent.keyDown(box, { key: 'Enter' });
    await waitFor(() => expect(fake!.called('Send')).toEqual([[1, 'hello *bob*', 0]]));
    const log = within(pane).getByRole('log', { name: 'Messages with @bob' });
    expect((await within(log).findByText('bob')).tagName).toBe('STRONG');
    expect(within(log).getByRole('img', { name: 'Sending' })).toBeTruthy();
    expect((box as HTMLTextAreaElement).value).toBe('');
    expect(fake.called('SetTyping')[0]).toEqual([1, true]);
    expect(fake.called('SetTyping').at(-1)).toEqual([1, false]);
  });

  it('shows a received message from an event, announces it, and moves ticks on status events', async () => {
    const mine = msg({ id: 1, outgoing: true, status: 'sent', body: 'hi bob', sentAt: Date.now() - 60_000 });
    fake = installFake({ conversations: [conv({ id: 1, handle: 'bob' })], messages: { 1: [mine] } });
    render(App);
    const pane = await openConversation('bob');
    await within(pane).findByRole('img', { name: 'Sent' });
    fake.messages.set(1, [{ ...mine, status: 'read' } as never, msg({ id: 2, body: 'hi alice' })]);
    fake.emit({ kind: 'message', conversation: 1, message: 2 });
    expect(await within(pane).findByText('hi alice')).toBeTruthy();
    expect(await within(pane).findByRole('img', { name: 'Read' })).toBeTruthy();
    await waitFor(() => expect(screen.getByTestId('announcer').textContent).toBe('@bob: hi alice'));
  });

  it('puts requests under Requests with Accept / Block / Delete', async () => {
    fake = installFake({
      conversations: [conv({ id: 1, handle: 'carol' }), conv({ id: 2, handle: 'mallory', state: 'request', unread: 1, lastMessage: 'hey' })],
      messages: { 2: [msg({ id: 5, body: 'hey' })] },
    });
    render(App);
    await screen.findByRole('button', { name: /@carol/ });
    expect(screen.queryByRole('button', { name: /@mallory/ })).toBeNull();
    await fireEvent.click(screen.getByRole('button', { name: /Requests/ }));
    const pane = await openConversation('mallory');
    const banner = within(pane).getByRole('region', { name: 'Message request' });
    expect(banner.textContent).toMatch(/@mallory wants to message you/);
    expect(within(banner).getByRole('button', { name: 'Block' })).toBeTruthy();
    expect(within(banner).getByRole('button', { name: 'Delete' })).toBeTruthy();
    const acceptButton = within(banner).getByRole('button', { name: 'Accept' });
    await new Promise((r) => setTimeout(r, 50));
    expect(fake.called('MarkRead')).toEqual([]);
    await fireEvent.click(acceptButton);
    await waitFor(() => expect(fake!.called('Accept')).toEqual([[2]]));
    await waitFor(() => expect(fake!.called('MarkRead')).toEqual([[2]]));
    await waitFor(() => expect(within(pane).queryByRole('region', { name: 'Message request' })).toBeNull());
  });

  it('warns when a verified contact\'s safety number changed and replaces the composer', async () => {
    fake = installFake({ conversations: [conv({ id: 1, handle: 'bob', verification: 'key-changed' })] });
    render(App);
    const pane = await openConversation('bob');
    const banner = within(pane).getByRole('region', { name: 'Safety number changed' });
    expect(banner.textContent).toMatch(/@bob's safety number changed/);
    expect(within(pane).getByText('Verify again to keep talking.')).toBeTruthy();
    expect(within(pane).queryByRole('textbox')).toBeNull();
    await fireEvent.click(within(banner).getByRole('button', { name: 'Review' }));
    const panel = await screen.findByRole('dialog', { name: '@bob' });
    expect(within(panel).getByTestId('safety-number').textContent).toBe('12345'.repeat(12));
    expect(within(panel).getByRole('img', { name: /QR code/ })).toBeTruthy();
    await fireEvent.input(within(panel).getByLabelText(/paste the number/), { target: { value: '12345' } });
    fake.override.Verify = () => {
      throw 'Those numbers do not match. Compare them again, digit by digit.';
    };
    await fireEvent.click(within(panel).getByRole('button', { name: 'Compare' }));
    expect((await within(panel).findByRole('alert')).textContent).toMatch(/do not match/);
  });

  it('shows the banner for an unverified contact after a key-changed event, keeps the composer, and dismisses it', async () => {
    fake = installFake({ conversations: [conv({ id: 1, handle: 'bob' })] });
    render(App);
    const pane = await openConversation('bob');
    expect(within(pane).queryByRole('region', { name: 'Safety number changed' })).toBeNull();
    fake.conversations = [conv({ id: 1, handle: 'bob', keyChangedAt: Date.now() })];
    fake.emit({ kind: 'key-changed', contact: 101, conversation: 1 });
    const banner = await within(pane).findByRole('region', { name: 'Safety number changed' });
    expect(within(pane).getByRole('textbox', { name: 'Message @bob' })).toBeTruthy();
    await fireEvent.click(within(banner).getByRole('button', { name: 'Dismiss' }));
    await waitFor(() => expect(fake!.called('DismissKeyChange')).toEqual([[1]]));
    await waitFor(() => expect(within(pane).queryByRole('region', { name: 'Safety number changed' })).toBeNull());
  });
});

describe('keyboard', () => {
  it('Ctrl+N starts a conversation by handle', async () => {
    fake = installFake();
    render(App);
    await screen.findByText('No conversations yet');
    await fireEvent.keyDown(window, { key: 'n', ctrlKey: true });
    const dialog = await screen.findByRole('dialog', { name: 'New conversation' });
    const input = within(dialog).getByLabelText('Their handle');
    await waitFor(() => expect(document.activeElement).toBe(input));
    await fireEvent.input(input, { target: { value: 'dave' } });
    await fireEvent.submit(input.closest('form')!);
    expect(await screen.findByRole('main', { name: 'Conversation with @dave' })).toBeTruthy();
    expect(fake.called('StartConversation')).toEqual([['dave']]);
    expect(screen.queryByRole('dialog')).toBeNull();
  });

  it('Alt+↓/↑ move between chats; ↑ edits the last message; Esc cancels; Ctrl+Shift+R replies to the focused message', async () => {
    fake = installFake({
      conversations: [conv({ id: 1, handle: 'bob' }), conv({ id: 2, handle: 'carol' })],
      messages: { 1: [msg({ id: 10, body: 'from bob' }), msg({ id: 11, outgoing: true, body: 'my last' })] },
    });
    render(App);
    let pane = await openConversation('bob');
    await within(pane).findByText('my last');
    const box = within(pane).getByRole('textbox', { name: 'Message @bob' }) as HTMLTextAreaElement;
    await fireEvent.keyDown(box, { key: 'ArrowUp' });
    await waitFor(() => expect(box.value).toBe('my last'));
    expect(within(pane).getByText('Editing')).toBeTruthy();
    await fireEvent.input(box, { target: { value: 'my last, fixed' } });
    await fireEvent.keyDown(box, { key: 'Enter' });
    await waitFor(() => expect(fake!.called('Edit')).toEqual([[11, 'my last, fixed']]));

    const first = pane.querySelector<HTMLElement>('[data-message-id="10"]')!;
    first.focus();
    await fireEvent.keyDown(window, { key: 'R', ctrlKey: true, shiftKey: true });
    expect(await within(pane).findByText('Replying to @bob')).toBeTruthy();
    await fireEvent.keyDown(box, { key: 'Escape' });
    await waitFor(() => expect(within(pane).queryByText('Replying to @bob')).toBeNull());

    await fireEvent.keyDown(window, { key: 'ArrowDown', altKey: true });
    pane = await screen.findByRole('main', { name: 'Conversation with @carol' });
    await fireEvent.keyDown(window, { key: 'ArrowUp', altKey: true });
    expect(await screen.findByRole('main', { name: 'Conversation with @bob' })).toBeTruthy();
  });

  it('Ctrl+F searches everything and jumps to the hit; Ctrl+Shift+F searches this chat', async () => {
    fake = installFake({
      conversations: [conv({ id: 1, handle: 'bob' }), conv({ id: 2, handle: 'carol' })],
      messages: { 2: [msg({ id: 20, body: 'the blue door' })] },
    });
    fake.override.Search = (q) => (q === 'blue' ? [{ conversation: 2, handle: 'carol', message: msg({ id: 20, body: 'the blue door' }) }] : []);
    render(App);
    await openConversation('bob');
    await fireEvent.keyDown(window, { key: 'F', ctrlKey: true, shiftKey: true });
    const inChat = await screen.findByRole('dialog', { name: 'Search in @bob' });
    await fireEvent.keyDown(inChat, { key: 'Escape' });
    await waitFor(() => expect(screen.queryByRole('dialog')).toBeNull());

    await fireEvent.keyDown(window, { key: 'f', ctrlKey: true });
    const dialog = await screen.findByRole('dialog', { name: 'Search all conversations' });
    const input = within(dialog).getByRole('searchbox', { name: 'Search messages' });
    await fireEvent.input(input, { target: { value: 'blue' } });
    await fireEvent.submit(input.closest('form')!);
    const hit = await within(dialog).findByRole('button', { name: /the blue door/ });
    expect(fake.called('Search').at(-1)).toEqual(['blue', 0]);
    await fireEvent.click(hit);
    const pane = await screen.findByRole('main', { name: 'Conversation with @carol' });
    expect(await within(pane).findByText('the blue door')).toBeTruthy();
  });
});

describe('more keys and states', () => {
  it('Ctrl+K switches by handle; Ctrl+/ lists the shortcuts; Ctrl+Shift+E reaches the reactions', async () => {
    fake = installFake({
      conversations: [conv({ id: 1, handle: 'bob' }), conv({ id: 2, handle: 'carol' })],
      messages: { 2: [msg({ id: 20, body: 'hello from carol' })] },
    });
    render(App);
    await screen.findByRole('button', { name: /@bob/ });
    await fireEvent.keyDown(window, { key: 'k', ctrlKey: true });
    const switcher = await screen.findByRole('dialog', { name: 'Go to conversation' });
    const input = within(switcher).getByRole('combobox', { name: 'Handle' });
    await fireEvent.input(input, { target: { value: 'car' } });
    expect(within(switcher).getAllByRole('option').map((o) => o.textContent?.trim())).toEqual(['@carol']);
    await fireEvent.keyDown(input, { key: 'Enter' });
    const pane = await screen.findByRole('main', { name: 'Conversation with @carol' });
    await within(pane).findByText('hello from carol');

    await fireEvent.keyDown(window, { key: 'E', ctrlKey: true, shiftKey: true });
    expect(document.activeElement?.getAttribute('aria-label')).toBe('React 👍');
    await fireEvent.click(document.activeElement!);
    await waitFor(() => expect(fake!.called('React')).toEqual([[20, '👍']]));

    await fireEvent.keyDown(window, { key: '/', ctrlKey: true });
    const help = await screen.findByRole('dialog', { name: 'Keyboard shortcuts' });
    expect(help.textContent).toMatch(/Ctrl\+Shift\+R/);
  });

  it('moves between messages with ↑/↓ and keeps one of them in the tab order', async () => {
    fake = installFake({
      conversations: [conv({ id: 1, handle: 'bob' })],
      messages: { 1: [msg({ id: 1, body: 'one' }), msg({ id: 2, body: 'two' }), msg({ id: 3, body: 'three' })] },
    });
    render(App);
    const pane = await openConversation('bob');
    await within(pane).findByText('three');
    const articles = () => Array.from(pane.querySelectorAll<HTMLElement>('article.message'));
    expect(articles().map((a) => a.tabIndex)).toEqual([-1, -1, 0]);
    articles()[2].focus();
    await fireEvent.keyDown(articles()[2], { key: 'ArrowUp' });
    expect(document.activeElement).toBe(articles()[1]);
    await waitFor(() => expect(articles().map((a) => a.tabIndex)).toEqual([-1, 0, -1]));
    await fireEvent.keyDown(articles()[1], { key: 'F10', shiftKey: true });
    expect(document.activeElement?.getAttribute('aria-label')).toBe('Reply');
    expect(document.activeElement?.closest('article')).toBe(articles()[1]);
  });

  it('shows who is typing, hides the composer for a request, and opens the menu from the keyboard', async () => {
    fake = installFake({ conversations: [conv({ id: 1, handle: 'bob' }), conv({ id: 2, handle: 'eve', state: 'request' })] });
    render(App);
    const pane = await openConversation('bob');
    fake.emit({ kind: 'typing', conversation: 1, typing: true });
    expect(await within(pane).findByText('@bob is typing…')).toBeTruthy();
    fake.emit({ kind: 'typing', conversation: 1, typing: false });
    await waitFor(() => expect(within(pane).queryByText('@bob is typing…')).toBeNull());

    const menuButton = within(pane).getByRole('button', { name: 'Conversation menu' });
    await fireEvent.keyDown(menuButton, { key: 'F10', shiftKey: true });
    const menu = await screen.findByRole('menu', { name: 'Conversation menu' });
    const items = within(menu).getAllByRole('menuitem');
    await waitFor(() => expect(document.activeElement).toBe(items[0]));
    await fireEvent.keyDown(menu, { key: 'ArrowDown' });
    expect(document.activeElement).toBe(items[1]);
    await fireEvent.keyDown(menu, { key: 'Escape' });
    await waitFor(() => expect(screen.queryByRole('menu')).toBeNull());
    expect(document.activeElement).toBe(menuButton);

    await fireEvent.click(screen.getByRole('button', { name: /Requests/ }));
    const req = await openConversation('eve');
    expect(within(req).queryByRole('textbox')).toBeNull();
    expect(within(req).getByText('Accept the request to reply.')).toBeTruthy();
  });

  it('keeps Tab inside a dialog and gives focus back when it closes', async () => {
    fake = installFake();
    render(App);
    const opener = await screen.findByRole('button', { name: 'New conversation' });
    opener.focus();
    await fireEvent.click(opener);
    const dialog = await screen.findByRole('dialog', { name: 'New conversation' });
    const focusables = Array.from(dialog.querySelectorAll<HTMLElement>('button:not([disabled]), input'));
    const last = focusables[focusables.length - 1];
    last.focus();
    await fireEvent.keyDown(last, { key: 'Tab' });
    expect(document.activeElement).toBe(focusables[0]);
    await fireEvent.keyDown(dialog, { key: 'Escape' });
    await waitFor(() => expect(screen.queryByRole('dialog')).toBeNull());
    expect(document.activeElement).toBe(opener);
  });
});

describe('long histories', () => {
  it('renders only the rows near the viewport and fetches older pages as the reader scrolls up', async () => {
    const start = Date.now() - 400 * 60_000;
    const history = Array.from({ length: 260 }, (_, i) => msg({ id: i + 1, body: `line ${i + 1}`, sentAt: start + i * 60_000, status: 'read' }));
    fake = installFake({ conversations: [conv({ id: 1, handle: 'bob' })], messages: { 1: history } });
    render(App);
    const pane = await openConversation('bob');
    await within(pane).findByText('line 260');
    const log = within(pane).getByRole('log', { name: 'Messages with @bob' });
    const count = () => pane.querySelectorAll('article.message').length;
    expect(fake.called('Messages')[0]).toEqual([1, 0, 100]);
    // 100 messages loaded, a few dozen rendered (jsdom has no layout: the
    // rows are estimated), the newest one (where Tab enters) always among them.
    await waitFor(() => expect(count()).toBeLessThan(40));
    expect(count()).toBeGreaterThan(0);
    expect(pane.querySelector('[data-message-id="260"]')?.getAttribute('tabindex')).toBe('0');
    // Not all here yet: the size is unknown to screen readers.
    expect(pane.querySelector('[data-message-id="260"]')?.getAttribute('aria-setsize')).toBe('-1');
    // Near the top, scrolling fetches the next older page, once.
    await fireEvent.scroll(log);
    await waitFor(() => expect(fake!.called('Messages').at(-1)).toEqual([1, 161, 100]));
    await waitFor(() => expect(log.getAttribute('aria-busy')).toBe('false'));
    await fireEvent.scroll(log);
    await waitFor(() => expect(fake!.called('Messages').at(-1)).toEqual([1, 61, 100]));
    await waitFor(() => expect(log.getAttribute('aria-busy')).toBe('false'));
    expect(fake.called('Messages')).toHaveLength(3);
    await fireEvent.scroll(log);
    await waitFor(() => expect(within(pane).getByText('line 1')).toBeTruthy());
    expect(count()).toBeLessThan(40);
    // All 260 here: every message knows its place.
    await waitFor(() => expect(pane.querySelector('[data-message-id="1"]')?.getAttribute('aria-setsize')).toBe('260'));
    expect(pane.querySelector('[data-message-id="1"]')?.getAttribute('aria-posinset')).toBe('1');
    expect(pane.querySelector('[data-message-id="260"]')?.getAttribute('aria-posinset')).toBe('260');
    // The start of the history asks for nothing more.
    const calls = fake.called('Messages').length;
    await fireEvent.scroll(log);
    await new Promise((r) => setTimeout(r, 50));
    expect(fake.called('Messages')).toHaveLength(calls);
  }, 30_000);

  it('jumps from search to a message older than the loaded page, fetching back to it', async () => {
    const start = Date.now() - 400 * 60_000;
    const history = Array.from({ length: 700 }, (_, i) => msg({ id: i + 1, body: `line ${i + 1}`, sentAt: start + i * 30_000, status: 'read' }));
    fake = installFake({ conversations: [conv({ id: 1, handle: 'bob' })], messages: { 1: history } });
    fake.override.Search = (q) => (q === 'line 7' ? [{ conversation: 1, handle: 'bob', message: history[6] }] : []);
    render(App);
    const pane = await openConversation('bob');
    await within(pane).findByText('line 700');
    await fireEvent.keyDown(window, { key: 'f', ctrlKey: true });
    const dialog = await screen.findByRole('dialog', { name: 'Search all conversations' });
    const input = within(dialog).getByRole('searchbox', { name: 'Search messages' });
    await fireEvent.input(input, { target: { value: 'line 7' } });
    await fireEvent.submit(input.closest('form')!);
    await fireEvent.click(await within(dialog).findByRole('button', { name: /line 7/ }));
    await waitFor(() => expect((document.activeElement as HTMLElement).dataset.messageId).toBe('7'), { timeout: 5000 });
    // Fetched in big pages back to it, and still only a window of rows rendered.
    expect(fake.called('Messages').slice(1)).toEqual([[1, 601, 500], [1, 101, 500]]);
    expect(pane.querySelectorAll('article.message').length).toBeLessThan(40);
    expect(document.activeElement!.getAttribute('tabindex')).toBe('0');
  }, 30_000);

  it('moves with ↑/↓ through messages that were not rendered, keeping the focused one in the DOM', async () => {
    const start = Date.now() - 100 * 60_000;
    const history = Array.from({ length: 80 }, (_, i) => msg({ id: i + 1, body: `line ${i + 1}`, sentAt: start + i * 60_000, status: 'read' }));
    fake = installFake({ conversations: [conv({ id: 1, handle: 'bob' })], messages: { 1: history } });
    render(App);
    const pane = await openConversation('bob');
    const last = await waitFor(() => pane.querySelector<HTMLElement>('[data-message-id="80"]')!);
    expect(pane.querySelector('[data-message-id="79"]')).toBeNull(); // jsdom: the view sits at the top
    last.focus();
    await fireEvent.keyDown(last, { key: 'ArrowUp' });
    await waitFor(() => expect((document.activeElement as HTMLElement).dataset.messageId).toBe('79'));
    expect(document.activeElement!.getAttribute('tabindex')).toBe('0');
    expect(last.getAttribute('tabindex')).toBe('-1');
    await fireEvent.keyDown(document.activeElement!, { key: 'ArrowDown' });
    await waitFor(() => expect((document.activeElement as HTMLElement).dataset.messageId).toBe('80'));
    expect(pane.querySelectorAll('article.message').length).toBeLessThan(40);
  }, 30_000);
});

describe('settings and message actions', () => {
  it('saves Privacy choices through SetPreferences', async () => {
    fake = installFake();
    render(App);
    await screen.findByText('No conversations yet');
    await fireEvent.keyDown(window, { key: ',', ctrlKey: true });
    await fireEvent.click(await screen.findByRole('button', { name: 'Privacy' }));
    const receipts = (await screen.findByRole('checkbox', { name: /Read receipts/ })) as HTMLInputElement;
    expect(receipts.checked).toBe(true);
    await fireEvent.click(receipts);
    await waitFor(() => expect(fake!.called('SetPreferences').at(-1)).toEqual([{ readReceipts: false, typingIndicators: true, notificationContent: 'full', relayCalls: false }]));
    await fireEvent.click(screen.getByRole('radio', { name: 'Name only' }));
    await waitFor(() => expect((fake!.called('SetPreferences').at(-1)![0] as { notificationContent: string }).notificationContent).toBe('name'));
  });

  it('asks before deleting for everyone, and sets the disappearing timer from the contact panel', async () => {
    fake = installFake({
      conversations: [conv({ id: 1, handle: 'bob' })],
      messages: { 1: [msg({ id: 7, outgoing: true, body: 'oops' })] },
    });
    render(App);
    const pane = await openConversation('bob');
    const article = await waitFor(() => pane.querySelector<HTMLElement>('[data-message-id="7"]')!);
    await fireEvent.click(within(article).getByRole('button', { name: 'Delete for everyone' }));
    const confirm = await screen.findByRole('dialog', { name: 'Delete for everyone?' });
    await fireEvent.click(within(confirm).getByRole('button', { name: 'Cancel' }));
    expect(fake.called('DeleteForEveryone')).toEqual([]);
    await fireEvent.click(within(article).getByRole('button', { name: 'Delete for everyone' }));
    await fireEvent.click(within(await screen.findByRole('dialog', { name: 'Delete for everyone?' })).getByRole('button', { name: 'Delete' }));
    await waitFor(() => expect(fake!.called('DeleteForEveryone')).toEqual([[7]]));

    await fireEvent.click(within(pane).getByRole('button', { name: 'Conversation menu' }));
    await fireEvent.click(await screen.findByRole('menuitem', { name: /Disappearing messages: Off/ }));
    const panel = await screen.findByRole('dialog', { name: '@bob' });
    const select = (await within(panel).findByLabelText('Disappearing messages')) as HTMLSelectElement;
    select.value = '3600';
    await fireEvent.change(select);
    await waitFor(() => expect(fake!.called('SetTimer')).toEqual([[1, 3600]]));
    expect(await within(panel).findByText('New messages disappear after 1 hour.')).toBeTruthy();
  });
});

describe('sidebar', () => {
  it('offers to search messages for what was typed in the sidebar, and marks muted chats', async () => {
    fake = installFake({ conversations: [conv({ id: 1, handle: 'bob', muted: true })] });
    fake.override.Search = (q) => (q === 'door' ? [{ conversation: 1, handle: 'bob', message: msg({ id: 3, body: 'the door' }) }] : []);
    render(App);
    const row = await screen.findByRole('button', { name: /@bob/ });
    expect(within(row).getByRole('img', { name: 'Muted' })).toBeTruthy();
    const search = screen.getByRole('searchbox', { name: 'Search conversations' });
    await fireEvent.input(search, { target: { value: 'door' } });
    await fireEvent.keyDown(search, { key: 'Enter' });
    const dialog = await screen.findByRole('dialog', { name: 'Search all conversations' });
    expect(await within(dialog).findByRole('button', { name: /the door/ })).toBeTruthy();
    expect(fake.called('Search')).toEqual([['door', 0]]);
  });
});

describe('emoji', () => {
  it('inserts an emoji from the palette at the caret and returns to writing', async () => {
    fake = installFake({ conversations: [conv({ id: 1, handle: 'bob' })] });
    render(App);
    const pane = await openConversation('bob');
    const box = within(pane).getByRole('textbox', { name: 'Message @bob' }) as HTMLTextAreaElement;
    await fireEvent.input(box, { target: { value: 'see you' } });
    box.setSelectionRange(3, 3);
    await fireEvent.click(within(pane).getByRole('button', { name: 'Emoji' }));
    const palette = await within(pane).findByRole('dialog', { name: 'Emoji' });
    await waitFor(() => expect(document.activeElement?.getAttribute('aria-label')).toBe('grinning'));
    await fireEvent.keyDown(palette, { key: 'ArrowRight' });
    expect(document.activeElement?.getAttribute('aria-label')).toBe('tears of joy');
    await fireEvent.click(within(palette).getByRole('button', { name: 'thumbs up' }));
    await waitFor(() => expect(box.value).toBe('see👍 you'));
    expect(document.activeElement).toBe(box);
    expect(within(pane).queryByRole('dialog', { name: 'Emoji' })).toBeNull();
  });
});

describe('file transfer progress', () => {
  it('shows progress events of the open conversation without refetching anything', async () => {
    fake = installFake({ conversations: [conv({ id: 1, handle: 'bob' })] });
    render(App);
    const pane = await openConversation('bob');
    await waitFor(() => expect(fake!.called('Messages').length).toBeGreaterThan(0));
    const before = fake.calls.length;
    fake.emit({ kind: 'progress', conversation: 1, done: 400, total: 1000 });
    const bar = (await within(pane).findByRole('progressbar', { name: 'File transfer: 40%' })) as HTMLProgressElement;
    expect(bar.value).toBe(400);
    fake.emit({ kind: 'progress', conversation: 2, done: 1, total: 1000 });
    fake.emit({ kind: 'progress', conversation: 1, done: 1000, total: 1000 });
    await waitFor(() => expect(within(pane).queryByRole('progressbar')).toBeNull());
    expect(fake.calls.length).toBe(before);
  });
});

describe('attachments', () => {
  it('attaches a chosen file with the draft as caption, shows it with a local thumbnail, and saves it', async () => {
    fake = installFake({ conversations: [conv({ id: 1, handle: 'bob' })] });
    render(App);
    const pane = await openConversation('bob');
    const attach = within(pane).getByRole('button', { name: 'Attach a file' });
    await fireEvent.click(attach); // cancelled: nothing is sent
    await waitFor(() => expect(fake!.called('ChooseFile')).toHaveLength(1));
    expect(fake.called('SendFile')).toEqual([]);

    fake.override.ChooseFile = () => '/home/a/cat.png';
    const box = within(pane).getByRole('textbox', { name: 'Message @bob' }) as HTMLTextAreaElement;
    await fireEvent.input(box, { target: { value: 'my cat' } });
    await fireEvent.click(attach);
    await waitFor(() => expect(fake!.called('SendFile')).toEqual([[1, '/home/a/cat.png', 'my cat']]));
    await waitFor(() => expect(box.value).toBe(''));
    const img = await within(pane).findByRole('img', { name: 'cat.png' });
    expect(img.getAttribute('src')).toMatch(/^data:image\/jpeg/);
    expect(within(pane).getByText('2.5 MB')).toBeTruthy();

    fake.override.ChooseSavePath = (_t, name) => `/home/a/Downloads/${name}`;
    await fireEvent.click(within(pane).getByRole('button', { name: 'Save cat.png' }));
    expect((await within(pane).findByRole('status')).textContent).toBe('Saved to /home/a/Downloads/cat.png');
    expect(fake.called('SaveAttachment')).toEqual([[expect.any(Number), '/home/a/Downloads/cat.png']]);
  });
});

describe('backup', () => {
  it('backs up to the chosen file and shows the recovery key once', async () => {
    fake = installFake();
    fake.override.ChooseSavePath = (_t, name) => `/home/a/${name}`;
    render(App);
    await screen.findByText('No conversations yet');
    await fireEvent.keyDown(window, { key: ',', ctrlKey: true });
    await fireEvent.click(await screen.findByRole('button', { name: 'Account' }));
    await fireEvent.click(await screen.findByRole('button', { name: 'Back up…' }));
    expect((await screen.findByTestId('recovery-key')).textContent).toBe('ABCD-EFGH-IJKL-MNOP');
    expect(fake.called('Backup')).toEqual([['/home/a/sotto-backup.sotto']]);
    expect(screen.getByRole('status').textContent).toMatch(/will not show it again/);
  });
});

describe('restore', () => {
  it('restores from a chosen backup with its recovery key, asking for a passphrase when there is no keyring', async () => {
    fake = installFake({ status: { hasProfile: false, signedIn: false, handle: '', defaultRelay: '' } as never });
    fake.override.ChooseFile = () => '/media/usb/sotto-backup.sotto';
    fake.override.Restore = (_p, _k, pass) => {
      if (!pass) throw 'No keyring is available on this computer: choose a passphrase to protect your messages.';
      return { hasProfile: true, signedIn: true, handle: 'alice', defaultRelay: '' };
    };
    render(App);
    await fireEvent.click(await screen.findByRole('button', { name: 'Restore from a backup' }));
    await fireEvent.click(await screen.findByRole('button', { name: 'Choose file…' }));
    await waitFor(() => expect(screen.getByTestId('backup-path').textContent).toBe('/media/usb/sotto-backup.sotto'));
    await fireEvent.input(screen.getByLabelText('Recovery key'), { target: { value: ' ABCD-EFGH ' } });
    await fireEvent.click(screen.getByRole('button', { name: 'Restore' }));
    expect((await screen.findByRole('alert')).textContent).toMatch(/choose a passphrase/);
    await fireEvent.input(screen.getByLabelText('Passphrase'), { target: { value: 'correct horse' } });
    await fireEvent.input(screen.getByLabelText('The same passphrase again'), { target: { value: 'correct horse' } });
    await fireEvent.click(screen.getByRole('button', { name: 'Restore' }));
    expect(await screen.findByRole('heading', { name: 'You are @alice' })).toBeTruthy();
    expect(fake.called('Restore').at(-1)).toEqual(['/media/usb/sotto-backup.sotto', 'ABCD-EFGH', 'correct horse']);
  });
});
