// What the dashboard's browser tests do on a page, whichever server is behind
// it (one machine, or a cluster's): the same steps and the same checks.
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { AxeBuilder } from '@axe-core/playwright';
import type { Page } from 'playwright-core';
import { expect } from 'vitest';
import { codeChain, takes } from '../fixtures/pipelines.js';
import { ownedDir } from './pipelines.js';
import type { TestServer } from './server.js';

// Taken on every run; written over the committed ones in docs/ only when asked (SIDEX_UPDATE_SCREENSHOTS=1).
const SCREENSHOTS = process.env.SIDEX_UPDATE_SCREENSHOTS === '1' ? fileURLToPath(new URL('../../../../docs/screenshots/', import.meta.url)) : ownedDir('sidex-screenshots-');

export const screenshot = (page: Page, name: string) => page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`) });

/** axe-core (WCAG 2 A and AA) finds no serious or critical problem on the page. */
export async function accessible(page: Page, name: string): Promise<void> {
  const { violations } = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa']).analyze();
  const serious = violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  expect(serious.map((v) => `${name}: ${v.id} ${v.help} (${v.nodes.map((n) => n.target.join(' ')).join('; ')})`)).toEqual([]);
}

/** What a page step is called in axe's findings, and the screenshot it takes (none unless named). */
export interface PageCheck {
  name: string;
  shot?: string;
}

async function checked(page: Page, check: PageCheck): Promise<void> {
  await accessible(page, check.name);
  if (check.shot) await screenshot(page, check.shot);
}

/** The catalog's form for the fixture capability quick-task: a bad input refused in the form, a good one started and completed. */
export async function startFromCatalog(page: Page, check: PageCheck): Promise<void> {
  await page.getByRole('link', { name: 'Catalog' }).click();
  await page.getByRole('button', { name: 'open quick-task' }).click();
  await page.getByLabel(/^delayMs/).fill('soon');
  await page.getByRole('button', { name: 'Start' }).click();
  await page.getByRole('alert').getByText('delayMs: must be a whole number').waitFor();
  await checked(page, check);
  await page.getByLabel(/^delayMs/).fill('10');
  await page.getByRole('button', { name: 'Start' }).click();
  await page.getByTestId('status').getByText('completed').waitFor({ timeout: 20_000 });
  expect(await page.getByTestId('result').textContent()).toContain('"delayMs": 10');
}

/** A task started over /task: its card's counts move as three items complete, and its Terminate button ends it. */
export async function pipelineCountsAndTerminate(page: Page, server: TestServer, check: PageCheck): Promise<void> {
  const headers = { authorization: `Bearer ${server.apiKey}` };
  const use = await fetch(`${server.url}/task`, { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body: JSON.stringify(codeChain(takes(50))) });
  const { data } = (await use.json()) as { data: { token: string } };
  await page.getByRole('link', { name: 'Pipelines' }).click();
  const card = page.locator(`[data-token="${data.token}"]`);
  await card.getByTestId('counts').getByText('0 in').waitFor({ timeout: 20_000 });
  for (const body of ['a', 'b', 'c']) await fetch(`${server.url}/task/data?token=${data.token}`, { method: 'POST', headers: { ...headers, 'content-type': 'text/plain' }, body });
  await card.getByTestId('counts').getByText('3 in, 3 completed').waitFor({ timeout: 20_000 });
  await checked(page, check);
  await card.getByRole('button', { name: 'Terminate' }).click();
  await card.waitFor({ state: 'detached', timeout: 20_000 });
  const status = await fetch(`${server.url}/task?token=${data.token}`, { headers });
  expect(((await status.json()) as { data: { status: string } }).data.status).toBe('Stopped');
}
