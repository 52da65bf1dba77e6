// Alice's app restarted on the same profile (e2e/messaging_ui_test.go runs
// this after messaging.e2e.ts): with no keyring she unlocks with her
// passphrase, and her conversation is there as she left it; then a long
// chat shows the message list is virtualised.
//   SOTTO_RESTARTED_URL  the restarted app's dev server
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { expectNoSeriousA11yViolations, launch, openPage, PASSPHRASE, shot } from './helpers';

const url = process.env.SOTTO_RESTARTED_URL;
let browser: Browser;
let page: Page;

describe.skipIf(!url)('a restarted client', () => {
  beforeAll(async () => {
    browser = await launch();
    page = await openPage(browser, url!);
  });

  afterAll(async () => {
    await browser?.close();
  });

  it('asks for the passphrase, says when it is wrong, and opens with the right one', async () => {
    await page.getByRole('heading', { name: 'Unlock Sotto' }).waitFor({ timeout: 30_000 });
    await shot(page, 'unlock');
    await expectNoSeriousA11yViolations(page, 'unlock');
    const field = page.getByLabel('Passphrase');
    await field.fill('not the passphrase');
    await page.getByRole('button', { name: 'Unlock' }).click();
    expect(await page.getByRole('alert').textContent({ timeout: 30_000 })).toMatch(/does not unlock this profile/);
    await field.fill(PASSPHRASE);
    await page.getByRole('button', { name: 'Unlock' }).click();
    await page.getByRole('navigation', { name: 'Conversations' }).waitFor({ timeout: 30_000 });
  });

  it('shows the history as it was: messages, reply, edit and read ticks', async () => {
    await page.getByRole('button', { name: /@bob/ }).click();
    const log = page.getByRole('log', { name: 'Messages with @bob' });
    await log.getByText('Hi Bob, the blue door is open').waitFor();
    await log.getByText('Hi Alice! Reading you loud and clear.').first().waitFor();
    const edited = log.locator('article.message', { hasText: 'Glad to hear it, Bob' });
    await edited.getByText('edited').waitFor();
    expect(await log.locator('article.message', { hasText: 'Did the second one arrive?' }).getAttribute('data-status')).toBe('read');
    await shot(page, 'restarted');
    await expectNoSeriousA11yViolations(page, 'conversation after a restart');
  });

  it('keeps a long chat virtualised: few rows in the DOM, older pages fetched on the way to the first message', async () => {
    const log = page.getByRole('log', { name: 'Messages with @bob' });
    const box = page.getByRole('textbox', { name: 'Message @bob' });
    const LONG = 140; // more than a page (100) of history
    for (let i = 1; i <= LONG; i++) {
      await box.fill(`long chat line ${i}`);
      await box.press('Enter');
      await page.locator('article.message', { hasText: `long chat line ${i}` }).waitFor();
      // The message can show (from the backend's event) before the send
      // returns and the composer clears: wait for that, or the clearing
      // eats the next line.
      for (let t = 0; t < 100 && (await box.inputValue()) !== ''; t++) await page.waitForTimeout(50);
    }
    const rows = () => log.locator('article.message').count();
    expect(await rows()).toBeLessThan(60);
    // The newest page came first: the count is not known yet.
    expect(await log.locator('article.message').last().getAttribute('aria-setsize')).toBe('-1');
    // Scroll to the top until the first message of the chat shows; each
    // arrival of an older page keeps the reader's place, so keep going.
    const first = log.locator('article.message', { hasText: 'Hi Bob, the blue door is open' });
    for (let i = 0; i < 40 && !(await first.count()); i++) {
      await log.evaluate((el) => el.scrollTo({ top: 0 }));
      await page.waitForTimeout(250);
    }
    await first.waitFor();
    expect(await rows()).toBeLessThan(60);
    expect(await first.getAttribute('aria-posinset')).toBe('1');
    const size = Number(await first.getAttribute('aria-setsize'));
    expect(size).toBeGreaterThan(LONG);
    // And back at the bottom, the newest message is there again.
    await log.evaluate((el) => el.scrollTo({ top: el.scrollHeight }));
    await log.locator('article.message', { hasText: `long chat line ${LONG}` }).waitFor();
    expect(await rows()).toBeLessThan(60);
    await shot(page, 'long-chat');
  }, 240_000);
});
