import { afterEach, describe, expect, it, vi } from 'vitest';
import { cleanup, fireEvent, render, screen, waitFor, within } from '@testing-library/svelte';
import App from '../App.svelte';
import { conv, installFake, msg, type Fake } from '../testing/fakeGo';
import { installFakeCalls, type FakeCalls } from '../testing/fakeCalls';
import { END_NOTICE_MS, resetCalls } from './calls';

let fake: Fake | undefined;
let calls: FakeCalls;

afterEach(() => {
  cleanup();
  resetCalls();
  fake?.uninstall();
  fake = undefined;
  vi.useRealTimers();
});

function setup(messages: Record<number, ReturnType<typeof msg>[]> = {}) {
  fake = installFake({ conversations: [conv({ id: 1, handle: 'bob' })], messages });
  calls = installFakeCalls(fake);
  render(App);
}

async function openBob() {
  await fireEvent.click(await screen.findByRole('button', { name: /@bob/ }));
  return screen.findByRole('main', { name: 'Conversation with @bob' });
}

const ctrlShift = (key: string) => fireEvent.keyDown(window, { key, ctrlKey: true, shiftKey: true });

describe('starting a call', () => {
  it('calls from the conversation header and shows the call screen through every state', async () => {
    setup();
    const pane = await openBob();
    await fireEvent.click(within(pane).getByRole('button', { name: 'Video call @bob' }));
    expect(fake!.called('Start')).toEqual([[1, true]]);
    const screenEl = await screen.findByRole('region', { name: 'Call with @bob' });
    const state = within(screenEl).getByTestId('call-state');
    expect(state.textContent).toMatch('Calling @bob…');
    // While a call is on, the header buttons wait.
    expect((within(pane).getByRole('button', { name: 'Voice call @bob' }) as HTMLButtonElement).disabled).toBe(true);

    calls.emit({ id: 'c1', state: 'ringing', video: true });
    await waitFor(() => expect(state.textContent).toMatch('Ringing @bob…'));
    calls.emit({ id: 'c1', state: 'connecting', video: true });
    await waitFor(() => expect(state.textContent).toMatch('Connecting…'));
    calls.emit({ id: 'c1', state: 'connected', video: true, connectedAt: Date.now() - 65_000, quality: 'good' });
    await waitFor(() => expect(within(screenEl).getByTestId('call-timer').textContent).toMatch(/^1:0[56]$/));
    expect(within(screenEl).getByTestId('call-quality').textContent).toMatch('Connection: good');
    calls.emit({ id: 'c1', state: 'connected', video: true, connectedAt: Date.now(), quality: 'poor', note: 'No audio received from @bob' });
    await waitFor(() => expect(within(screenEl).getByTestId('call-note').textContent).toBe('No audio received from @bob'));
    expect(within(screenEl).getByTestId('call-quality').textContent).toMatch('Connection: poor');
    calls.emit({ id: 'c1', state: 'reconnecting', video: true, connectedAt: Date.now() });
    await waitFor(() => expect(within(screenEl).getAllByText('Reconnecting…').length).toBeGreaterThan(0));
  });

  it('calls from the contact panel', async () => {
    setup();
    const pane = await openBob();
    await fireEvent.click(within(pane).getByRole('button', { name: 'Conversation menu' }));
    await fireEvent.click(screen.getByRole('menuitem', { name: 'Contact and safety number' }));
    const dialog = await screen.findByRole('dialog', { name: '@bob' });
    await fireEvent.click(within(dialog).getByRole('button', { name: 'Voice call @bob' }));
    expect(fake!.called('Start')).toEqual([[1, false]]);
    await screen.findByRole('region', { name: 'Call with @bob' });
    expect(screen.queryByRole('dialog', { name: '@bob' })).toBeNull();
  });

  it('says so when the call cannot start', async () => {
    setup();
    fake!.override.Start = () => {
      throw 'You are already in a call. Hang up first.';
    };
    const pane = await openBob();
    await fireEvent.click(within(pane).getByRole('button', { name: 'Voice call @bob' }));
    expect((await within(pane).findByRole('alert')).textContent).toBe('You are already in a call. Hang up first.');
    expect(screen.queryByRole('region', { name: 'Call with @bob' })).toBeNull();
  });
});

describe('in a call', () => {
  async function connected(p: Record<string, unknown> = {}) {
    setup();
    await screen.findByRole('button', { name: /@bob/ });
    calls.emit({ id: 'c9', state: 'connected', connectedAt: Date.now(), video: true, ...p });
    return screen.findByRole('region', { name: 'Call with @bob' });
  }

  it('mutes, turns the camera off and hangs up with the buttons', async () => {
    const el = await connected();
    const mute = within(el).getByRole('button', { name: 'Mute microphone' });
    expect(mute.getAttribute('aria-pressed')).toBe('false');
    await fireEvent.click(mute);
    expect(fake!.called('SetMuted')).toEqual([['c9', true]]);
    await waitFor(() => expect(within(el).getByRole('button', { name: 'Unmute microphone' }).getAttribute('aria-pressed')).toBe('true'));
    await fireEvent.click(within(el).getByRole('button', { name: 'Turn camera off' }));
    expect(fake!.called('SetCamera')).toEqual([['c9', false]]);
    await within(el).findByRole('button', { name: 'Turn camera on' });
    await fireEvent.click(within(el).getByRole('button', { name: 'Hang up' }));
    expect(fake!.called('Hangup')).toEqual([['c9']]);
  });

  it('answers Ctrl+Shift+M, V and H', async () => {
    const el = await connected();
    await ctrlShift('M');
    await ctrlShift('V');
    await ctrlShift('H');
    await waitFor(() => expect(fake!.called('Hangup')).toEqual([['c9']]));
    expect(fake!.called('SetMuted')).toEqual([['c9', true]]);
    expect(fake!.called('SetCamera')).toEqual([['c9', false]]);
    expect(el).toBeTruthy();
  });

  it('chooses devices from real ARIA menus', async () => {
    const el = await connected();
    const chooser = within(el).getByRole('button', { name: 'Choose microphone' });
    await waitFor(() => expect(fake!.called('Devices').length).toBe(1));
    await fireEvent.click(chooser);
    const menu = await screen.findByRole('menu', { name: 'Microphone' });
    const items = within(menu).getAllByRole('menuitemradio');
    expect(items.map((i) => i.textContent)).toEqual(['Built-in microphone (default)', 'USB headset']);
    expect(items[0].getAttribute('aria-checked')).toBe('true');
    await waitFor(() => expect(document.activeElement).toBe(items[0]));
    await fireEvent.keyDown(menu, { key: 'ArrowDown' });
    expect(document.activeElement).toBe(items[1]);
    await fireEvent.click(items[1]);
    expect(fake!.called('SetDevice')).toEqual([['microphone', 'mic-2']]);
    await fireEvent.click(chooser);
    const again = await screen.findByRole('menu', { name: 'Microphone' });
    await waitFor(() => expect(within(again).getByRole('menuitemradio', { name: 'USB headset' }).getAttribute('aria-checked')).toBe('true'));
    await fireEvent.keyDown(again, { key: 'Escape' });
    expect(screen.queryByRole('menu')).toBeNull();
    expect(document.activeElement).toBe(chooser);
    // Speaker and camera menus too.
    expect(within(el).getByRole('button', { name: 'Choose camera' })).toBeTruthy();
    expect(within(el).getByRole('button', { name: 'Choose speaker' })).toBeTruthy();
  });

  it('labels every control', async () => {
    const el = await connected({ remoteVideo: true });
    for (const b of within(el).getAllByRole('button')) {
      expect(b.getAttribute('aria-label') || b.textContent?.trim()).toBeTruthy();
    }
    // No bridge endpoint: the peer shows as initials, not a broken surface.
    expect(within(el).getByRole('img', { name: '@bob, no video' })).toBeTruthy();
  });

  it('shows the end reason for a few seconds, then nothing', async () => {
    await connected();
    vi.useFakeTimers({ shouldAdvanceTime: true });
    calls.emit({ id: 'c9', state: 'ended', endReason: 'connection lost', outgoing: true });
    const ended = await screen.findByTestId('call-ended');
    expect(ended.textContent).toBe('The connection to @bob was lost');
    expect(screen.queryByRole('region', { name: 'Call with @bob' })).toBeNull();
    vi.advanceTimersByTime(END_NOTICE_MS + 10);
    await waitFor(() => expect(screen.queryByTestId('call-ended')).toBeNull());
  });

  for (const [reason, text] of [
    ['declined', '@bob declined the call'],
    ['busy', '@bob is on another call'],
    ['missed', '@bob did not answer'],
    ['unreachable', '@bob could not be reached. They may be offline.'],
    ['no network path', 'No network path to @bob. Check your connection, or a firewall may be blocking calls.'],
    ['failed: ICE failed', 'The call failed: ICE failed'],
  ]) {
    it(`ends with "${reason}" in words`, async () => {
      setup();
      await screen.findByRole('button', { name: /@bob/ });
      calls.emit({ id: 'c2', state: 'calling' });
      await screen.findByRole('region', { name: 'Call with @bob' });
      calls.emit({ id: 'c2', state: 'ended', endReason: reason });
      expect((await screen.findByTestId('call-ended')).textContent).toBe(text);
    });
  }
});

describe('incoming calls', () => {
  async function ringing(video = false) {
    setup();
    const other = await screen.findByRole('button', { name: /@bob/ });
    other.focus();
    calls.emit({ id: 'in1', state: 'incoming', outgoing: false, remoteVideo: video });
    return screen.findByRole('alertdialog', { name: '@bob' });
  }

  it('announces the call, takes focus and accepts with audio', async () => {
    const overlay = await ringing();
    expect(overlay.getAttribute('aria-describedby')).toBeTruthy();
    expect(within(overlay).getByText('Voice call')).toBeTruthy();
    expect(screen.getByText('Voice call from @bob').getAttribute('aria-live')).toBe('assertive');
    const accept = within(overlay).getByRole('button', { name: 'Accept voice' });
    await waitFor(() => expect(document.activeElement).toBe(accept));
    await fireEvent.click(accept);
    expect(fake!.called('Accept')).toEqual([['in1', false]]);
    await waitFor(() => expect(screen.queryByRole('alertdialog')).toBeNull());
    expect((await screen.findByRole('region', { name: 'Call with @bob' })).getAttribute('data-state')).toBe('connecting');
  });

  it('accepts with video', async () => {
    const overlay = await ringing(true);
    expect(within(overlay).getByText('Video call')).toBeTruthy();
    await fireEvent.click(within(overlay).getByRole('button', { name: 'Accept video' }));
    expect(fake!.called('Accept')).toEqual([['in1', true]]);
  });

  it('declines from the keyboard, keeping Tab inside the overlay', async () => {
    const overlay = await ringing();
    const buttons = within(overlay).getAllByRole('button');
    expect(buttons.map((b) => b.textContent)).toEqual(['Accept voice', 'Accept video', 'Decline']);
    await waitFor(() => expect(document.activeElement).toBe(buttons[0]));
    await fireEvent.keyDown(overlay, { key: 'Tab', shiftKey: true });
    expect(document.activeElement).toBe(buttons[2]);
    await fireEvent.keyDown(overlay, { key: 'Tab' });
    expect(document.activeElement).toBe(buttons[0]);
    await fireEvent.click(buttons[2]);
    expect(fake!.called('Decline')).toEqual([['in1']]);
    calls.emit({ id: 'in1', state: 'ended', endReason: 'declined', outgoing: false });
    expect((await screen.findByTestId('call-ended')).textContent).toBe('You declined the call');
    await waitFor(() => expect(screen.queryByRole('alertdialog')).toBeNull());
  });

  it('shows a call already ringing when the window opens', async () => {
    fake = installFake({ conversations: [conv({ id: 1, handle: 'bob' })] });
    calls = installFakeCalls(fake);
    calls.active = [
      { id: 'early', conversation: 1, handle: 'bob', outgoing: false, video: false, remoteVideo: false, state: 'incoming', endReason: '', startedAt: Date.now(), connectedAt: 0, muted: false, quality: '', note: '' },
    ];
    render(App);
    expect(await screen.findByRole('alertdialog', { name: '@bob' })).toBeTruthy();
  });
});

describe('call log', () => {
  it('shows missed, declined and answered calls in the chat with Call back', async () => {
    const log = (id: number, callLog: Record<string, unknown>) => msg({ id, body: '', callLog } as never);
    setup({
      1: [
        log(1, { outgoing: false, video: false, seconds: 0, reason: 'missed' }),
        log(2, { outgoing: true, video: true, seconds: 0, reason: 'declined' }),
        log(3, { outgoing: true, video: true, seconds: 724, reason: '' }),
      ],
    });
    const pane = await openBob();
    const rows = await within(pane).findAllByTestId('call-log');
    expect(rows.map((r) => r.querySelector('.text')?.textContent)).toEqual(['Missed voice call', 'Declined video call', 'Video call · 12:04']);
    expect(rows[0].classList.contains('missed')).toBe(true);
    // Rows are messages of the log: ↑/↓ reach them.
    rows[2].focus();
    await fireEvent.keyDown(rows[2], { key: 'ArrowUp' });
    expect(document.activeElement).toBe(rows[1]);
    await fireEvent.click(within(rows[0]).getByRole('button', { name: 'Call @bob back (voice)' }));
    expect(fake!.called('Start')).toEqual([[1, false]]);
  });
});
