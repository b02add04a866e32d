// Where files cannot be watched (no inotify watches left, some network file
// systems), fs.watch throws and the capture polls the output files instead.
// Only fs.watch is replaced: the engine, its runtimes and their files are real.
import fs from 'node:fs';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { eventually, makeSidex } from './helpers/sidex.js';

const watch = vi.spyOn(fs, 'watch').mockImplementation(() => {
  throw Object.assign(new Error('ENOSPC: System limit for number of file watchers reached'), { code: 'ENOSPC' });
});
afterAll(() => watch.mockRestore());

const sidex = makeSidex();
const api = sidex.sideExecution;

describe('output of files that cannot be watched', () => {
  it('is polled: live output arrives while the execution runs, and its record has all of it', async () => {
    const events: Array<{ id: string; data: string }> = [];
    const off = api.on('output', (e) => events.push({ id: e.id, data: e.data }));
    const started = await api.startWithCode('console.log("first"); await new Promise((r) => setTimeout(r, 3000)); console.log("second");');
    if (!started.success) throw new Error(started.error);
    const id = started.sideExecutionId;
    const text = () => events.filter((e) => e.id === id).map((e) => e.data).join('');
    // Unwatched and unpolled, nothing would be read before the end, 3 s away.
    expect(await eventually(() => text() === 'first\n', 2000)).toBe(true);
    const status = await api.getStatus(id);
    expect(status.success && status.status).toBe('running');
    const done = await api.wait(id);
    off();
    expect(done.success && done.output).toBe('first\nsecond\n');
    expect(text()).toBe('first\nsecond\n');
    expect(watch).toHaveBeenCalled();
  });
});
