// Calls in the UI: the live state of calls (from "sotto:call" events), the
// actions the call screen takes, and the words for states, end reasons and
// call log entries. Components render what this module holds; it reaches Go
// only through api.ts.
import { writable, type Readable } from 'svelte/store';
import * as api from './api';
import type { CallLog, CallView } from './api';
import { primaryModifier } from './shortcuts';

export type CallState = 'calling' | 'ringing' | 'incoming' | 'connecting' | 'connected' | 'reconnecting' | 'ended';

/** What the window shows: the call on screen, a call ringing here, and the
 *  call that just ended (its reason stays up for END_NOTICE_MS). */
export interface CallsSnapshot {
  current: CallView | null;
  incoming: CallView | null;
  ended: CallView | null;
}

/** How long an end reason stays on screen. */
export const END_NOTICE_MS = 5000;

const live = new Map<string, CallView>();
let ended: CallView | null = null;
let endedTimer: ReturnType<typeof setTimeout> | undefined;
const store = writable<CallsSnapshot>({ current: null, incoming: null, ended: null });

/** The calls the window shows; subscribe with $callsState in components. */
export const callsState: Readable<CallsSnapshot> = { subscribe: store.subscribe };

function publish() {
  const all = [...live.values()];
  store.set({
    current: all.filter((c) => c.state !== 'incoming').sort((a, b) => b.startedAt - a.startedAt)[0] ?? null,
    incoming: all.find((c) => c.state === 'incoming') ?? null,
    ended,
  });
}

/** Takes in a change of a call (an event, or the answer to an action). */
export function applyCall(v: CallView) {
  if (!v?.id) return;
  if (v.state === 'ended') {
    live.delete(v.id);
    ended = v;
    clearTimeout(endedTimer);
    endedTimer = setTimeout(() => {
      if (ended?.id === v.id) ended = null;
      publish();
    }, END_NOTICE_MS);
  } else {
    live.set(v.id, { ...live.get(v.id), ...v });
    if (ended?.id === v.id) ended = null;
  }
  publish();
}

/** Forgets every call (tests, sign-out). */
export function resetCalls() {
  live.clear();
  ended = null;
  clearTimeout(endedTimer);
  publish();
}

/** Follows the backend's calls: what is active now, then every change.
 *  Returns the function that stops listening. */
export function followCalls(): () => void {
  const off = api.onCallEvent(applyCall);
  api
    .activeCalls()
    .then((all) => all.forEach(applyCall))
    .catch(() => {
      // No call service (signed out, or an older backend): nothing to show.
    });
  return off;
}

function patch(id: string, p: Partial<CallView>) {
  const v = live.get(id);
  if (v) applyCall({ ...v, ...p } as CallView);
}

/** Calls the contact of a conversation; the call screen opens at once. */
export async function startCall(conversation: number, video: boolean): Promise<CallView> {
  const v = await api.startCall(conversation, video);
  applyCall(v);
  return v;
}

export async function acceptCall(id: string, video: boolean) {
  await api.acceptCall(id, video);
  patch(id, { state: 'connecting', video });
}

export async function declineCall(id: string) {
  await api.declineCall(id);
}

export async function hangUp(id: string) {
  await api.hangupCall(id);
}

export async function setMuted(id: string, muted: boolean) {
  await api.setCallMuted(id, muted);
  patch(id, { muted });
}

export async function setCamera(id: string, on: boolean) {
  await api.setCallCamera(id, on);
  patch(id, { video: on });
}

/** Whether a call is still going (not ended). */
export function isLive(v: CallView | null): boolean {
  return !!v && v.state !== 'ended';
}

/** The line under the peer's name on the call screen. */
export function stateLabel(v: CallView): string {
  switch (v.state as CallState) {
    case 'calling':
      return `Calling @${v.handle}…`;
    case 'ringing':
      return `Ringing @${v.handle}…`;
    case 'incoming':
      return `@${v.handle} is calling`;
    case 'connecting':
      return 'Connecting…';
    case 'connected':
      return 'Connected';
    case 'reconnecting':
      return 'Reconnecting…';
    case 'ended':
      return endReasonText(v);
  }
  return v.state;
}

/** Why a call ended, in words that say what happened (and never blame). */
export function endReasonText(v: Pick<CallView, 'endReason' | 'outgoing' | 'handle'>): string {
  const who = `@${v.handle}`;
  const r = v.endReason ?? '';
  if (r.startsWith('failed')) {
    const why = r.replace(/^failed:?\s*/, '');
    return why ? `The call failed: ${why}` : 'The call failed.';
  }
  switch (r) {
    case 'hung up':
      return 'Call ended';
    case 'declined':
      return v.outgoing ? `${who} declined the call` : 'You declined the call';
    case 'busy':
      return `${who} is on another call`;
    case 'missed':
      return v.outgoing ? `${who} did not answer` : `Missed call from ${who}`;
    case 'unreachable':
      return `${who} could not be reached. They may be offline.`;
    case 'no network path':
      return `No network path to ${who}. Check your connection, or a firewall may be blocking calls.`;
    case 'connection lost':
      return `The connection to ${who} was lost`;
  }
  return 'Call ended';
}

/** 0:07, 12:04, 1:02:03. */
export function duration(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}

/** The call timer: time since connected (0 before). */
export function elapsed(v: CallView, now: number): string {
  return duration(v.connectedAt ? (now - v.connectedAt) / 1000 : 0);
}

/** "Connection: good" etc., or "" when unknown. */
export function qualityLabel(q: string): string {
  return q === 'good' || q === 'fair' || q === 'poor' ? `Connection: ${q}` : '';
}

/** A call log entry as the conversation shows it: "Missed voice call",
 *  "Video call · 12:04". */
export function callLogText(log: CallLog): string {
  const kind = log.video ? 'video call' : 'voice call';
  const Kind = log.video ? 'Video call' : 'Voice call';
  switch (log.reason) {
    case '':
    case 'answered':
      return `${Kind} · ${duration(log.seconds)}`;
    case 'missed':
      return log.outgoing ? `Unanswered ${kind}` : `Missed ${kind}`;
    case 'declined':
      return `Declined ${kind}`;
    case 'busy':
      return `${Kind} · busy`;
    case 'unreachable':
      return `${Kind} · could not connect`;
    case 'failed':
      return `${Kind} · failed`;
  }
  return Kind;
}

/** Whether a call log entry is one to notice (a missed call is). */
export function callLogMissed(log: CallLog): boolean {
  return log.reason === 'missed' && !log.outgoing;
}

export type CallAction = 'mute' | 'camera' | 'hangup' | null;

/** In a call: Ctrl+Shift+M mute, Ctrl+Shift+V camera, Ctrl+Shift+H hang up
 *  (Cmd on macOS), as UI.md lists them. */
export function callAction(e: { key: string; ctrlKey: boolean; metaKey: boolean; altKey: boolean; shiftKey: boolean }, isMac: boolean): CallAction {
  if (!primaryModifier(e, isMac) || !e.shiftKey || e.altKey) return null;
  switch (e.key.toLowerCase()) {
    case 'm':
      return 'mute';
    case 'v':
      return 'camera';
    case 'h':
      return 'hangup';
  }
  return null;
}
