// A fake app.Chats/app.Info behind globalThis.go and a fake Wails runtime for
// component tests: records calls, holds conversations and messages, and can
// emit "sotto:event" like main.go does.
import type { AccountStatus, Conversation, Message, SottoEvent } from '../lib/api';

export interface Fake {
  calls: { name: string; args: unknown[] }[];
  status: AccountStatus;
  conversations: Conversation[];
  messages: Map<number, Message[]>;
  files: Map<number, { id: number; name: string; mime: string; size: number; image: boolean }[]>;
  /** Overrides by method name: return a value or throw. */
  override: Record<string, (...args: unknown[]) => unknown>;
  emit(e: SottoEvent): void;
  called(name: string): unknown[][];
  uninstall(): void;
}

export function conv(p: Partial<Conversation> & { id: number; handle: string }): Conversation {
  return {
    contactId: p.id + 100,
    state: 'accepted',
    verification: 'unverified',
    keyChangedAt: 0,
    lastMessage: '',
    lastAt: Date.now(),
    unread: 0,
    muted: false,
    timerSecs: 0,
    ...p,
  } as Conversation;
}

export function msg(p: Partial<Message> & { id: number }): Message {
  return {
    outgoing: false,
    status: 'sent',
    body: `message ${p.id}`,
    replyTo: 0,
    sentAt: Date.now(),
    edited: false,
    expiresAt: 0,
    reactions: [],
    ...p,
  } as Message;
}

type G = { go?: unknown; runtime?: unknown };

export function installFake(init: Partial<Pick<Fake, 'status' | 'conversations'>> & { messages?: Record<number, Message[]> } = {}): Fake {
  const listeners: ((e: SottoEvent) => void)[] = [];
  // jsdom's window has focus only while an element has; Sotto's window is focused.
  const realHasFocus = document.hasFocus;
  document.hasFocus = () => true;
  let nextId = 1000;
  const fake: Fake = {
    calls: [],
    status: init.status ?? { hasProfile: true, signedIn: true, handle: 'alice', defaultRelay: 'https://relay.test', relay: 'https://relay.test' },
    conversations: init.conversations ?? [],
    messages: new Map(Object.entries(init.messages ?? {}).map(([k, v]) => [Number(k), v])),
    override: {},
    files: new Map(),
    emit: (e) => listeners.forEach((l) => l(e)),
    called: (name) => fake.calls.filter((c) => c.name === name).map((c) => c.args),
    uninstall: () => {
      document.hasFocus = realHasFocus;
      delete (globalThis as G).go;
      delete (globalThis as G).runtime;
    },
  };
  const defaults: Record<string, (...a: never[]) => unknown> = {
    Status: () => fake.status,
    Unlock: () => ({ ...fake.status, signedIn: true }),
    CheckHandle: (s: string) =>
      /^[a-z0-9_]{3,}$/.test(s.toLowerCase()) ? { handle: s.toLowerCase(), problem: '' } : { handle: '', problem: 'Use only letters a–z, digits and _.' },
    CheckHandleAt: (s: string) => {
      const c = defaults.CheckHandle(s as never) as { handle: string; problem: string };
      if (c.problem) return { ...c, availability: 'unknown' };
      return c.handle === 'taken' ? { ...c, problem: 'Someone already has that handle. Choose another.', availability: 'taken' } : { ...c, availability: 'available' };
    },
    Register: (h: string) => ({ hasProfile: true, signedIn: true, handle: h, defaultRelay: '' }),
    CancelRegister: () => undefined,
    Conversations: () => fake.conversations,
    StartConversation: (h: string) => {
      const c = conv({ id: nextId++, handle: h });
      fake.conversations = [c, ...fake.conversations];
      return c;
    },
    Messages: (c: number, before: number, limit: number) =>
      (fake.messages.get(c) ?? []).filter((m) => !before || m.id < before).slice(-limit),
    Send: (c: number, text: string, replyTo: number) => {
      const m = msg({ id: nextId++, outgoing: true, status: 'pending', body: text, replyTo });
      fake.messages.set(c, [...(fake.messages.get(c) ?? []), m]);
      return m;
    },
    MarkRead: (c: number) => {
      fake.messages.set(c, (fake.messages.get(c) ?? []).map((m) => (m.outgoing ? m : ({ ...m, status: 'read' } as Message))));
    },
    React: () => undefined,
    Edit: () => undefined,
    DeleteForEveryone: () => undefined,
    Retry: () => undefined,
    SetTyping: () => undefined,
    SetTimer: () => undefined,
    Accept: (c: number) => {
      fake.conversations = fake.conversations.map((x) => (x.id === c ? { ...x, state: 'accepted' } : x)) as Conversation[];
    },
    Block: () => undefined,
    DeleteConversation: () => undefined,
    Search: () => [],
    Contact: () => ({
      handle: 'bob',
      verification: 'unverified',
      safetyNumber: '12345 '.repeat(12).trim(),
      qr: 'c290dG8=',
      transparencyChecked: true,
      transparencySize: 1234,
    }),
    Transparency: () => ({ checked: true, size: 1234, version: 1, at: '' }),
    Verify: () => undefined,
    MarkVerified: () => undefined,
    DismissKeyChange: (c: number) => {
      fake.conversations = fake.conversations.map((x) => (x.id === c ? { ...x, keyChangedAt: 0 } : x)) as Conversation[];
    },
    SendFile: (c: number, path: string, caption: string) => {
      const m = msg({ id: nextId++, outgoing: true, status: 'pending', body: caption });
      fake.messages.set(c, [...(fake.messages.get(c) ?? []), m]);
      fake.files.set(m.id, [{ id: m.id * 10, name: path.split('/').pop()!, mime: 'image/png', size: 2_500_000, image: true }]);
      return m;
    },
    Attachments: (m: number) => fake.files.get(m) ?? [],
    Thumbnail: () => 'data:image/jpeg;base64,AAAA',
    SaveAttachment: () => undefined,
    Backup: () => 'ABCD-EFGH-IJKL-MNOP',
    Restore: () => ({ hasProfile: true, signedIn: true, handle: 'alice', defaultRelay: '' }),
    Preferences: () => ({ readReceipts: true, typingIndicators: true, notificationContent: 'full', relayCalls: false }),
    SetPreferences: (p: unknown) => p,
  };
  const Chats: Record<string, (...a: unknown[]) => Promise<unknown>> = {};
  for (const name of Object.keys(defaults)) {
    Chats[name] = async (...args: unknown[]) => {
      fake.calls.push({ name, args });
      const f = fake.override[name] ?? (defaults[name] as (...a: unknown[]) => unknown);
      return f(...args);
    };
  }
  const Dialogs: Record<string, (...a: unknown[]) => Promise<unknown>> = {};
  for (const name of ['ChooseFile', 'ChooseSavePath']) {
    Dialogs[name] = async (...args: unknown[]) => {
      fake.calls.push({ name, args });
      return (fake.override[name] ?? (() => ''))(...args);
    };
  }
  (globalThis as G).go = {
    main: { Dialogs },
    app: {
      Chats,
      Info: {
        About: async () => ({ version: '9.9.9-test', commit: 'deadbee', goVersion: 'go1.26.8', platform: 'linux/amd64', profile: 'default', dataDir: '/tmp/sotto' }),
        UIReady: async () => {
          fake.calls.push({ name: 'UIReady', args: [] });
        },
      },
    },
  };
  (globalThis as G).runtime = {
    EventsOnMultiple: (name: string, cb: (e: SottoEvent) => void) => {
      if (name !== 'sotto:event') return () => {};
      listeners.push(cb);
      return () => listeners.splice(listeners.indexOf(cb), 1);
    },
    BrowserOpenURL: () => undefined,
  };
  return fake;
}
