// A video call between two real Sotto clients through a real relay, driven
// from Debian's Chromium. Started by e2e/calls_ui_test.go
// (TestCallsUIInChromium), which sets SOTTO_CALLER_URL and SOTTO_CALLEE_URL
// (each app's dev server, both apps with SOTTO_FAKE_MEDIA=1: a test-pattern
// camera) and SOTTO_ARTIFACTS. Without them the suite is skipped; the Go test
// fails if it was skipped there.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { join } from 'node:path';
import { artifacts, expectNoSeriousA11yViolations, launch, openPage, PASSPHRASE } from './helpers';

const callerURL = process.env.SOTTO_CALLER_URL;
const calleeURL = process.env.SOTTO_CALLEE_URL;

let browser: Browser;
let alice: Page;
let bob: Page;

const shot = (p: Page, name: string) => p.screenshot({ path: join(artifacts, `calls-${name}.png`) });

async function onboard(p: Page, handle: string) {
  await p.getByRole('heading', { name: 'Welcome to Sotto' }).waitFor();
  await p.getByRole('button', { name: 'Get started' }).click();
  await p.getByLabel('Handle').fill(handle);
  await p.getByText(`You will be @${handle}. It is free.`).waitFor({ timeout: 15_000 });
  const create = p.getByRole('button', { name: 'Create account' });
  await create.click();
  const done = p.getByRole('heading', { name: `You are @${handle}` });
  const passphrase = p.getByLabel('Passphrase', { exact: true });
  await done.or(passphrase).waitFor({ timeout: 45_000 });
  if (await passphrase.isVisible()) {
    await passphrase.fill(PASSPHRASE);
    await p.getByLabel('The same passphrase again').fill(PASSPHRASE);
    await create.click();
  }
  await done.waitFor({ timeout: 45_000 });
  await p.getByRole('button', { name: 'Start messaging' }).click();
  await p.getByText('No conversations yet').waitFor();
}

/** Frames drawn so far on a video surface (CallVideo's data-frames). */
async function framesOn(p: Page, stream: 'local' | 'remote'): Promise<number> {
  return Number((await p.getByTestId(`video-${stream}`).getAttribute('data-frames')) ?? 0);
}

/** What the page knows about a surface that shows nothing (never the token). */
function videoDiagnosis(p: Page, stream: string): Promise<string> {
  return p.evaluate(async (stream) => {
    const el = document.querySelector(`[data-testid="video-${stream}"]`);
    const calls = (window as unknown as { go?: { app?: { Calls?: { VideoEndpoint?: () => Promise<{ url: string }> } } } }).go?.app?.Calls;
    let endpoint = 'no VideoEndpoint binding';
    if (calls?.VideoEndpoint) {
      try {
        endpoint = (await calls.VideoEndpoint()).url;
      } catch (e) {
        endpoint = 'VideoEndpoint failed: ' + String(e);
      }
    }
    const screen = document.querySelector('[data-testid="call-screen"]');
    return JSON.stringify({
      surface: !!el,
      status: el?.getAttribute('data-status'),
      frames: el?.getAttribute('data-frames'),
      endpoint,
      origin: location.origin,
      callState: screen?.getAttribute('data-state'),
      remote: screen?.querySelector('[role="img"]')?.getAttribute('aria-label'),
    });
  }, stream);
}

/** The surface keeps updating: more frames drawn a second later, and pixels that are not blank. */
async function expectMoving(p: Page, stream: 'local' | 'remote') {
  try {
    await expect.poll(() => framesOn(p, stream), { timeout: 30_000 }).toBeGreaterThan(5);
  } catch (err) {
    throw new Error(`${stream} video never moved: ${await videoDiagnosis(p, stream)}`, { cause: err });
  }
  // Still updating: more frames keep arriving (how many depends on how busy
  // this machine is; the rate is reported, not asserted).
  const before = await framesOn(p, stream);
  const t0 = Date.now();
  await expect.poll(() => framesOn(p, stream), { timeout: 20_000 }).toBeGreaterThan(before + 5);
  const size = await p.getByTestId(`video-${stream}`).locator('canvas').evaluate((c: HTMLCanvasElement) => `${c.width}×${c.height}`);
  console.log(`${stream} video: ${size}, ${(((await framesOn(p, stream)) - before) / ((Date.now() - t0) / 1000)).toFixed(1)} frames/s drawn`);
  const lit = await p.getByTestId(`video-${stream}`).locator('canvas').evaluate((c: HTMLCanvasElement) => {
    const probe = document.createElement('canvas');
    probe.width = 32;
    probe.height = 24;
    const ctx = probe.getContext('2d')!;
    ctx.drawImage(c, 0, 0, 32, 24);
    const d = ctx.getImageData(0, 0, 32, 24).data;
    const seen = new Set<number>();
    for (let i = 0; i < d.length; i += 4) seen.add((d[i] >> 4) * 256 + (d[i + 1] >> 4) * 16 + (d[i + 2] >> 4));
    return seen.size;
  });
  // A test pattern, not a black or single-colour surface.
  expect(lit).toBeGreaterThan(4);
}

describe.skipIf(!callerURL || !calleeURL)('a video call between two clients through a relay', () => {
  beforeAll(async () => {
    browser = await launch();
    alice = await openPage(browser, callerURL!);
    bob = await openPage(browser, calleeURL!);
  });

  afterAll(async () => {
    await browser?.close();
  });

  it('Alice and Bob onboard and exchange a message', async () => {
    await onboard(alice, 'alice');
    await onboard(bob, 'bob');
    await alice.getByRole('button', { name: 'New conversation' }).click();
    const dialog = alice.getByRole('dialog', { name: 'New conversation' });
    await dialog.getByLabel('Their handle').fill('bob');
    await dialog.getByRole('button', { name: 'Start' }).click();
    const box = alice.getByRole('textbox', { name: 'Message @bob' });
    await box.fill('Can I call you?');
    await box.press('Enter');
    const requests = bob.getByRole('button', { name: /Requests/ });
    await requests.waitFor({ timeout: 30_000 });
    await requests.click();
    await bob.getByRole('button', { name: /@alice/ }).click();
    const banner = bob.getByRole('region', { name: 'Message request' });
    await banner.getByRole('button', { name: 'Accept' }).click();
    await banner.waitFor({ state: 'detached' });
  }, 150_000);

  it('Alice starts a video call from the header; Bob is rung and accepts with video', async () => {
    const pane = alice.getByRole('main', { name: 'Conversation with @bob' });
    await pane.getByRole('button', { name: 'Video call @bob' }).click();
    const aliceCall = alice.getByRole('region', { name: 'Call with @bob' });
    await aliceCall.waitFor();
    await expect.poll(() => aliceCall.getByTestId('call-state').textContent(), { timeout: 10_000 }).toMatch(/Calling @bob…|Ringing @bob…/);

    const overlay = bob.getByRole('alertdialog', { name: '@alice' });
    await overlay.waitFor({ timeout: 30_000 });
    await overlay.getByText('Video call').waitFor();
    await shot(bob, 'incoming');
    await expectNoSeriousA11yViolations(bob, 'incoming call');
    // The overlay has focus: Enter on it would accept with audio; choose video.
    expect(await overlay.getByRole('button', { name: 'Accept voice' }).evaluate((b) => b === document.activeElement)).toBe(true);
    await overlay.getByRole('button', { name: 'Accept video' }).click();
    await overlay.waitFor({ state: 'detached' });

    const bobCall = bob.getByRole('region', { name: 'Call with @alice' });
    for (const c of [aliceCall, bobCall]) {
      await expect.poll(() => c.getAttribute('data-state'), { timeout: 30_000 }).toBe('connected');
      await c.getByTestId('call-timer').waitFor();
    }
  }, 90_000);

  it('both see the other’s video and their own camera updating', async () => {
    await expectMoving(alice, 'remote');
    await expectMoving(bob, 'remote');
    await expectMoving(alice, 'local');
    await shot(alice, 'connected');
    await shot(bob, 'connected-bob');
    await expectNoSeriousA11yViolations(alice, 'call screen');
  }, 90_000);

  it('mute and camera answer the keyboard', async () => {
    const aliceCall = alice.getByRole('region', { name: 'Call with @bob' });
    await alice.keyboard.press('Control+Shift+M');
    await aliceCall.getByRole('button', { name: 'Unmute microphone' }).waitFor();
    await alice.keyboard.press('Control+Shift+M');
    await aliceCall.getByRole('button', { name: 'Mute microphone' }).waitFor();
  });

  it('Bob hangs up; the call ends on both sides and is logged in both chats', async () => {
    await bob.keyboard.press('Control+Shift+H');
    for (const p of [alice, bob]) {
      await expect.poll(() => p.getByTestId('call-ended').textContent(), { timeout: 30_000 }).toBe('Call ended');
      await p.getByTestId('call-screen').waitFor({ state: 'detached' });
    }
    await alice
      .getByRole('main', { name: 'Conversation with @bob' })
      .getByTestId('call-log')
      .filter({ hasText: /Video call · \d+:\d\d/ })
      .waitFor({ timeout: 30_000 });
    await bob
      .getByRole('main', { name: 'Conversation with @alice' })
      .getByTestId('call-log')
      .filter({ hasText: /Video call · \d+:\d\d/ })
      .waitFor({ timeout: 30_000 });
    await shot(alice, 'logged');
    await expectNoSeriousA11yViolations(alice, 'conversation with a call log entry');
  }, 60_000);
});
