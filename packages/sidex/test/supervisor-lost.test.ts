import { spawn } from 'node:child_process';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { workloads } from './fixtures/workloads.js';
import { eventually, pidAlive, survivors, tempDir, treesGone } from './helpers/sidex.js';

const host = fileURLToPath(new URL('./fixtures/engine-host.mjs', import.meta.url));

// Ten executions, the hardest shapes twice over: busy loops never see their
// IPC channel close, setsid'd grandchildren are outside every group.
const ten = [
  workloads.busyLoop,
  workloads.busyLoop,
  workloads.setsidGrandchild,
  workloads.setsidGrandchild,
  workloads.shellWrapper,
  workloads.grandchildHoldsStdout,
  workloads.ignoresSigterm,
  workloads.cooperative,
  workloads.cooperative,
  workloads.shellWrapper,
];

describe.each(['auto', 'scan'] as const)('the supervisor is SIGKILLed (tracking %s)', (tracking) => {
  it('while 10 executions run: no process of theirs survives 2 s later', async () => {
    const dataDir = path.join(tempDir(), 'data');
    const child = spawn(process.execPath, [host, dataDir, tracking], {
      env: { ...process.env, WORKLOADS: JSON.stringify(ten) },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    try {
      const line = await new Promise<string>((resolve, reject) => {
        readline.createInterface({ input: child.stdout! }).once('line', resolve);
        child.once('exit', (code) => reject(new Error(`host exited early (${code})`)));
      });
      const { pid, markers } = JSON.parse(line) as { pid: number; markers: string[] };
      expect(markers).toHaveLength(10);
      const before = markers.flatMap((m) => survivors(m));
      expect(before.length).toBeGreaterThanOrEqual(20);

      process.kill(pid, 'SIGKILL');
      const allGone = await eventually(() => treesGone(markers, before), 2000, 25);
      expect(markers.flatMap((m) => survivors(m))).toEqual([]);
      expect(allGone).toBe(true);
      expect(before.filter(pidAlive)).toEqual([]);
    } finally {
      child.kill('SIGKILL');
    }
  });
});
