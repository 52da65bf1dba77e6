// Alice's app restarted on the same profile (e2e/messaging_ui_test.go runs
// this after messaging.e2e.ts): with no keyring she unlocks with her
// passphrase, and her conversation is there as she left it.
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
});
