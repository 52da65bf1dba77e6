// Shared by the Chromium suites that drive real Sotto backends.
import { expect } from 'vitest';
import { chromium, type Browser, type Page } from 'playwright-core';
import AxeBuilder from '@axe-core/playwright';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const artifacts = process.env.SOTTO_ARTIFACTS ?? tmpdir();
/** The passphrase the suites choose at onboarding (there is no keyring under test). */
export const PASSPHRASE = 'correct horse battery staple';

export async function expectNoSeriousA11yViolations(p: Page, what: string) {
  const results = await new AxeBuilder({ page: p }).analyze();
  const bad = results.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  const summary = bad.map((v) => `${v.id} (${v.impact}): ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
  expect(summary, `axe on ${what}`).toEqual([]);
}

export const shot = (p: Page, name: string) => p.screenshot({ path: join(artifacts, `messaging-${name}.png`) });

export function launch(): Promise<Browser> {
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
}

/** A page in its own context (its own storage), failing the test on page errors. */
export async function openPage(browser: Browser, url: string): Promise<Page> {
  const ctx = await browser.newContext({ viewport: { width: 1100, height: 720 } });
  const p = await ctx.newPage();
  p.on('pageerror', (err) => {
    throw err;
  });
  await p.goto(url);
  return p;
}
