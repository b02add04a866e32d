// `sidex worker` and `sidex serve --queue` refuse what they cannot run, with
// the setting named and exit code 2 (bad configuration) or 1 (a server that
// cannot be reached), and never hang.
import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { postgresUrl } from './fixtures/pg-schemas.js';
import { itNeeds } from './helpers/machine-needs.js';
import { freePort, runCli } from './helpers/server.js';
import { makeSidex } from './helpers/sidex.js';

const STORE = 'postgres://sidex@127.0.0.1:1/sidex';

describe('cluster configuration', () => {
  it.each([
    [['worker', '--store', STORE], /needs --queue redis:\/\/host:port/],
    [['worker', '--queue', 'http://127.0.0.1:6379', '--store', STORE], /--queue: must be a redis:\/\/host:port\[\/db\] URL/],
    [['worker', '--queue', 'redis://127.0.0.1:6379/x', '--store', STORE], /--queue "redis:\/\/127.0.0.1:6379\/x": the database "x" is not a number/],
    [['worker', '--queue', 'redis://127.0.0.1:6379', '--store', 'sqlite:'], /a queue \(--queue, SIDEX_QUEUE, queue\) needs a shared store: give --store \(SIDEX_STORE, store\) postgres:\/\//],
    [['worker', '--queue', 'redis://127.0.0.1:6379', '--store', STORE, '--tags', 'a,b,c,d,e'], /--tags: must list at most 4 tags/],
    [['worker', '--queue', 'redis://127.0.0.1:6379', '--store', STORE, '--concurrency', '0'], /--concurrency: must be at least 1/],
    [['worker', '--queue', 'redis://127.0.0.1:6379', '--store', STORE, '--name', 'has space'], /--name: must be 1 to 100 letters/],
    [['serve', '--queue', 'redis://127.0.0.1:6379', '--store', STORE, '--retain-days', '-1'], /--retain-days: must be a positive number of days/],
    [['serve', '--queue', 'redis://127.0.0.1:6379', '--store', 'memory:'], /a queue .* needs a shared store/],
    [['worker', '--queue', 'redis://127.0.0.1:6379', '--store', STORE, '--retain-executions', '0'], /--retain-executions: must be positive/],
    [['worker', '--queue', 'redis://127.0.0.1:6379', '--store', STORE, '--pids-limit', '16'], /--pids-limit: must be at least 32/],
    [['worker', '--queue', 'redis://127.0.0.1:6379', '--store', STORE, '--memory-limit-mb', '-5'], /--memory-limit-mb: must be at least 32 MB/],
  ])('sidex %j is refused with a clear message', async (args, message) => {
    const result = await runCli([...args, '--data-dir', '/tmp/sidex-cluster-config-unused']);
    expect(result.code, result.stderr).toBe(2);
    expect(result.stderr).toMatch(message);
  });

  itNeeds('a PostgreSQL server (SIDEX_TEST_POSTGRES_URL)', Boolean(postgresUrl))('an unreachable Redis fails the start (exit 1, QUEUE_UNAVAILABLE named) within its connect timeout', async () => {
    const port = await freePort();
    const began = Date.now();
    const result = await runCli(['serve', '--port', '0', '--queue', `redis://127.0.0.1:${port}`, '--store', postgresUrl!, '--data-dir', `/tmp/sidex-cluster-config-${port}`], {
      env: { SIDEX_API_KEY: 'test-key-0123456789abcdef' },
      timeoutMs: 20_000,
    });
    expect(result.code, result.stderr).toBe(1);
    expect(result.stderr).toMatch(new RegExp(`cannot reach Redis at 127.0.0.1:${port}`));
    expect(Date.now() - began).toBeLessThan(15_000);
  });

  itNeeds('Redis and PostgreSQL servers (SIDEX_TEST_REDIS_URL, SIDEX_TEST_POSTGRES_URL)', Boolean(postgresUrl && process.env.SIDEX_TEST_REDIS_URL))('a database Redis does not have is refused, naming --queue (it ran on database 0, another cluster)', async () => {
    const url = new URL(process.env.SIDEX_TEST_REDIS_URL!);
    url.pathname = '/99';
    for (const role of ['serve', 'worker']) {
      const result = await runCli([role, ...(role === 'serve' ? ['--port', '0'] : []), '--queue', url.href, '--store', postgresUrl!, '--data-dir', `/tmp/sidex-cluster-config-db99-${role}`], {
        env: { SIDEX_API_KEY: 'test-key-0123456789abcdef' },
        timeoutMs: 20_000,
      });
      expect(result.code, `${role}: ${result.stderr}`).toBe(2);
      expect(result.stderr).toMatch(/the queue \(--queue, SIDEX_QUEUE, queue\): Redis at .* has no database 99/);
      fs.rmSync(`/tmp/sidex-cluster-config-db99-${role}`, { recursive: true, force: true });
    }
  });

  it('one machine refuses retries (it runs each start once) and runs starts with a priority or tags in arrival order', async () => {
    const sidex = makeSidex();
    const refused = await sidex.sideExecution.startWithCode('return 1', {}, undefined, { retries: 2 });
    expect(refused.success).toBe(false);
    expect(refused.success ? '' : [refused.code, refused.error]).toEqual(['INVALID_ARGUMENT', expect.stringMatching(/^options\.retries: retries are run by a cluster/)]);
    const ran = await sidex.sideExecution.startWithCode('return 2', {}, undefined, { priority: 10, tags: ['gpu'] });
    expect(ran.success).toBe(true);
  });
});
