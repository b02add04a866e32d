// The runtime's own safety net, apart from the guardian: when its supervisor's
// IPC channel closes while an execution runs, it kills its process group.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { eventually, killedAfterAll, pidAlive, tempDir } from './helpers/sidex.js';

const runtimeMain = fileURLToPath(new URL('../dist/runtime/main.js', import.meta.url));
const pids = killedAfterAll();

describe('a runtime whose supervisor goes away', () => {
  it('kills its own process group, grandchild included, within a second of its IPC channel closing', async () => {
    const dir = tempDir();
    const runtime = spawn(process.execPath, ['--experimental-vm-modules', runtimeMain], { cwd: dir, detached: true, stdio: ['ignore', 'pipe', 'inherit', 'ipc'] });
    pids.push(runtime.pid!);
    let stdout = '';
    runtime.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
    const next = (type: string) => new Promise<void>((resolve) => runtime.on('message', (m: { type?: string }) => m.type === type && resolve()));
    const ready = next('ready');
    await ready;
    const warmed = next('warmed');
    runtime.send({ type: 'warm' });
    await warmed;
    const started = next('started');
    runtime.send({
      type: 'run',
      executionId: 'side_1_00000000',
      source: {
        type: 'inline',
        code: "const c = require('node:child_process').spawn('sleep', ['600'], { stdio: 'ignore' }); console.log('grandchild ' + c.pid); await new Promise(() => {});",
        filename: path.join(dir, 'inline.js'),
      },
      paramsJson: '{}',
      cwd: dir,
      env: {},
    });
    await started;
    expect(await eventually(() => /grandchild \d+/.test(stdout))).toBe(true);
    const grandchild = Number(/grandchild (\d+)/.exec(stdout)![1]);
    pids.push(grandchild);
    expect(pidAlive(grandchild)).toBe(true);

    const closedAt = Date.now();
    runtime.disconnect();
    expect(await eventually(() => !pidAlive(runtime.pid!) && !pidAlive(grandchild), 1000, 10)).toBe(true);
    expect(Date.now() - closedAt).toBeLessThan(1000);
  });
});
