// Security: every REST route, /task route and command of both WebSocket
// dialects without a key and with a wrong key (all refused; each also shown
// served with the right key); path traversal at every place a request names a
// file (all refused; the outside block never runs); the server's secrets absent
// from executions, their grandchildren and pipeline tasks; another execution's
// scratch directory out of reach in a sandbox, and with Node's permission model.
import fs from 'node:fs';
import { randomBytes } from 'node:crypto';
import { RawDap } from '../../packages/sidex/test/helpers/raw-dap.js';
import { stealFromScratch } from '../../packages/sidex/test/helpers/scratch-theft.js';
import { codeChain } from '../../packages/sidex/test/fixtures/pipelines.js';
import type { Check, CheckContext } from '../lib/check.js';
import { HttpClient, routesOf } from '../lib/http-routes.js';
import { codeboltTargets, dapTargets, restTargets, spellingTargets, type AuthTarget, type KeyVariant } from '../lib/refusals.js';
import { processesOf, sleep, until, type TestServer } from '../lib/servers.js';
import { figure, mustBe, type Row } from '../lib/table.js';
import { layout, payloadsOf, places, ranCount, ranDirOf, type Layout } from '../lib/traversal.js';

const secret = (name: string) => `${name}-${randomBytes(12).toString('hex')}`;

async function refusals(server: TestServer, http: HttpClient): Promise<Row[]> {
  const targets: AuthTarget[] = [...restTargets(server, http, await routesOf(server.url, server.apiKey)), ...spellingTargets(server, http), ...codeboltTargets(server), ...dapTargets(server)];
  const rows: Row[] = [];
  const surfaces = [...new Set(targets.map((t) => t.surface))];
  for (const surface of surfaces) {
    const all = targets.filter((t) => t.surface === surface);
    const guarded = all.filter((t) => !t.public);
    for (const variant of ['no key', 'wrong key'] as KeyVariant[]) {
      const served: string[] = [];
      for (const t of guarded) if ((await t.attempt(variant)) === 'served') served.push(t.name);
      rows.push({
        part: 'security',
        measure: `${surface}, ${variant}: ${guarded.map((t) => t.name).join(', ')}${served.length ? ` — SERVED: ${served.join(', ')}` : ''}`,
        value: `${guarded.length - served.length}/${guarded.length} refused`,
        promise: 'all refused',
        kept: served.length === 0,
      });
    }
    const controlled = all.filter((t) => !t.noControl);
    if (controlled.length === 0) continue;
    const notServed: string[] = [];
    for (const t of controlled) if ((await t.attempt('right key')) !== 'served') notServed.push(t.name);
    rows.push(mustBe('security', `${surface}, right key (control: each of the ${controlled.length} is served)${notServed.length ? ` — not served: ${notServed.join(', ')}` : ''}`, notServed.length, 0));
    const publicOnes = all.filter((t) => t.public);
    if (publicOnes.length > 0) rows.push(figure('security', `${surface}: served without a key by design`, publicOnes.map((t) => t.name).join(', ')));
  }
  return rows;
}

async function traversal(server: TestServer, l: Layout, http: HttpClient, context: CheckContext): Promise<Row[]> {
  const client = await context.fleet.client(server);
  const dap = context.fleet.adopt(await RawDap.authed(server.url, server.apiKey));
  const rows: Row[] = [];
  let attempts = 0;
  let controlsAccepted = 0;
  const all = places(server, client, http, dap);
  for (const place of all) {
    const accepted: string[] = [];
    const payloads = payloadsOf(place.kind, l, server.projectDir);
    for (const payload of payloads) {
      attempts++;
      const outcome = await place.attempt(payload.value);
      if (outcome.accepted) accepted.push(`${payload.name} (${outcome.detail})`);
    }
    const control = await place.attempt(place.control);
    if (control.accepted) controlsAccepted++;
    rows.push({
      part: 'security',
      measure: `traversal, ${place.where}: ${payloads.map((p) => p.name).join(', ')}${accepted.length ? ` — ACCEPTED: ${accepted.join('; ')}` : ''}${control.accepted ? '' : ` — control (inside the roots) NOT accepted: ${control.detail}`}`,
      value: `${payloads.length - accepted.length}/${payloads.length} refused, control ${control.accepted ? 'accepted' : 'refused'}`,
      promise: 'all refused, control accepted',
      kept: accepted.length === 0 && control.accepted,
    });
  }
  await sleep(500);
  rows.push(
    figure('security', 'traversal attempts (places × ways out)', `${attempts} (${all.length} places)`),
    mustBe('security', 'traversal: times the block outside the roots ran', ranCount(l, 'outside'), 0),
    mustBe('security', 'traversal: the block inside the roots ran (controls that run it)', ranCount(l, 'inside') > 0, true),
    figure('security', 'traversal: controls accepted', `${controlsAccepted}/${all.length}`),
  );
  client.close();
  return rows;
}

/** The server's secrets, looked for in what executions, their grandchildren and pipeline tasks see. */
async function secrets(server: TestServer, values: string[], context: CheckContext): Promise<Row[]> {
  const client = await context.fleet.client(server);
  const control = secret('control');
  const started = await client.sideExecution.startWithCode(
    `const { execSync, spawn } = require('node:child_process');
     console.log(JSON.stringify(process.env));
     console.log(execSync("env; sh -c 'env'").toString());
     spawn('sh', ['-c', 'sleep 30'], { stdio: 'ignore' });
     console.log('ready');
     await new Promise((r) => setTimeout(r, 30000));`,
    {},
    undefined,
    { env: { SIDEX_RELIABILITY_CONTROL: control } },
  );
  if (!started.success) throw new Error(`start failed: ${started.error}`);
  await until(async () => {
    const s = await client.sideExecution.getStatus(started.sideExecutionId);
    return s.success && /^ready$/m.test(s.output);
  }, 15_000);
  const status = await client.sideExecution.getStatus(started.sideExecutionId);
  const output = status.success ? status.output : '';
  // Every live process of the data directory: warm runtimes, the execution, its child and grandchildren.
  const pids = processesOf(server.dataDir);
  let withSecret = 0;
  let withControl = 0;
  for (const pid of pids) {
    let environ = '';
    try {
      environ = fs.readFileSync(`/proc/${pid}/environ`, 'latin1');
    } catch {
      continue;
    }
    if (values.some((v) => environ.includes(v))) withSecret++;
    if (environ.includes(control)) withControl++;
  }
  await client.sideExecution.stop(started.sideExecutionId, { graceMs: 500 });

  const dap = context.fleet.adopt(await RawDap.authed(server.url, server.apiKey));
  const task = await dap.request('execute', { pipeline: codeChain('return JSON.stringify(process.env)') });
  let taskEnv = '';
  if (task.success) {
    const open = await dap.request('rrext_process', { subcommand: 'open', token: task.body.token });
    await dap.binary('rrext_process', { subcommand: 'write', token: task.body.token, pipe_id: open.body.pipe_id }, Buffer.from('x'));
    const closed = await dap.request('rrext_process', { subcommand: 'close', token: task.body.token, pipe_id: open.body.pipe_id });
    taskEnv = JSON.stringify(closed.body ?? {});
    await dap.request('terminate', { token: task.body.token });
  }
  client.close();
  const seen = (text: string) => values.filter((v) => text.includes(v)).length;
  return [
    mustBe('security', `secrets (SIDEX_TEST_SECRET, DATABASE_URL, SIDEX_API_KEY of the server) in an execution's env, its child's and grandchild's (env output)`, seen(output), 0),
    mustBe('security', 'control: a variable given to the execution (options.env) seen by it, its child and grandchild', (output.match(new RegExp(control, 'g')) ?? []).length >= 3, true),
    mustBe('security', `processes of the server's executions (/proc/<pid>/environ, ${pids.length} read) holding a secret`, withSecret, 0),
    mustBe('security', 'control: of them, holding the execution\'s own variable', withControl > 0, true),
    mustBe('security', 'secrets in a pipeline task\'s environment', task.success ? seen(taskEnv) : 'task failed', 0),
  ];
}

async function permissionModel(sandboxed: TestServer, context: CheckContext): Promise<Row[]> {
  const guarded = await context.fleet.start({ args: ['--permissions', '--isolation', 'process'] });
  const open = await context.fleet.start({ args: ['--isolation', 'process'] });
  const withModel = await stealFromScratch(await context.fleet.client(guarded));
  const withoutModel = await stealFromScratch(await context.fleet.client(open));
  const inSandbox = await stealFromScratch(await context.fleet.client(sandboxed));
  return [
    mustBe('security', "sandbox (the default): an execution reading another's scratch directory gets", String(inSandbox), 'ENOENT'),
    mustBe('security', "process isolation with --permissions: the same read gets", String(withModel), 'ERR_ACCESS_DENIED'),
    mustBe('security', 'control: process isolation without --permissions, the same read gets the file', String(withoutModel), 'owner only'),
  ];
}

const security: Check = async (context) => {
  const values = [secret('test-secret'), `postgres://sidex:${secret('pw')}@127.0.0.1:5432/sidex`, secret('api-key')];
  let l: Layout | undefined;
  const server = await context.fleet.start({
    apiKey: values[2]!,
    env: { SIDEX_TEST_SECRET: values[0]!, DATABASE_URL: values[1]!, SIDEX_SANDBOX_READ_WRITE: ranDirOf(context.fleet.scratch) },
    project: (dir) => (l = layout(context.fleet.scratch, dir)),
  });
  const http = context.fleet.adopt(new HttpClient(Number(new URL(server.url).port), 4));
  context.log('security: refusals');
  const rows = await refusals(server, http);
  context.log('security: traversal');
  rows.push(...(await traversal(server, l!, http, context)));
  context.log('security: secrets, permission model');
  rows.push(...(await secrets(server, values, context)));
  rows.push(...(await permissionModel(server, context)));
  return rows;
};

export default security;
