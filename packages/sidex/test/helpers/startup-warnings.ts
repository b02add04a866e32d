import { Writable } from 'node:stream';
import { pino } from 'pino';
import type { Engine } from '../../dist/engine/engine.js';
import { logEngineModes } from '../../dist/server/engine-modes.js';

/** What the start-up log warns of for an engine with this isolation (its limits all kept by the kernel). */
export function startupWarnings(isolation: Record<string, unknown>): Array<{ msg: string; reason?: string }> {
  const lines: Array<{ level: number; msg: string; reason?: string }> = [];
  const log = pino({}, new Writable({ write: (chunk: Buffer, _enc, done) => (lines.push(JSON.parse(chunk.toString())), done()) }));
  const engine = { isolation: { mode: 'sandbox', ...isolation }, limits: { memory: 'kernel', pids: 'kernel', cpu: 'kernel', output: 'rlimit' } } as unknown as Engine;
  logEngineModes(engine, log);
  return lines.filter((line) => line.level === 40);
}
