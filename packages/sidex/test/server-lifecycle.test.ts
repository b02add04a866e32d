// `sidex serve` as a process: configuration, API key, refusing exposed hosts without a key, graceful shutdown.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { SidexClient } from '@sidex/client';
import { afterAll, describe, expect, it } from 'vitest';
import { ownCgroupDir } from '../dist/engine/tree/cgroup-paths.js';
import { api, runCli, SIDEX_BIN, spawnServer, stopAndRemove } from './helpers/server.js';
import { eventually, sleep, tempDir } from './helpers/sidex.js';
import { growsHeap } from './fixtures/workloads.js';

// Servers started inside a test are stopped by that test (afterAll hooks cannot be added from a test).

describe('invalid configuration: a clear message and exit code 2', () => {
  const dir = tempDir('sidex-config-');
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
  const serve = (args: string[], env: Record<string, string> = {}) => runCli(['serve', '--data-dir', path.join(dir, 'data'), ...args], { env, cwd: dir });

  it.each([
    ['a port out of range', ['--port', '99999'], {}, /--port: must be between 0 and 65535/],
    ['a port that is not a number', [], { SIDEX_PORT: 'eighty' }, /SIDEX_PORT: must be a port number/],
    // Read as 0 before: a random port.
    ['an empty port', ['--port', ''], {}, /--port: must be a port number/],
    ['a port in hexadecimal', [], { SIDEX_PORT: '0x50' }, /SIDEX_PORT: must be a port number/],
    ['an unknown log level', ['--log-level', 'loud'], {}, /--log-level/],
    ['a missing config file', ['--config', 'nope.yml'], {}, /config file .*nope\.yml does not exist/],
    ['an unknown store', ['--store', 'mongodb://x'], {}, /--store "mongodb:\/\/x"/],
    ['a retention of no executions', ['--retain-executions', '0'], {}, /--retain-executions: must be positive/],
    ['a retention in days that is not a number', [], { SIDEX_RETAIN_DAYS: 'week' }, /SIDEX_RETAIN_DAYS/],
    ['an output limit of nothing', ['--output-limit-mb', '0'], {}, /--output-limit-mb: must be a positive number of MB/],
    ['an output limit that is not a number', [], { SIDEX_OUTPUT_LIMIT_MB: 'lots' }, /SIDEX_OUTPUT_LIMIT_MB/],
    ['a memory limit of nothing', ['--memory-limit-mb', '0'], {}, /--memory-limit-mb: must be at least 32 MB/],
    ['a memory limit that is not a number', [], { SIDEX_MEMORY_LIMIT_MB: 'plenty' }, /SIDEX_MEMORY_LIMIT_MB: must be a number of MB/],
    ['a pids limit the runtime itself would pass', ['--pids-limit', '8'], {}, /--pids-limit: must be at least 32/],
    ['a pids limit that is not whole', [], { SIDEX_PIDS_LIMIT: '100.5' }, /SIDEX_PIDS_LIMIT: must be a whole number of processes/],
    ['an unknown isolation', ['--isolation', 'vm'], {}, /--isolation: must be auto, sandbox or process/],
    ['an unknown network', [], { SIDEX_NETWORK: 'some' }, /SIDEX_NETWORK: must be all or none/],
    ['a sandbox uid of root', [], { SIDEX_SANDBOX_UID: '0' }, /SIDEX_SANDBOX_UID: must not be 0/],
    ['sandbox uids that are not a range', [], { SIDEX_SANDBOX_UIDS: '70000' }, /SIDEX_SANDBOX_UIDS: must be a range of uids, first-last/],
    ['sandbox uids that end before they begin', [], { SIDEX_SANDBOX_UIDS: '70000-69999' }, /SIDEX_SANDBOX_UIDS: must end at or after its first uid/],
    ['sandbox uids from root', [], { SIDEX_SANDBOX_UIDS: '0-100' }, /SIDEX_SANDBOX_UIDS: must not include 0/],
    ['sandbox uids past the last uid', [], { SIDEX_SANDBOX_UIDS: '4294967000-4294967295' }, /SIDEX_SANDBOX_UIDS: must end at or below 4294967294/],
    ['sandbox uids over the 16-bit -1', [], { SIDEX_SANDBOX_UIDS: '65000-66000' }, /SIDEX_SANDBOX_UIDS: must not include 65535/],
    ['one sandbox uid and a range of them', [], { SIDEX_SANDBOX_UID: '70000', SIDEX_SANDBOX_UIDS: '80000-80099' }, /SIDEX_SANDBOX_UIDS: cannot be set together with sandboxUid/],
    ['an advertised host with a port', ['--advertise-host', 'server1:5565'], {}, /--advertise-host: must be a host name or IP address alone/],
    ['an advertised wildcard address', [], { SIDEX_ADVERTISE_HOST: '0.0.0.0' }, /SIDEX_ADVERTISE_HOST: must be an address this server is reached at, not a wildcard/],
  ])('%s', async (_name, args, env, message) => {
    const { code, stderr } = await serve(args, env);
    expect(code).toBe(2);
    expect(stderr).toMatch(/^sidex serve: invalid configuration: /);
    expect(stderr).toMatch(message);
    expect(fs.existsSync(path.join(dir, 'data', 'api-key'))).toBe(false); // a refused start changes nothing
  });

  it('a config file that is not YAML, or has a bad or unknown setting', async () => {
    fs.writeFileSync(path.join(dir, 'broken.yml'), 'port: [1, 2\n');
    expect(await serve(['--config', 'broken.yml'])).toMatchObject({ code: 2, stderr: expect.stringContaining('broken.yml') });
    fs.writeFileSync(path.join(dir, 'bad.yml'), 'port: high\n');
    expect(await serve(['--config', 'bad.yml'])).toMatchObject({ code: 2, stderr: expect.stringMatching(/port in .*bad\.yml: must be a port number/) });
    expect(await serve([], { SIDEX_METRICS_TOKEN: 'short' })).toMatchObject({ code: 2, stderr: expect.stringContaining('SIDEX_METRICS_TOKEN: must be at least 16 characters') });
    // YAML's null, a list and a boolean were read as 0, the list's number and 1.
    for (const [yaml, message] of [['port:', /port in .*: must be a port number/], ['port: [56103]', /port in .*: must be a port number/], ['maxQueued:', /maxQueued in .*: must be a whole number/], ['maxConcurrent: true', /maxConcurrent in .*: must be a whole number/]] as const) {
      fs.writeFileSync(path.join(dir, 'typed.yml'), `${yaml}\n`);
      expect(await serve(['--config', 'typed.yml']), yaml).toMatchObject({ code: 2, stderr: expect.stringMatching(message) });
    }
    fs.writeFileSync(path.join(dir, 'unknown.yml'), 'colour: blue\n');
    // The setting named where the message names it ("invalid configuration:  in <file>" before).
    expect(await serve(['--config', 'unknown.yml'])).toMatchObject({ code: 2, stderr: expect.stringMatching(/invalid configuration: colour in .*unknown\.yml: is not a setting sidex knows/) });
  });

  it('refuses a non-loopback host without a key, before binding', async () => {
    const dataDir = path.join(dir, 'exposed');
    const { code, stderr } = await runCli(['serve', '--host', '0.0.0.0', '--port', '0', '--data-dir', dataDir], { cwd: dir });
    expect(code).toBe(2);
    expect(stderr).toContain('--host 0.0.0.0 is reachable from other machines: set SIDEX_API_KEY');
    expect(fs.existsSync(path.join(dataDir, 'api-key'))).toBe(false);
  });
});

describe('a port already in use', () => {
  it('is reported with the address, exit code 1, and nothing keeps running', async () => {
    const first = await spawnServer();
    try {
      const port = new URL(first.url).port;
      const { code, stderr } = await runCli(['serve', '--port', port, '--data-dir', path.join(first.root, 'second')], {
        env: { SIDEX_API_KEY: first.apiKey },
        cwd: first.root,
      });
      expect(code).toBe(1);
      expect(stderr).toContain(`cannot listen on 127.0.0.1:${port}`);
      expect((await api(first, '/v1/executions')).status).toBe(200);
    } finally {
      await stopAndRemove(first);
    }
  });
});

describe('settings from a config file and the environment', () => {
  it('reads sidex.yml in the working directory; flags win over the environment, which wins over the file', async () => {
    const server = await spawnServer({
      env: { SIDEX_POOL_SIZE: '1' },
      project: (projectDir) => fs.writeFileSync(path.join(projectDir, '..', 'sidex.yml'), 'port: 1\nlogLevel: warn\nshutdownGraceMs: 1000\n'),
    });
    try {
      // --port 0 from the flags beat `port: 1` from the file.
      expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d{4,5}$/);
      expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
    } finally {
      await stopAndRemove(server);
    }
  });
});

describe('the API key', () => {
  it('is generated at first start, stored with mode 0600, printed once, and kept', async () => {
    const first = await spawnServer({ apiKey: false });
    const keyFile = path.join(first.dataDir, 'api-key');
    try {
      expect(first.stdout()).toMatch(/API key \(generated, stored in .*api-key, shown once\): sidex_\S{20,}/);
      expect(fs.statSync(keyFile).mode & 0o777).toBe(0o600);
      expect(fs.readFileSync(keyFile, 'utf8').trim()).toBe(first.apiKey);
      expect((await api(first, '/v1/executions')).status).toBe(200);
    } finally {
      expect(await first.stop()).toBe(0);
    }
    const second = await spawnServer({ apiKey: false, args: ['--data-dir', first.dataDir] });
    try {
      expect(second.stdout()).not.toContain('API key');
      expect((await api(second, '/v1/executions', { key: first.apiKey })).status).toBe(200);
    } finally {
      await second.stop();
      fs.rmSync(first.root, { recursive: true, force: true });
      fs.rmSync(second.root, { recursive: true, force: true });
    }
  });

  it("starts without a warning of Node's or a library's on stderr (Fastify's deprecated maxParamLength printed one)", async () => {
    const server = await spawnServer();
    try {
      expect((await api(server, '/v1/executions')).status).toBe(200);
      // Node prints process warnings, its own and those libraries emit, as "(node:<pid>) ...".
      expect(server.stderr()).not.toMatch(/\(node:\d+\)/);
    } finally {
      await stopAndRemove(server);
    }
  });

  it('binds a non-loopback host when a key is set', async () => {
    const server = await spawnServer({ args: ['--host', '0.0.0.0'] });
    try {
      expect(server.url).toMatch(/^http:\/\/0\.0\.0\.0:\d+$/);
      const local = server.url.replace('0.0.0.0', '127.0.0.1');
      expect((await fetch(`${local}/v1/executions`)).status).toBe(401);
      expect((await fetch(`${local}/v1/executions`, { headers: { authorization: `Bearer ${server.apiKey}` } })).status).toBe(200);
    } finally {
      await stopAndRemove(server);
    }
  });
});

describe('graceful shutdown', () => {
  it.each(['SIGTERM', 'SIGINT'] as const)('%s refuses new work, stops running executions with the stop protocol (onStop runs), then exits 0', async (signal) => {
    const server = await spawnServer();
    try {
      // The handler's word is its output (a sandboxed execution cannot write outside): the log outlives the server.
      const body = JSON.stringify({
        inlineCode: `ctx.onStop(async () => { await new Promise(r => setTimeout(r, 800)); console.log('onstop ran'); }); console.log('ready'); await new Promise(r => setTimeout(r, 600000));`,
      });
      const started = await api(server, '/v1/executions', { method: 'POST', body });
      expect(started.status).toBe(201);
      const { sideExecutionId } = (await started.json()) as { sideExecutionId: string };
      const log = path.join(server.dataDir, 'logs', `${sideExecutionId}.out`);
      expect(await eventually(() => fs.existsSync(log) && fs.readFileSync(log, 'utf8').includes('ready'))).toBe(true);
      server.child.kill(signal);
      await sleep(150);
      // The onStop handler takes 800 ms: the server is still answering, and refuses new work.
      const refused = await api(server, '/v1/executions', { method: 'POST', body: JSON.stringify({ inlineCode: 'return 1' }) });
      expect(refused.status).toBe(503);
      expect(await refused.json()).toMatchObject({ success: false, code: 'SHUTTING_DOWN' });
      expect(await server.exited).toBe(0);
      expect(fs.readFileSync(log, 'utf8')).toBe('ready\nonstop ran\n');
    } finally {
      await stopAndRemove(server);
    }
  });

  it('a signal sent the moment the ready line is read is handled too: graceful, exit 0 (it was fatal when it came first)', async () => {
    // The reader is woken by the line's write and may run before the server's next instruction: a race, so tried ten times.
    for (let round = 0; round < 10; round++) {
      const dataDir = tempDir('sidex-ready-signal-');
      try {
        const child = spawn(process.execPath, [SIDEX_BIN, 'serve', '--host', '127.0.0.1', '--port', '0', '--data-dir', dataDir], {
          env: { PATH: process.env.PATH ?? '', SIDEX_API_KEY: 'test-key-0123456789abcdef', SIDEX_POOL_SIZE: '0' },
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        child.stdout.on('data', (chunk: Buffer) => {
          if (chunk.toString().includes('sidex http')) child.kill('SIGTERM');
        });
        const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) => child.once('exit', (c, s) => resolve([c, s])));
        expect({ round, code, signal }).toEqual({ round, code: 0, signal: null });
      } finally {
        fs.rmSync(dataDir, { recursive: true, force: true });
      }
    }
  });
});

describe('--memory-limit-mb and --pids-limit', () => {
  // 80 processes at once: past a limit of 64 tasks, within one of 256.
  const eighty = `const kids = [];
    for (let i = 0; i < 80; i++) { const kid = require('node:child_process').spawn('sleep', ['30'], { stdio: 'ignore' }); kid.on('error', () => {}); kids.push(kid); }
    await new Promise((r) => setTimeout(r, 1000));
    for (const kid of kids) kid.kill();
    return kids.filter((kid) => kid.pid).length;`;
  // The server takes the pids controller wherever this process has one (the same machine and cgroups).
  const pidsControlled = (() => {
    if (ownCgroupDir({ version: 'cgroup1', controller: 'pids' }) !== undefined) return true;
    const v2 = ownCgroupDir({ version: 'cgroup2' });
    try {
      return v2 !== undefined && /\bpids\b/.test(fs.readFileSync(path.join(v2, 'cgroup.controllers'), 'latin1'));
    } catch {
      return false;
    }
  })();

  it("set the default memory and process limits of the server's executions; a start may set its own", async () => {
    const server = await spawnServer({ args: ['--memory-limit-mb', '64', '--pids-limit', '64'], env: { SIDEX_POOL_SIZE: '1' } });
    const client = new SidexClient({ url: server.url, apiKey: server.apiKey });
    const run = async (code: string, options?: { memoryLimitMb?: number; pidsLimit?: number }) => {
      const started = await client.sideExecution.startWithCode(code, {}, undefined, options);
      if (!started.success) throw new Error(started.error);
      const ended = await client.wait(started.sideExecutionId);
      if (!ended.success) throw new Error(ended.error);
      return [ended.status, ended.failure?.code ?? ended.result, ended.failure?.message ?? ''] as const;
    };
    try {
      expect(await run(growsHeap)).toEqual(['failed', 'MEMORY_LIMIT', expect.stringContaining('memory limit of 67108864 bytes')]);
      expect(await run(growsHeap, { memoryLimitMb: 128 })).toEqual(['failed', 'MEMORY_LIMIT', expect.stringContaining('memory limit of 134217728 bytes')]);
      expect(await run(eighty)).toEqual(pidsControlled ? ['failed', 'PIDS_LIMIT', expect.stringMatching(/limit of 64 processes and threads/)] : ['completed', 80, '']);
      expect(await run(eighty, { pidsLimit: 256 })).toEqual(['completed', 80, '']);
    } finally {
      client.close();
      await stopAndRemove(server);
    }
  });
});

describe('--output-limit-mb', () => {
  it("sets the default output limit of the server's executions; a start may set its own", async () => {
    const server = await spawnServer({ args: ['--output-limit-mb', '1'] });
    const client = new SidexClient({ url: server.url, apiKey: server.apiKey });
    try {
      const twoMb = "process.stdout.write('z'.repeat(2 * 1024 * 1024)); await new Promise((r) => setTimeout(r, 10000));";
      const limited = await client.sideExecution.startWithCode(twoMb);
      if (!limited.success) throw new Error(limited.error);
      const ended = await client.wait(limited.sideExecutionId);
      expect(ended.success && [ended.status, ended.failure?.code]).toEqual(['failed', 'OUTPUT_LIMIT']);
      const own = await client.sideExecution.startWithCode("process.stdout.write('z'.repeat(2 * 1024 * 1024)); return 'fits'", {}, undefined, { outputLimitMb: 8 });
      if (!own.success) throw new Error(own.error);
      const done = await client.wait(own.sideExecutionId);
      expect(done.success && [done.status, done.result]).toEqual(['completed', 'fits']);
    } finally {
      client.close();
      await stopAndRemove(server);
    }
  });
});
