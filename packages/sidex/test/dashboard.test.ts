// The dashboard in a real browser (Debian's Chromium through playwright-core)
// against a real `sidex serve`: log in with the key, watch an execution appear
// and its output grow, stop it with the button, start a capability from the
// form, watch a pipeline's counts move and terminate it; axe-core finds no
// serious accessibility problem on any page; the session cookie is HttpOnly and
// SameSite=Strict and changes need the CSRF token. Screenshots go to docs/.
import { describe, expect, it } from 'vitest';
import { copyCatalogProject } from './fixtures/projects/fixture-project.js';
import { launchBrowser } from './helpers/browser.js';
import { accessible, pipelineCountsAndTerminate, screenshot, startFromCatalog } from './helpers/dashboard-pages.js';
import { api, startTestServer } from './helpers/server.js';

const server = await startTestServer({ project: copyCatalogProject });
const browser = await launchBrowser();
const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
const page = await context.newPage();

const shot = (name: string) => screenshot(page, name);

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

  it('starts a capability from the catalog form, checked against its inputs', () => startFromCatalog(page, { name: 'catalog', shot: 'catalog' }));

  it("shows a pipeline's counts move, and terminates it", () => pipelineCountsAndTerminate(page, server, { name: 'pipelines', shot: 'pipelines' }));

  it('has a dark theme that passes the same checks', async () => {
    await page.getByRole('link', { name: 'Executions' }).click();
    await page.getByRole('button', { name: 'switch to dark theme' }).click();
    await page.getByRole('heading', { name: 'Executions' }).waitFor();
    // The theme is applied by an effect after the click's render: waited for, then checked.
    await page.locator('html[data-theme="dark"]').waitFor({ state: 'attached', timeout: 5000 }).catch(() => {});
    expect(await page.locator('html').getAttribute('data-theme')).toBe('dark');
    await accessible(page, 'executions (dark)');
    await shot('executions-dark');
  });
});
