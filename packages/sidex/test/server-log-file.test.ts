// `sidex serve --log-file`: the server's log goes to a file rolled by
// pino-roll, as JSON lines, flushed through to the shutdown's last line.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ownedDir } from './helpers/pipelines.js';
import { api, runCli, spawnServer } from './helpers/server.js';
import { eventually } from './helpers/sidex.js';

const dir = ownedDir('sidex-log-file-');

const logLines = (logDir: string) =>
  fs
    .readdirSync(logDir)
    .filter((f) => f.endsWith('.log'))
    .flatMap((f) => fs.readFileSync(path.join(logDir, f), 'utf8').split('\n').filter(Boolean))
    .map((line) => JSON.parse(line) as { msg: string; level: number; service: string });

describe('--log-file', () => {
  it('writes the log as JSON lines to the file, not stderr, up to the shutdown', async () => {
    const logDir = path.join(dir, 'logs');
    const server = await spawnServer({ args: ['--log-level', 'info', '--log-file', path.join(logDir, 'sidex.log')] });
    try {
      expect((await api(server, '/v1/executions', { method: 'POST', body: JSON.stringify({ inlineCode: 'return 1' }) })).status).toBe(201);
      expect(await eventually(() => fs.existsSync(logDir) && logLines(logDir).length > 0, 10_000)).toBe(true);
    } finally {
      await server.stop();
    }
    // Named by date and number, never as given.
    expect(fs.readdirSync(logDir)).toEqual([expect.stringMatching(/^sidex\.\d{4}-\d{2}-\d{2}\.1\.log$/)]);
    const lines = logLines(logDir);
    expect(lines.every((l) => l.service === 'sidex')).toBe(true);
    expect(lines.map((l) => l.msg)).toContain('shut down');
    expect(server.stderr()).not.toContain('shut down');
  });

  it('refuses a bad size or count, naming the flag', async () => {
    for (const [flag, value, message] of [
      ['--log-file-max-mb', '0', 'must be a positive number of MB'],
      ['--log-file-keep', '-1', 'must be 0 or more'],
    ] as const) {
      const { code, stderr } = await runCli(['serve', '--data-dir', path.join(dir, 'data'), '--log-file', path.join(dir, 'x.log'), flag, value], { cwd: dir });
      expect(code).toBe(2);
      expect(stderr).toContain(`${flag}: ${message}`);
    }
  });
});
