// The real UI in Debian's Chromium, talking to the real Go backend. Started by
// e2e/ui_test.go (TestUIInChromium), which sets:
//   SOTTO_UI_URL          the backend's dev server (UI + live bindings)
//   SOTTO_EXPECT_VERSION  the random version linked into that backend
//   SOTTO_ARTIFACTS       where screenshots go
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import AxeBuilder from '@axe-core/playwright';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const url = process.env.SOTTO_UI_URL;
if (!url) throw new Error('SOTTO_UI_URL is not set: run this through `go test ./e2e` (TestUIInChromium)');
const expectVersion = process.env.SOTTO_EXPECT_VERSION;
const artifacts = process.env.SOTTO_ARTIFACTS ?? tmpdir();

let context: BrowserContext;
let page: Page;
let profileDir: string;

async function expectNoSeriousA11yViolations(p: Page, what: string) {
  const results = await new AxeBuilder({ page: p }).analyze();
  const bad = results.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  const summary = bad.map((v) => `${v.id} (${v.impact}): ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
  expect(summary, `axe on ${what}`).toEqual([]);
}

describe('Sotto UI in Chromium', () => {
  beforeAll(async () => {
    profileDir = mkdtempSync(join(tmpdir(), 'sotto-chromium-'));
    context = await chromium.launchPersistentContext(profileDir, {
      executablePath: '/usr/bin/chromium',
      headless: true,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
      ],
      viewport: { width: 1100, height: 720 },
    });
    page = context.pages()[0] ?? (await context.newPage());
    page.on('pageerror', (err) => {
      throw err;
    });
    await page.goto(url);
  });

  afterAll(async () => {
    await context?.close();
    rmSync(profileDir, { recursive: true, force: true });
  });

  it('starts a fresh profile at onboarding, in the shell\'s two columns', async () => {
    await page.getByRole('heading', { name: 'Welcome to Sotto' }).waitFor();
    await page.getByRole('complementary', { name: 'About Sotto' }).waitFor();
    await page.getByRole('main', { name: 'Set up Sotto' }).waitFor();
    const width = await page.getByRole('complementary', { name: 'About Sotto' }).evaluate((el) => el.getBoundingClientRect().width);
    expect(width).toBe(300);
    await page.screenshot({ path: join(artifacts, 'ui-chromium.png') });
    await expectNoSeriousA11yViolations(page, 'onboarding');
  });

  it('shows the backend version in Settings → About (a Go round trip)', async () => {
    await page.keyboard.press('Control+Comma');
    const dialog = page.getByRole('dialog', { name: 'Settings' });
    await dialog.waitFor();
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });

    // Open again from the keyboard on the Settings button: focus must come back to it.
    const settings = page.getByRole('button', { name: 'Settings' });
    await settings.focus();
    await page.keyboard.press('Enter');
    await dialog.waitFor();
    await expectNoSeriousA11yViolations(page, 'Settings → Appearance');
    await dialog.getByRole('button', { name: 'About' }).click();
    const version = page.getByTestId('about-version');
    await version.waitFor();
    expect(await version.textContent()).toBe(expectVersion);
    await page.screenshot({ path: join(artifacts, 'ui-chromium-about.png') });
    await expectNoSeriousA11yViolations(page, 'Settings → About');
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });
    expect(await settings.evaluate((el) => el === document.activeElement)).toBe(true);
  });

  it('shows keyboard focus', async () => {
    await page.getByRole('button', { name: 'Get started' }).focus();
    await page.keyboard.press('Shift+Tab');
    expect(await page.evaluate(() => document.activeElement?.getAttribute('aria-label'))).toBe('Settings');
    const outline = await page.evaluate(() => getComputedStyle(document.activeElement!).outlineStyle);
    expect(outline).not.toBe('none');
  });
});
