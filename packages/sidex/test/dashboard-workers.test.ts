// The dashboard in a real browser (Debian's Chromium through playwright-core)
// against a real cluster: `sidex serve --queue` and two `sidex worker`
// processes on a real Redis and PostgreSQL. The Workers page is offered only
// when the server is clustered; it shows both workers and their load as it
// changes, and the queues' depth; axe-core finds no serious problem in either
// theme. An execution's page shows what runs on a worker: its output as it
// grows, its processes, and its Stop button; the catalog's form starts a
// capability that runs on a worker; a pipeline's page shows its counts as a
// worker runs its items, and its Terminate button. The Workers page's
// screenshot goes to docs/ (SIDEX_UPDATE_SCREENSHOTS=1).
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyCatalogProject } from './fixtures/projects/fixture-project.js';
import { launchBrowser } from './helpers/browser.js';
import { clusterMissing, redisDb, startCluster, type TestCluster } from './helpers/cluster.js';
import { startOn, statusOn, stopOn } from './helpers/cluster-api.js';
import { accessible, pipelineCountsAndTerminate, screenshot, startFromCatalog } from './helpers/dashboard-pages.js';
import type { TestServer } from './helpers/server.js';
import { serversFor } from './helpers/machine-needs.js';

const missing = clusterMissing();
const HOLD = 'await new Promise((r) => setTimeout(r, 600_000))';

if (serversFor('cluster dashboard', missing)) {
  describe('the dashboard of a cluster: the Workers page', () => {
    let cluster: TestCluster;
    let server: TestServer;
    let page: Page;
    beforeAll(async () => {
      // One project for the server and its workers (the shared volume of docs/cluster.md): the catalog's.
      cluster = await startCluster({ queue: await redisDb(5), servers: 1, workers: 0, project: copyCatalogProject });
      server = cluster.servers[0]!;
      await cluster.addWorker('w1', ['--concurrency', '1', '--tags', 'gpu']);
      await cluster.addWorker('w2', ['--concurrency', '2', '--tags', 'cpu']);
      const browser = await launchBrowser();
      const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
      page = await context.newPage();
    }, 120_000);
    afterAll(() => cluster?.close(), 60_000);

    it('shows both workers and their load as it changes, and the queues, keyboard-usable and accessible in both themes', async () => {
      await page.goto(server.url);
      await page.getByLabel('API key').fill(server.apiKey);
      await page.keyboard.press('Enter');
      // Offered because the server is clustered; reached from the keyboard.
      const link = page.getByRole('link', { name: 'Workers' });
      await link.focus();
      await page.keyboard.press('Enter');
      await page.getByRole('heading', { name: 'Workers' }).waitFor();
      const row = (name: string) => page.locator(`tr[data-worker="${name}"]`);
      await row('w1').getByTestId('load').getByText('0 / 1').waitFor({ timeout: 20_000 });
      await row('w2').getByTestId('load').getByText('0 / 2').waitFor();
      expect(await row('w1').getByText('gpu').count()).toBe(1);
      expect(await row('w2').getByRole('cell', { name: 'live' }).count()).toBe(1);
      expect((await row('w1').getByTestId('isolation').textContent())?.trim()).toBe('sandbox');

      // w1's one slot taken, one of w2's two; a second gpu start waits in its queue.
      const held = [await startOn(server, { inlineCode: HOLD, options: { tags: ['gpu'] } }), await startOn(server, { inlineCode: HOLD, options: { tags: ['cpu'] } })];
      expect(held.map((r) => r.status)).toEqual(['running', 'running']);
      const waiting = await startOn(server, { inlineCode: 'return 1', options: { tags: ['gpu'] } });
      expect(waiting.status).toBe('queued');
      await row('w1').getByTestId('load').getByText('1 / 1').waitFor({ timeout: 20_000 });
      await row('w2').getByTestId('load').getByText('1 / 2').waitFor({ timeout: 20_000 });
      const gpu = page.locator('tr[data-queue="executions.gpu"]');
      await gpu.getByTestId('waiting').getByText('1').waitFor({ timeout: 20_000 });
      await gpu.getByTestId('active').getByText('1').waitFor();
      await accessible(page, 'workers');
      await screenshot(page, 'workers');
      await page.getByRole('button', { name: 'switch to dark theme' }).click();
      // Applied by an effect after the click's render: the dark check must see it.
      await page.locator('html[data-theme="dark"]').waitFor({ state: 'attached', timeout: 5000 });
      await accessible(page, 'workers (dark)');
      await page.getByRole('button', { name: 'switch to light theme' }).click();

      // Stopped: the waiting gpu start runs and ends, and the load goes back down.
      for (const r of held) expect((await stopOn(server, r.sideExecutionId)).status).toBe('stopped');
      await row('w1').getByTestId('load').getByText('0 / 1').waitFor({ timeout: 20_000 });
      await row('w2').getByTestId('load').getByText('0 / 2').waitFor({ timeout: 20_000 });
      await gpu.getByTestId('waiting').getByText('0').waitFor({ timeout: 20_000 });

      // The executions table names the worker that ran each.
      await page.getByRole('link', { name: 'Executions' }).click();
      const cell = (id: string, worker: string) => page.locator(`tr[data-id="${id}"]`).getByRole('cell', { name: worker, exact: true });
      await cell(held[0]!.sideExecutionId, 'w1').waitFor({ timeout: 20_000 });
      await cell(held[1]!.sideExecutionId, 'w2').waitFor();
    });

    it("an execution's page shows a worker's output growing and its processes, and stops it with the button", async () => {
      const code = "require('node:child_process').spawn('sleep', ['600'], { stdio: 'ignore' }); let n = 0; setInterval(() => console.log('tick ' + n++), 100); await new Promise(() => {})";
      const started = await startOn(server, { inlineCode: code, options: { tags: ['cpu'] } });
      expect(started.status).toBe('running');
      const id = started.sideExecutionId as string;
      await page.getByRole('link', { name: 'Executions' }).click();
      await page.locator(`tr[data-id="${id}"]`).getByRole('link', { name: id }).click();
      // Output and processes come from the worker: its live writes to the store, and its answer through the server.
      const stdout = page.getByTestId('stdout');
      await stdout.getByText('tick 3').waitFor({ timeout: 20_000 });
      await stdout.getByText('tick 8').waitFor({ timeout: 20_000 });
      await page.getByTestId('processes').getByText('sleep 600').waitFor({ timeout: 20_000 });
      await accessible(page, 'execution on a worker');
      await page.getByRole('button', { name: 'Stop', exact: true }).click();
      await page.getByTestId('status').getByText('stopped').waitFor({ timeout: 20_000 });
      expect((await statusOn(server, id)).stopReason).toBe('user');
    });

    it('starts a capability from the catalog form: checked against its inputs by the server, run on a worker', () => startFromCatalog(page, { name: 'catalog on a cluster' }));

    it("a pipeline's page shows its counts move as a worker runs its items, and terminates it", () =>
      pipelineCountsAndTerminate(page, server, { name: 'pipelines on a cluster' }));
  });
}
