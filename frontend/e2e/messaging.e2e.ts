// Two real Sotto clients through a real relay, driven from Debian's Chromium.
// Started by e2e/messaging_ui_test.go (TestMessagingUIInChromium), which sets:
//   SOTTO_ALICE_URL, SOTTO_BOB_URL  each app's dev server (UI + live bindings)
//   SOTTO_ARTIFACTS                 where screenshots go
// Without those (e.g. when TestUIInChromium runs the other e2e file) the suite
// is skipped; the Go test fails if it was skipped there.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expectNoSeriousA11yViolations, launch, openPage, PASSPHRASE, shot } from './helpers';

const aliceURL = process.env.SOTTO_ALICE_URL;
const bobURL = process.env.SOTTO_BOB_URL;

let browser: Browser;
let alice: Page;
let bob: Page;
let aliceSafetyNumber = '';

/** Onboards one client: welcome → handle → (passphrase, as there is no keyring) → done.
 *  With taken, it first types a handle someone already has: the relay's live
 *  answer must say so and keep Create disabled. */
async function onboard(p: Page, handle: string, screenshots: boolean, taken?: string) {
  await p.getByRole('heading', { name: 'Welcome to Sotto' }).waitFor();
  if (screenshots) {
    await shot(p, 'onboarding-welcome');
    await expectNoSeriousA11yViolations(p, 'onboarding: welcome');
  }
  await p.getByRole('button', { name: 'Get started' }).click();
  const create = p.getByRole('button', { name: 'Create account' });
  if (taken) {
    await p.getByLabel('Handle').fill(taken);
    await p.getByText('Someone already has that handle. Choose another.').waitFor({ timeout: 15_000 });
    expect(await create.isDisabled()).toBe(true);
    await shot(p, 'onboarding-taken');
  }
  await p.getByLabel('Handle').fill(handle);
  await p.getByText(`You will be @${handle}. It is free.`).waitFor({ timeout: 15_000 });
  if (screenshots) await expectNoSeriousA11yViolations(p, 'onboarding: handle');
  await create.click();

  const done = p.getByRole('heading', { name: `You are @${handle}` });
  const passphrase = p.getByLabel('Passphrase', { exact: true });
  await done.or(passphrase).waitFor({ timeout: 45_000 });
  if (await passphrase.isVisible()) {
    expect(await p.getByRole('alert').textContent()).toMatch(/choose a passphrase/);
    if (screenshots) {
      await shot(p, 'onboarding-passphrase');
      await expectNoSeriousA11yViolations(p, 'onboarding: passphrase');
    }
    await passphrase.fill(PASSPHRASE);
    await p.getByLabel('The same passphrase again').fill(PASSPHRASE);
    await create.click();
  }
  await done.waitFor({ timeout: 45_000 });
  if (screenshots) {
    await shot(p, 'onboarding-done');
    await expectNoSeriousA11yViolations(p, 'onboarding: done');
  }
  await p.getByRole('button', { name: 'Start messaging' }).click();
  await p.getByText('No conversations yet').waitFor();
}

/** The delivery state Alice's message with this text shows (its tick's text alternative). */
async function tickOf(p: Page, text: string): Promise<string | null> {
  const m = p.locator('article.message', { hasText: text }).last();
  return m.getAttribute('data-status');
}

async function waitForTick(p: Page, text: string, want: string[], timeout = 30_000) {
  const deadline = Date.now() + timeout;
  let last: string | null = null;
  while (Date.now() < deadline) {
    last = await tickOf(p, text);
    if (last && want.includes(last)) return last;
    await p.waitForTimeout(200);
  }
  throw new Error(`message "${text}" stayed ${last}, wanted ${want.join(' or ')}`);
}

describe.skipIf(!aliceURL || !bobURL)('two clients messaging through a relay', () => {
  beforeAll(async () => {
    browser = await launch();
    alice = await openPage(browser, aliceURL!);
    bob = await openPage(browser, bobURL!);
  });

  afterAll(async () => {
    await browser?.close();
  });

  it('Alice and Bob onboard (Bob first types a taken handle)', async () => {
    await onboard(alice, 'alice', true);
    await onboard(bob, 'bob', false, 'alice');
    await shot(alice, 'empty');
    await expectNoSeriousA11yViolations(alice, 'main screen, no conversations');
  }, 150_000);

  it('Alice finds @bob and writes; the relay acknowledges', async () => {
    await alice.getByRole('button', { name: 'New conversation' }).click();
    const dialog = alice.getByRole('dialog', { name: 'New conversation' });
    await dialog.getByLabel('Their handle').fill('bob');
    await expectNoSeriousA11yViolations(alice, 'new conversation dialog');
    await dialog.getByRole('button', { name: 'Start' }).click();
    const pane = alice.getByRole('main', { name: 'Conversation with @bob' });
    await pane.waitFor();
    const box = pane.getByRole('textbox', { name: 'Message @bob' });
    await box.fill('Hi Bob, the blue door is open');
    await box.press('Enter');
    await pane.getByText('Hi Bob, the blue door is open').waitFor();
    expect(await waitForTick(alice, 'the blue door', ['sent', 'delivered'])).toMatch(/sent|delivered/);
    // The tick has a text alternative, not just a picture.
    const tick = alice.locator('article.message', { hasText: 'the blue door' }).getByRole('img');
    expect(await tick.getAttribute('aria-label')).toMatch(/^(Sent|Delivered)$/);
    await shot(alice, 'alice-sent');
    await expectNoSeriousA11yViolations(alice, 'conversation with a sent message');
  });

  it('Bob sees the request, accepts it and replies', async () => {
    const requests = bob.getByRole('button', { name: /Requests/ });
    await requests.waitFor({ timeout: 30_000 });
    await requests.click();
    await bob.getByRole('button', { name: /@alice/ }).click();
    const pane = bob.getByRole('main', { name: 'Conversation with @alice' });
    const banner = pane.getByRole('region', { name: 'Message request' });
    await banner.waitFor();
    await pane.getByText('Hi Bob, the blue door is open').waitFor();
    await shot(bob, 'bob-request');
    await expectNoSeriousA11yViolations(bob, 'message request');
    // Not accepted yet: Alice must not see "read".
    expect(await tickOf(alice, 'the blue door')).not.toBe('read');

    await banner.getByRole('button', { name: 'Accept' }).click();
    await banner.waitFor({ state: 'detached' });
    const box = pane.getByRole('textbox', { name: 'Message @alice' });
    await box.fill('Hi Alice! Reading you loud and clear.');
    await box.press('Enter');
    await alice.getByRole('log').getByText('Hi Alice! Reading you loud and clear.').waitFor({ timeout: 30_000 });
    // Alice was told through the live region too.
    await expect.poll(() => alice.getByTestId('announcer').textContent(), { timeout: 10_000 }).toMatch(/@bob/);
  });

  it("the ticks on Alice's message move from sent to read", async () => {
    const pane = alice.getByRole('main', { name: 'Conversation with @bob' });
    const box = pane.getByRole('textbox', { name: 'Message @bob' });
    await box.fill('Did the second one arrive?');
    await box.press('Enter');
    const seen = new Set<string>();
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      const s = await tickOf(alice, 'Did the second one arrive?');
      if (s) seen.add(s);
      if (s === 'read') break;
      await alice.waitForTimeout(100);
    }
    expect([...seen]).toContain('read');
    const tick = alice.locator('article.message', { hasText: 'Did the second one arrive?' }).getByRole('img');
    expect(await tick.getAttribute('aria-label')).toBe('Read');
    await bob.getByRole('log').getByText('Did the second one arrive?').waitFor();
    // The first message, read while it was a request, turns read once Bob accepted.
    expect(await waitForTick(alice, 'the blue door', ['read'])).toBe('read');
    await shot(alice, 'alice-read');
    await shot(bob, 'bob-conversation');
    await expectNoSeriousA11yViolations(bob, 'accepted conversation');
  });

  it('search finds an old message and jumps to it', async () => {
    await alice.getByRole('textbox', { name: 'Message @bob' }).click();
    await alice.keyboard.press('Control+f');
    const dialog = alice.getByRole('dialog', { name: 'Search all conversations' });
    await dialog.waitFor();
    await dialog.getByRole('searchbox', { name: 'Search messages' }).fill('blue door');
    const hit = dialog.getByRole('button', { name: /the blue door is open/ });
    await hit.waitFor({ timeout: 10_000 });
    await dialog.getByText('1 message found.').waitFor();
    await shot(alice, 'search');
    await expectNoSeriousA11yViolations(alice, 'search');
    await hit.click();
    await dialog.waitFor({ state: 'detached' });
    await expect
      .poll(() => alice.evaluate(() => document.activeElement?.textContent ?? ''), { timeout: 5_000 })
      .toMatch(/the blue door is open/);
  });

  it('the contact panel shows the 60-digit safety number and a QR code', async () => {
    await alice.getByRole('button', { name: 'Conversation menu' }).click();
    await alice.getByRole('menuitem', { name: 'Contact and safety number' }).click();
    const panel = alice.getByRole('dialog', { name: '@bob' });
    const number = panel.getByTestId('safety-number');
    await number.waitFor();
    expect((await number.textContent())?.replace(/\D/g, '')).toHaveLength(60);
    expect(await number.locator('span').count()).toBe(12);
    await panel.getByRole('img', { name: /QR code/ }).waitFor();
    await shot(alice, 'contact-panel');
    await expectNoSeriousA11yViolations(alice, 'contact panel');
    aliceSafetyNumber = (await number.textContent()) ?? '';
    await alice.keyboard.press('Escape');
    await panel.waitFor({ state: 'detached' });
  });

  it("Bob verifies Alice by pasting the number she sent: both sides computed the same one", async () => {
    const pane = bob.getByRole('main', { name: 'Conversation with @alice' });
    await pane.getByRole('button', { name: 'Conversation menu' }).click();
    await bob.getByRole('menuitem', { name: 'Contact and safety number' }).click();
    const panel = bob.getByRole('dialog', { name: '@alice' });
    await panel.getByLabel('Or paste the number they sent you').fill(aliceSafetyNumber);
    await panel.getByRole('button', { name: 'Compare' }).click();
    await panel.getByText('The numbers match. Verified.').waitFor();
    await bob.keyboard.press('Escape');
    await panel.waitFor({ state: 'detached' });
    await pane.getByText('Verified', { exact: true }).waitFor();
  });

  it('replies, reactions and edits travel between the clients', async () => {
    const alicePane = alice.getByRole('main', { name: 'Conversation with @bob' });
    const bobPane = bob.getByRole('main', { name: 'Conversation with @alice' });

    // Alice replies to Bob's message from the keyboard.
    const bobsMessage = alicePane.locator('article.message', { hasText: 'Reading you loud and clear' });
    await bobsMessage.focus();
    await alice.keyboard.press('Control+Shift+R');
    await alicePane.getByText('Replying to @bob').waitFor();
    const box = alicePane.getByRole('textbox', { name: 'Message @bob' });
    await expect.poll(() => box.evaluate((el) => el === document.activeElement)).toBe(true);
    await alice.keyboard.type('Glad to hear it');
    await alice.keyboard.press('Enter');
    const reply = bobPane.locator('article.message', { hasText: 'Glad to hear it' });
    await reply.waitFor({ timeout: 30_000 });
    expect(await reply.locator('blockquote').textContent()).toMatch(/You.*Reading you loud and clear/);

    // Bob reacts to it; Alice's screen reader hears who reacted.
    await reply.hover();
    await reply.getByRole('button', { name: 'React 👍' }).click();
    await alicePane
      .locator('article.message', { hasText: 'Glad to hear it' })
      .getByText('@bob reacted 👍')
      .waitFor({ timeout: 30_000 });

    // Alice edits her last message with ↑ in the empty composer.
    await box.focus();
    await alice.keyboard.press('ArrowUp');
    await alicePane.getByText('Editing').waitFor();
    await box.fill('Glad to hear it, Bob');
    await alice.keyboard.press('Enter');
    const edited = bobPane.locator('article.message', { hasText: 'Glad to hear it, Bob' });
    await edited.waitFor({ timeout: 30_000 });
    await edited.getByText('edited').waitFor();
    await shot(alice, 'reply-react-edit');
    await shot(bob, 'bob-reply-react-edit');
    await expectNoSeriousA11yViolations(bob, 'conversation with a reply, a reaction and an edit');
  });

  it('Alice sees when Bob is typing, and when he stops', async () => {
    const bobBox = bob.getByRole('main', { name: 'Conversation with @alice' }).getByRole('textbox', { name: 'Message @alice' });
    await bobBox.focus();
    await bob.keyboard.type('Let me think');
    const indicator = alice.getByText('@bob is typing…');
    await indicator.waitFor({ timeout: 15_000 });
    await bobBox.fill('');
    await bobBox.dispatchEvent('input');
    await indicator.waitFor({ state: 'detached', timeout: 15_000 });
  });

  it('passes axe in the dark theme too', async () => {
    await bob.emulateMedia({ colorScheme: 'dark' });
    await bob.getByRole('main', { name: 'Conversation with @alice' }).waitFor();
    await shot(bob, 'dark');
    await expectNoSeriousA11yViolations(bob, 'conversation, dark theme');
    await bob.emulateMedia({ colorScheme: 'light' });
  });

  it('a picture Alice sends reaches Bob with a thumbnail made on his side', async () => {
    // The Attach button opens the system's file dialog in the app window, out
    // of Chromium's reach: send through the same backend call it makes.
    const dir = mkdtempSync(join(tmpdir(), 'sotto-attach-'));
    const path = join(dir, 'dot.png');
    writeFileSync(path, Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==', 'base64'));
    await alice.evaluate(async (p) => {
      type Chats = { Conversations(): Promise<{ id: number; handle: string }[]>; SendFile(c: number, p: string, cap: string): Promise<unknown> };
      const chats = (window as unknown as { go: { app: { Chats: Chats } } }).go.app.Chats;
      const c = (await chats.Conversations()).find((x) => x.handle === 'bob')!;
      await chats.SendFile(c.id, p, 'a very small picture');
    }, path);
    const bobPane = bob.getByRole('main', { name: 'Conversation with @alice' });
    const message = bobPane.locator('article.message', { hasText: 'a very small picture' });
    await message.waitFor({ timeout: 30_000 });
    await message.getByRole('button', { name: 'Save dot.png' }).waitFor({ timeout: 30_000 });
    await message.getByRole('img', { name: 'dot.png' }).waitFor();
    await alice.getByRole('main', { name: 'Conversation with @bob' }).getByRole('button', { name: 'Save dot.png' }).waitFor({ timeout: 10_000 });
    await shot(bob, 'attachment');
    await expectNoSeriousA11yViolations(bob, 'conversation with an attachment');
  });
});
