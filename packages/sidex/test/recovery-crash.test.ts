// A real server process is killed in the middle of its work, then sidex is
// opened again on the same data directory. What it had told anyone must still
// be true; what it left running must be dead and marked supervisor_lost.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Sidex, StatusFields } from '../dist/index.js';
import { guardianOf, HostProcess, type HostConfig } from './fixtures/host-process.js';
import { openSidex, sidexHome } from './fixtures/open-sidex.js';
import { cgroupsOf, runCgroupsOf } from './helpers/cgroups.js';
import { eventually, pidAlive, survivors } from './helpers/sidex.js';

interface Finished {
  id: string;
  marker: string;
  status: StatusFields;
}
interface Running {
  id: string;
  marker: string;
  seen: string;
}

const hosts: HostProcess[] = [];
afterAll(async () => {
  for (const host of hosts) await host.kill('SIGKILL');
});

function startHost(home: ReturnType<typeof sidexHome>, config: Omit<HostConfig, 'dataDir' | 'projectDir' | 'globalDir'>): HostProcess {
  const host = HostProcess.start({
    dataDir: home.dataDir,
    projectDir: path.join(home.root, 'project'),
    globalDir: path.join(home.root, 'global'),
    ...config,
  });
  hosts.push(host);
  return host;
}

/** A host that has run 5 executions to the end and has `long` running; what it reported. */
async function loadedHost(home: ReturnType<typeof sidexHome>, long: number, hostile = false, isolation: HostConfig['isolation'] = 'auto') {
  const host = startHost(home, { scenario: 'load', short: 5, long, hostile, isolation });
  const report = await host.next('report');
  return { host, finished: report.finished as Finished[], running: report.running as Running[] };
}

async function stdoutFromLog(sidex: Sidex, id: string): Promise<string> {
  let text = '';
  for await (const frame of sidex.sideExecution.logs(id)) if (frame.stream === 'stdout') text += frame.data;
  return text;
}

/** The five that finished before the crash are exactly as they were reported. */
async function expectFinishedIntact(sidex: Sidex, finished: Finished[]): Promise<void> {
  expect(finished).toHaveLength(5);
  for (const [i, f] of finished.entries()) {
    const status = await sidex.sideExecution.getStatus(f.id);
    expect(status.success && status.data).toEqual(f.status);
    expect(f.status.status).toBe('completed');
    expect(f.status.result).toBe(i * 2);
    expect(f.status.output).toBe(`short ${i}\n`);
  }
}

describe('crash: the server is SIGKILLed while 20 executions run and 5 have finished', () => {
  const home = sidexHome();

  it('after a restart all 25 records are there, the 20 failed/supervisor_lost with their output, nothing alive', async () => {
    const { host, finished, running } = await loadedHost(home, 20);
    expect(running).toHaveLength(20);
    for (const r of running) expect(survivors(r.marker).length).toBeGreaterThan(0);
    await new Promise((r) => setTimeout(r, 300)); // more output lands in the logs
    expect((await host.kill('SIGKILL')).signal).toBe('SIGKILL');

    const sidex = await openSidex(home.options());
    expect(sidex.recovery?.recovered.sort()).toEqual(running.map((r) => r.id).sort());
    await expectFinishedIntact(sidex, finished);
    for (const [i, r] of running.entries()) {
      const status = await sidex.sideExecution.getStatus(r.id);
      if (!status.success) throw new Error(status.error);
      expect(status.status).toBe('failed');
      expect(status.stopReason).toBe('supervisor_lost');
      expect(status.failure?.code).toBe('SUPERVISOR_LOST');
      expect(status.name).toBe(`long-${i}`);
      // Everything it printed up to the kill: what the host saw, and more.
      expect(status.output.startsWith(r.seen)).toBe(true);
      expect(status.output).toMatch(new RegExp(`tick ${i} \\d+\\n`));
      expect(status.output).toBe(await stdoutFromLog(sidex, r.id));
      expect(status.error).toMatch(/note \d+/);
    }
    for (const x of [...finished, ...running]) expect(survivors(x.marker), x.id).toEqual([]);
    const counts = await sidex.sideExecution.counts();
    expect(counts.success && counts.counts).toMatchObject({ completed: 5, failed: 20, running: 0, queued: 0 });
    await sidex.close();
  });
});

// Only process isolation can leave survivors: a sandbox dies with its server (sandbox-attacks.test.ts).
describe('crash: the server and its guardian are both SIGKILLed, leaving survivors (process isolation)', () => {
  const home = sidexHome();

  it('recovery at start kills them (cgroup or marker) before accepting work', async () => {
    const { host, finished, running } = await loadedHost(home, 4, true, 'process');
    const guardian = guardianOf(host.pid);
    expect(guardian).toBeDefined();
    // A live engine replaces a dead guardian: frozen, it cannot.
    process.kill(host.pid, 'SIGSTOP');
    process.kill(guardian!, 'SIGKILL');
    await eventually(() => !pidAlive(guardian!));
    await host.kill('SIGKILL');
    // Busy loops never notice their supervisor is gone; setsid'd grandchildren are out of the group.
    await new Promise((r) => setTimeout(r, 300));
    const left = running.flatMap((r) => survivors(r.marker));
    expect(left.length).toBeGreaterThanOrEqual(running.length);
    const deadRuns = runCgroupsOf(home.dataDir);
    expect(deadRuns.length).toBeGreaterThan(0);

    const sidex = await openSidex(home.options());
    for (const r of running) expect(survivors(r.marker), r.id).toEqual([]);
    // Gone before work is accepted, though a survivor with a big heap takes a while to exit.
    expect(deadRuns.filter((dir) => fs.existsSync(dir))).toEqual([]);
    expect(sidex.recovery?.killed).toEqual(expect.arrayContaining(left));
    for (const r of running) {
      const status = await sidex.sideExecution.getStatus(r.id);
      expect(status.success && [status.status, status.stopReason]).toEqual(['failed', 'supervisor_lost']);
      expect(status.success && status.output).toContain('ready');
    }
    await expectFinishedIntact(sidex, finished);
    await sidex.close();
    // The dead run's cgroups went at the start (once their processes had exited), this run's at its close.
    expect(cgroupsOf(home.dataDir)).toEqual([]);
  });
});

describe('graceful restart: close() then open again', () => {
  const home = sidexHome();

  it('keeps everything: finished records intact, running ones stopped by the shutdown with their output', async () => {
    const { host, finished, running } = await loadedHost(home, 20);
    expect(await host.kill('SIGTERM')).toEqual({ code: 0, signal: null });

    const sidex = await openSidex(home.options());
    expect(sidex.recovery?.recovered).toEqual([]);
    await expectFinishedIntact(sidex, finished);
    for (const r of running) {
      const status = await sidex.sideExecution.getStatus(r.id);
      if (!status.success) throw new Error(status.error);
      expect([status.status, status.stopReason]).toEqual(['stopped', 'shutdown']);
      expect(status.output.startsWith(r.seen)).toBe(true);
      expect(status.output).toBe(await stdoutFromLog(sidex, r.id));
      expect(survivors(r.marker)).toEqual([]);
    }
    await sidex.close();
    const again = await openSidex(home.options());
    const page = await again.sideExecution.list({ limit: 100 });
    expect(page.success && page.executions).toHaveLength(25);
    await again.close();
  });
});

describe('durable before acknowledged: what a caller was told survives a SIGKILL right after', () => {
  it('a stop reply', async () => {
    const home = sidexHome();
    const host = startHost(home, { scenario: 'ack-stop' });
    const ack = await host.next('ack');
    expect((await host.exited).signal).toBe('SIGKILL');
    const reply = ack.reply as { success: boolean; status: string; result: unknown; output: string };
    expect(reply.success && reply.status).toBe('stopped');

    const sidex = await openSidex(home.options());
    expect(sidex.recovery?.recovered).toEqual([]);
    const status = await sidex.sideExecution.getStatus(ack.id);
    expect(status.success && [status.status, status.stopReason, status.result, status.output]).toEqual([
      'stopped',
      'user',
      'partial',
      reply.output,
    ]);
    await sidex.close();
  });

  it('a terminal status event', async () => {
    const home = sidexHome();
    const host = startHost(home, { scenario: 'ack-end' });
    const ack = await host.next('ack');
    expect((await host.exited).signal).toBe('SIGKILL');

    const sidex = await openSidex(home.options());
    const record = await sidex.engine.get(ack.id as string);
    expect(record).toEqual(ack.record);
    expect([record?.status, record?.result, record?.stdout.text]).toEqual(['completed', 7, 'done\n']);
    await sidex.close();
  });
});
