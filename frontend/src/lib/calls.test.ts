import { afterEach, describe, expect, it, vi } from 'vitest';
import { get } from 'svelte/store';
import type { CallView } from './api';
import { callView } from '../testing/fakeCalls';
import {
  applyCall,
  callAction,
  callLogMissed,
  callLogText,
  callsState,
  duration,
  elapsed,
  END_NOTICE_MS,
  endReasonText,
  qualityLabel,
  resetCalls,
  stateLabel,
} from './calls';

afterEach(() => {
  resetCalls();
  vi.useRealTimers();
});

const key = (k: string, mods: Partial<{ ctrlKey: boolean; metaKey: boolean; altKey: boolean; shiftKey: boolean }> = {}) => ({
  key: k,
  ctrlKey: false,
  metaKey: false,
  altKey: false,
  shiftKey: false,
  ...mods,
});

describe('call words', () => {
  it('names every state', () => {
    const want: Record<string, string> = {
      calling: 'Calling @bob…',
      ringing: 'Ringing @bob…',
      incoming: '@bob is calling',
      connecting: 'Connecting…',
      connected: 'Connected',
      reconnecting: 'Reconnecting…',
      ended: 'Call ended',
    };
    for (const [state, text] of Object.entries(want)) {
      expect(stateLabel(callView({ id: 'a', state, endReason: state === 'ended' ? 'hung up' : '' }))).toBe(text);
    }
  });

  it('says why a call ended, from either side', () => {
    const cases: [string, boolean, string][] = [
      ['hung up', true, 'Call ended'],
      ['declined', true, '@bob declined the call'],
      ['declined', false, 'You declined the call'],
      ['busy', true, '@bob is on another call'],
      ['missed', true, '@bob did not answer'],
      ['missed', false, 'Missed call from @bob'],
      ['unreachable', true, '@bob could not be reached. They may be offline.'],
      ['no network path', true, 'No network path to @bob. Check your connection, or a firewall may be blocking calls.'],
      ['connection lost', false, 'The connection to @bob was lost'],
      ['failed: DTLS fingerprint mismatch', true, 'The call failed: DTLS fingerprint mismatch'],
      ['failed', true, 'The call failed.'],
      ['something new', true, 'Call ended'],
    ];
    for (const [reason, outgoing, text] of cases) {
      expect(endReasonText({ endReason: reason, outgoing, handle: 'bob' })).toBe(text);
    }
  });

  it('formats durations, the timer and quality', () => {
    expect(duration(0)).toBe('0:00');
    expect(duration(7.9)).toBe('0:07');
    expect(duration(724)).toBe('12:04');
    expect(duration(3723)).toBe('1:02:03');
    expect(duration(-5)).toBe('0:00');
    expect(elapsed(callView({ id: 'a', connectedAt: 1_000 }), 66_000)).toBe('1:05');
    expect(elapsed(callView({ id: 'a', connectedAt: 0 }), 66_000)).toBe('0:00');
    expect(qualityLabel('good')).toBe('Connection: good');
    expect(qualityLabel('poor')).toBe('Connection: poor');
    expect(qualityLabel('')).toBe('');
  });

  it('writes call log entries as UI.md shows them', () => {
    const log = (p: Partial<{ outgoing: boolean; video: boolean; seconds: number; reason: string }>) => ({
      outgoing: false,
      video: false,
      seconds: 0,
      reason: '',
      ...p,
    });
    expect(callLogText(log({ reason: 'missed' }))).toBe('Missed voice call');
    expect(callLogText(log({ reason: 'missed', outgoing: true, video: true }))).toBe('Unanswered video call');
    expect(callLogText(log({ video: true, seconds: 724 }))).toBe('Video call · 12:04');
    expect(callLogText(log({ reason: 'answered', seconds: 42 }))).toBe('Voice call · 0:42');
    expect(callLogText(log({ reason: 'declined', video: true }))).toBe('Declined video call');
    expect(callLogText(log({ reason: 'busy' }))).toBe('Voice call · busy');
    expect(callLogText(log({ reason: 'unreachable' }))).toBe('Voice call · could not connect');
    expect(callLogText(log({ reason: 'failed', video: true }))).toBe('Video call · failed');
    expect(callLogMissed(log({ reason: 'missed' }))).toBe(true);
    expect(callLogMissed(log({ reason: 'missed', outgoing: true }))).toBe(false);
  });
});

describe('call keys', () => {
  it('maps Ctrl+Shift+M/V/H (Cmd on macOS) and nothing else', () => {
    expect(callAction(key('M', { ctrlKey: true, shiftKey: true }), false)).toBe('mute');
    expect(callAction(key('v', { ctrlKey: true, shiftKey: true }), false)).toBe('camera');
    expect(callAction(key('H', { ctrlKey: true, shiftKey: true }), false)).toBe('hangup');
    expect(callAction(key('H', { metaKey: true, shiftKey: true }), true)).toBe('hangup');
    expect(callAction(key('H', { ctrlKey: true, shiftKey: true }), true)).toBeNull();
    expect(callAction(key('m', { ctrlKey: true }), false)).toBeNull();
    expect(callAction(key('m', { ctrlKey: true, shiftKey: true, altKey: true }), false)).toBeNull();
    // Ctrl+Shift+E stays "react" (UI.md): not a call key.
    expect(callAction(key('E', { ctrlKey: true, shiftKey: true }), false)).toBeNull();
  });
});

describe('call state', () => {
  it('shows the current call, an incoming one beside it, and the end reason for a few seconds', () => {
    vi.useFakeTimers();
    applyCall(callView({ id: 'a', state: 'calling' }));
    expect(get(callsState).current?.id).toBe('a');
    applyCall(callView({ id: 'b', state: 'incoming', outgoing: false, handle: 'carol' }));
    expect(get(callsState).incoming?.handle).toBe('carol');
    expect(get(callsState).current?.id).toBe('a');
    applyCall(callView({ id: 'a', state: 'connected', connectedAt: Date.now() }));
    expect(get(callsState).current?.state).toBe('connected');
    applyCall(callView({ id: 'a', state: 'ended', endReason: 'hung up' }));
    let s = get(callsState);
    expect(s.current).toBeNull();
    expect(s.ended?.id).toBe('a');
    vi.advanceTimersByTime(END_NOTICE_MS + 1);
    s = get(callsState);
    expect(s.ended).toBeNull();
    expect(s.incoming?.id).toBe('b');
  });

  it('keeps fields an update leaves out and ignores events without an id', () => {
    applyCall(callView({ id: 'a', state: 'connected', muted: true }));
    applyCall({ id: 'a', state: 'connected', quality: 'fair' } as CallView);
    expect(get(callsState).current?.muted).toBe(true);
    expect(get(callsState).current?.quality).toBe('fair');
    applyCall({} as CallView);
    expect(get(callsState).current?.id).toBe('a');
  });
});
