import fs from 'node:fs';
import { chromium, type Browser } from 'playwright-core';
import { afterAll } from 'vitest';

/** Debian's chromium (never a downloaded browser); SIDEX_TEST_CHROMIUM names another. */
export const CHROMIUM = process.env.SIDEX_TEST_CHROMIUM ?? ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => fs.existsSync(p));

/** A headless Chromium closed after the file's tests. */
export async function launchBrowser(): Promise<Browser> {
  if (!CHROMIUM) throw new Error('no Chromium: install the Debian package `chromium` (.ci/run does) or set SIDEX_TEST_CHROMIUM');
  // --no-sandbox: CI runs as root, where Chromium's own sandbox refuses to start.
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });
  afterAll(() => browser.close());
  return browser;
}
