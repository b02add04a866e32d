// The dashboard in a real browser (Debian's Chromium through playwright-core)
// against a real `sidex serve`: log in with the key, watch an execution appear
// and its output grow, stop it with the button, start a capability from the
// form, watch a pipeline's counts move and terminate it; axe-core finds no
// serious accessibility problem on any page; the session cookie is HttpOnly and
// SameSite=Strict and changes need the CSRF token. Screenshots go to docs/.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { AxeBuilder } from '@axe-core/playwright';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { copyCatalogProject } from './fixtures/projects/fixture-project.js';
import { codeChain, takes } from './fixtures/pipelines.js';
import { launchBrowser } from './helpers/browser.js';
import { ownedDir } from './helpers/pipelines.js';
import { api, startTestServer } from './helpers/server.js';

// Taken on every run; written over the committed ones in docs/ only when asked (SIDEX_UPDATE_SCREENSHOTS=1).
const SCREENSHOTS = process.env.SIDEX_UPDATE_SCREENSHOTS === '1' ? fileURLToPath(new URL('../../../docs/screenshots/', import.meta.url)) : ownedDir('sidex-screenshots-');
const server = await startTestServer({ project: copyCatalogProject });
const browser = await launchBrowser();
const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
const page = await context.newPage();

async function accessible(p: Page, name: string): Promise<void> {
  const { violations } = await new AxeBuilder({ page: p }).withTags(['wcag2a', 'wcag2aa']).analyze();
  const serious = violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  expect(serious.map((v) => `${name}: ${v.id} ${v.help} (${v.nodes.map((n) => n.target.join(' ')).join('; ')})`)).toEqual([]);
}

const shot = (name: string) => page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`) });

async function startCode(code: string): Promise<string> {
  const res = await api(server, '/v1/executions', { method: 'POST', body: JSON.stringify({ inlineCode: code }) });
  expect(res.status).toBe(201);
  return ((await res.json()) as { sideExecutionId: string }).sideExecutionId;
}

describe('the dashboard', () => {
  it('asks for the key once, refuses a wrong one, and keeps it out of the URL and the page', async () => {
    await page.goto(server.url);
    await page.getByLabel('API key').waitFor();
    await accessible(page, 'login');
    await shot('login');
    await page.getByLabel('API key').fill('not-the-key-at-all');
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByRole('alert').getByText('not valid').waitFor();
    await page.getByLabel('API key').fill(server.apiKey);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByRole('heading', { name: 'Executions' }).waitFor();
    await page.getByRole('link', { name: 'Pipelines' }).waitFor();
    expect(await page.getByRole('link', { name: 'Workers' }).count()).toBe(0); // not clustered: no Workers page
    expect(page.url()).not.toContain(server.apiKey);
    expect(await page.content()).not.toContain(server.apiKey);
    const [cookie] = await context.cookies();
    expect(cookie).toMatchObject({ name: 'sidex_session', httpOnly: true, sameSite: 'Strict' });
    expect(cookie!.value).not.toContain(server.apiKey);
  });

  it('refuses a change that lacks the CSRF token, even with the session cookie', async () => {
    const id = await startCode('return 1');
    const status = await page.evaluate(async (target) => (await fetch(`/v1/executions/${target}/stop`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' })).status, id);
    expect(status).toBe(403);
    const read = await page.evaluate(async (target) => (await fetch(`/v1/executions/${target}`)).status, id);
    expect(read).toBe(200);
  });

  it('shows an execution appear live, its output grow, and stops it with the button', async () => {
    const id = await startCode("require('node:child_process').spawn('sleep', ['600'], { stdio: 'ignore' }); let n = 0; setInterval(() => console.log('tick ' + n++), 100); await new Promise(() => {})");
    const row = page.locator(`tr[data-id="${id}"]`);
    await row.waitFor({ timeout: 20_000 });
    await row.getByText('running').waitFor();
    await accessible(page, 'executions');
    await shot('executions');
    await row.getByRole('link', { name: id }).click();
    const stdout = page.getByTestId('stdout');
    await stdout.getByText('tick 3').waitFor({ timeout: 20_000 });
    await stdout.getByText('tick 8').waitFor({ timeout: 20_000 });
    // The process tree with each process's memory: the runtime and the child it spawned.
    await page.getByTestId('processes').getByText('sleep 600').waitFor({ timeout: 20_000 });
    await accessible(page, 'execution');
    await shot('execution');
    await page.getByRole('button', { name: 'Stop', exact: true }).click();
    await page.getByTestId('status').getByText('stopped').waitFor({ timeout: 20_000 });
    const record = (await (await api(server, `/v1/executions/${id}`)).json()) as { status: string; stopReason: string };
    expect(record).toMatchObject({ status: 'stopped', stopReason: 'user' });
  });

  it('starts a capability from the catalog form, checked against its inputs', async () => {
    await page.getByRole('link', { name: 'Catalog' }).click();
    await page.getByRole('button', { name: 'open quick-task' }).click();
    await page.getByLabel(/^delayMs/).fill('soon');
    await page.getByRole('button', { name: 'Start' }).click();
    await page.getByRole('alert').getByText('delayMs: must be a whole number').waitFor();
    await accessible(page, 'catalog');
    await shot('catalog');
    await page.getByLabel(/^delayMs/).fill('10');
    await page.getByRole('button', { name: 'Start' }).click();
    await page.getByTestId('status').getByText('completed').waitFor({ timeout: 20_000 });
    expect(await page.getByTestId('result').textContent()).toContain('"delayMs": 10');
  });

  it("shows a pipeline's counts move, and terminates it", async () => {
    const headers = { authorization: `Bearer ${server.apiKey}` };
    const use = await fetch(`${server.url}/task`, { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body: JSON.stringify(codeChain(takes(50))) });
    const { data } = (await use.json()) as { data: { token: string } };
    await page.getByRole('link', { name: 'Pipelines' }).click();
    const card = page.locator(`[data-token="${data.token}"]`);
    await card.getByTestId('counts').getByText('0 in').waitFor({ timeout: 20_000 });
    for (const body of ['a', 'b', 'c']) await fetch(`${server.url}/task/data?token=${data.token}`, { method: 'POST', headers: { ...headers, 'content-type': 'text/plain' }, body });
    await card.getByTestId('counts').getByText('3 in, 3 completed').waitFor({ timeout: 20_000 });
    await accessible(page, 'pipelines');
    await shot('pipelines');
    await card.getByRole('button', { name: 'Terminate' }).click();
    await card.waitFor({ state: 'detached', timeout: 20_000 });
    const status = await fetch(`${server.url}/task?token=${data.token}`, { headers });
    expect(((await status.json()) as { data: { status: string } }).data.status).toBe('Stopped');
  });

  it('has a dark theme that passes the same checks', async () => {
    await page.getByRole('link', { name: 'Executions' }).click();
    await page.getByRole('button', { name: 'switch to dark theme' }).click();
    await page.getByRole('heading', { name: 'Executions' }).waitFor();
    expect(await page.locator('html').getAttribute('data-theme')).toBe('dark');
    await accessible(page, 'executions (dark)');
    await shot('executions-dark');
  });
});
