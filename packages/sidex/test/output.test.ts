import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Sidex } from '../dist/index.js';
import { eventually, makeSidex, survivors, tempDir } from './helpers/sidex.js';

const sidex = makeSidex({ engine: { tailBytes: 1024 * 1024 } });
const api = sidex.sideExecution;

async function collect(id: string, follow = false) {
  let stdout = '';
  let stderr = '';
  for await (const chunk of api.logs(id, { follow })) {
    if (chunk.stream === 'stdout') stdout += chunk.data;
    else stderr += chunk.data;
  }
  return { stdout, stderr };
}

describe('output capture', () => {
  it('10 MB followed by process.exit() arrives complete: the log has every byte, the tail the last MB', async () => {
    const started = await api.startWithCode(`
      const line = 'x'.repeat(1023) + '\\n';
      const block = line.repeat(1024);
      for (let i = 0; i < 10; i++) process.stdout.write(block);
      process.stdout.write('END\\n');
      process.exit(0);
    `);
    if (!started.success) throw new Error(started.error);
    const done = await api.wait(started.sideExecutionId);
    expect(done.success && done.status).toBe('completed');
    if (!done.success) return;
    expect(done.outputTruncated).toBe(true);
    expect(done.output.length).toBeLessThanOrEqual(1024 * 1024);
    expect(done.output.endsWith('END\n')).toBe(true);
    const record = await sidex.engine.get(started.sideExecutionId);
    expect(record?.stdout.bytes).toBe(10 * 1024 * 1024 + 4);
    expect(survivors(record?.marker)).toEqual([]);
    const { stdout } = await collect(started.sideExecutionId);
    expect(stdout.length).toBe(10 * 1024 * 1024 + 4);
    expect(stdout.endsWith('END\n')).toBe(true);
  });

  // Across the two files, the log holds the order in which the server saw them:
  // exact within each stream, arrival order between them.
  it('stdout and stderr are captured separately and in order; log frames are in time order', async () => {
    const started = await api.startWithCode(`
      for (let i = 0; i < 20; i++) {
        (i % 2 ? process.stderr : process.stdout).write('line ' + i + '\\n');
        await new Promise((r) => setTimeout(r, 2));
      }
    `);
    if (!started.success) throw new Error(started.error);
    const done = await api.wait(started.sideExecutionId);
    if (!done.success) throw new Error(done.error);
    const evens = Array.from({ length: 10 }, (_, i) => `line ${i * 2}\n`).join('');
    const odds = Array.from({ length: 10 }, (_, i) => `line ${i * 2 + 1}\n`).join('');
    expect(done.output).toBe(evens);
    expect(done.error).toBe(odds);
    const { stdout, stderr } = await collect(started.sideExecutionId);
    expect([stdout, stderr]).toEqual([evens, odds]);
    const times: number[] = [];
    for await (const frame of sidex.engine.logs(started.sideExecutionId)) times.push(frame.time);
    expect(times).toEqual([...times].sort((a, b) => a - b));
  });

  it('writes to the two streams a moment apart come back from the log interleaved as written', async () => {
    const started = await api.startWithCode(`
      const pause = () => new Promise((r) => setTimeout(r, 100));
      process.stdout.write('one\\n'); await pause();
      process.stderr.write('two\\n'); await pause();
      process.stdout.write('three\\n'); await pause();
      process.stderr.write('four\\n');
    `);
    if (!started.success) throw new Error(started.error);
    await api.wait(started.sideExecutionId);
    const frames: string[] = [];
    for await (const frame of sidex.engine.logs(started.sideExecutionId)) frames.push(`${frame.stream}:${frame.data}`);
    expect(frames).toEqual(['stdout:one\n', 'stderr:two\n', 'stdout:three\n', 'stderr:four\n']);
  });

  it('tiny writes alternating between the streams: the index stays small (one read per 20 ms), the log whole and in order', async () => {
    const root = tempDir();
    const dataDir = path.join(root, 'data');
    const own = new Sidex({ dataDir, projectDir: root, globalDir: root, engine: { poolSize: 1 } });
    try {
      // The reads span from the start's answer to the end's: the test's own clock brackets them, where `duration` may not.
      const from = Date.now();
      const started = await own.sideExecution.startWithCode(`
        const fs = require('node:fs');
        for (let i = 0; i < 3000; i++) { fs.writeSync(1, 'a'); fs.writeSync(2, 'b'); if (i % 3 === 0) await new Promise((r) => setTimeout(r, 1)); }`);
      if (!started.success) throw new Error(started.error);
      const done = await own.sideExecution.wait(started.sideExecutionId);
      if (!done.success) throw new Error(done.error);
      const window = Date.now() - from;
      // A read per change wrote an entry (17 bytes) per stream and per write seen: about 100 KB here.
      const index = fs.statSync(path.join(dataDir, 'logs', `${started.sideExecutionId}.idx`)).size;
      expect(index).toBeLessThan(2 * 17 * Math.ceil(window / 20) + 2 * 17 * 10);
      let stdout = '';
      let stderr = '';
      for await (const chunk of own.sideExecution.logs(started.sideExecutionId)) chunk.stream === 'stdout' ? (stdout += chunk.data) : (stderr += chunk.data);
      expect([stdout, stderr]).toEqual(['a'.repeat(3000), 'b'.repeat(3000)]);
    } finally {
      await own.close();
      fs.rmSync(root, { recursive: true, force: true });
    }
  });

  it('logs with follow streams until the execution ends, missing nothing', async () => {
    const started = await api.startWithCode(`
      for (let i = 0; i < 30; i++) { console.log('tick ' + i); await new Promise((r) => setTimeout(r, 10)); }
    `);
    if (!started.success) throw new Error(started.error);
    const { stdout } = await collect(started.sideExecutionId, true);
    expect(stdout).toBe(Array.from({ length: 30 }, (_, i) => `tick ${i}\n`).join(''));
  });

  it('a follower that goes away (its signal aborts) stops reading at once, though the execution runs on', async () => {
    const started = await api.startWithCode('console.log("first"); await new Promise(() => {});');
    if (!started.success) throw new Error(started.error);
    const gone = new AbortController();
    const seen: string[] = [];
    let sawFirst!: () => void;
    const firstSeen = new Promise<void>((resolve) => (sawFirst = resolve));
    const reading = (async () => {
      for await (const chunk of api.logs(started.sideExecutionId, { follow: true, signal: gone.signal })) {
        seen.push(chunk.data);
        if (seen.join('').includes('first\n')) sawFirst();
      }
    })();
    // Abort once the follower is really streaming, not after a guessed delay: a loaded CI machine may take longer.
    await firstSeen;
    const abortedAt = Date.now();
    gone.abort();
    await reading;
    // The execution never ends, so any bound tells "stopped at once" from "waited for the end".
    expect(Date.now() - abortedAt).toBeLessThan(1_000);
    expect(seen.join('')).toBe('first\n');
    const status = await api.getStatus(started.sideExecutionId);
    expect(status.success && status.status).toBe('running');
    await api.stop(started.sideExecutionId);
  });

  it('a follower of a quiet execution does not pile up listeners while it waits', async () => {
    const started = await api.startWithCode('console.log("once"); await new Promise(() => {});');
    if (!started.success) throw new Error(started.error);
    const gone = new AbortController();
    const reading = (async () => {
      for await (const _ of api.logs(started.sideExecutionId, { follow: true, signal: gone.signal })) void _;
    })();
    let most = 0;
    // A dozen polls of the follower (100 ms each) with nothing new to read.
    for (let i = 0; i < 12; i++) {
      await new Promise((r) => setTimeout(r, 100));
      most = Math.max(most, sidex.engine.listenerCount('output'));
    }
    gone.abort();
    await reading;
    expect(most).toBeLessThanOrEqual(2);
    await api.stop(started.sideExecutionId);
  });

  it('output written up to a SIGKILL is kept', async () => {
    const started = await api.startWithCode(`console.log('before the kill'); for (;;) {}`);
    if (!started.success) throw new Error(started.error);
    const printed = async () => {
      const status = await api.getStatus(started.sideExecutionId);
      return status.success && status.output.includes('before the kill');
    };
    expect(await eventually(printed)).toBe(true);
    const stopped = await api.stop(started.sideExecutionId, { graceMs: 100 });
    expect(stopped.success && stopped.forced).toBe(true);
    expect(stopped.success && stopped.output).toBe('before the kill\n');
  });

  it('live output events carry the execution id, stream and text', async () => {
    const seen: string[] = [];
    let id = '';
    const off = api.on('output', (e) => {
      if (e.id === id || id === '') seen.push(`${e.stream}:${e.data}`);
    });
    const started = await api.startWithCode('await new Promise((r) => setTimeout(r, 50)); console.log("live"); console.error("err");');
    if (!started.success) throw new Error(started.error);
    id = started.sideExecutionId;
    await api.wait(id);
    off();
    expect(seen).toContain('stdout:live\n');
    expect(seen).toContain('stderr:err\n');
  });

  it('listings show the live output and memory of running executions', async () => {
    const started = await api.startWithCode('console.log("listed live"); await new Promise(() => {});');
    if (!started.success) throw new Error(started.error);
    const listedMine = async () => {
      const listed = await api.list({ status: 'running' });
      return listed.success ? listed.executions.find((e) => e.sideExecutionId === started.sideExecutionId) : undefined;
    };
    // Memory is sampled on an interval, so the listing is polled until a sample and the output are both in.
    await eventually(async () => {
      const listed = await listedMine();
      return (listed?.memoryUsage ?? 0) > 0 && listed?.output === 'listed live\n';
    });
    const mine = await listedMine();
    expect(mine?.output).toBe('listed live\n');
    expect(mine?.memoryUsage).toBeGreaterThan(0);
    await api.stop(started.sideExecutionId);
  });

  it('an execution log is a file under the data directory', async () => {
    const started = await api.startWithCode('console.log("on disk")');
    if (!started.success) throw new Error(started.error);
    await api.wait(started.sideExecutionId);
    const files = sidex.engine.logFiles(started.sideExecutionId);
    for (const file of Object.values(files)) expect(path.dirname(file)).toMatch(/\/data\/logs$/);
    // The child wrote its stdout file itself, byte for byte; the index says when each stretch arrived.
    expect(fs.readFileSync(files.stdout, 'utf8')).toBe('on disk\n');
    expect(fs.readFileSync(files.stderr, 'utf8')).toBe('');
    expect(fs.statSync(files.index).size).toBeGreaterThan(0);
  });
});

describe('following a log that does not exist yet', () => {
  it('a follower of a queued execution gets its output once it runs, and ends with it', async () => {
    const root = tempDir();
    const own = new Sidex({ dataDir: path.join(root, 'data'), projectDir: root, globalDir: root, engine: { poolSize: 1, maxConcurrent: 1 } });
    try {
      const blocker = await own.sideExecution.startWithCode('await new Promise(() => {});');
      const queued = await own.sideExecution.startWithCode('console.log("ran at last"); return 1');
      if (!blocker.success || !queued.success) throw new Error('start failed');
      expect(queued.status).toBe('queued');
      const followed = (async () => {
        let text = '';
        for await (const chunk of own.sideExecution.logs(queued.sideExecutionId, { follow: true })) text += chunk.data;
        return text;
      })();
      await new Promise((r) => setTimeout(r, 200)); // the follower is waiting on files that are not there yet
      await own.sideExecution.stop(blocker.sideExecutionId);
      expect(await followed).toBe('ran at last\n');
    } finally {
      await own.close();
      fs.rmSync(root, { recursive: true, force: true });
    }
  });
});

describe('output files of idle runtimes', () => {
  it('wait in the log directory, under .spare/<run>, index included, until claimed (a claim is a rename), and are gone after close', async () => {
    const root = tempDir();
    const dataDir = path.join(root, 'data');
    const own = new Sidex({ dataDir, projectDir: root, globalDir: root, engine: { poolSize: 2 } });
    try {
      await own.engine.warm();
      const spare = fs.readdirSync(path.join(dataDir, 'logs', '.spare'), { recursive: true }).map(String);
      expect(spare.filter((f) => /\.(out|err)$/.test(f))).toHaveLength(4); // two idle runtimes, stdout and stderr each
      expect(spare.filter((f) => /\.idx$/.test(f))).toHaveLength(2); // and the index the server writes
      expect(fs.readdirSync(path.join(dataDir, 'logs'))).toEqual(['.spare']);
      const started = await own.sideExecution.startWithCode('console.log("claimed")');
      if (!started.success) throw new Error(started.error);
      await own.sideExecution.wait(started.sideExecutionId);
      expect(fs.readFileSync(own.engine.logFiles(started.sideExecutionId).stdout, 'utf8')).toBe('claimed\n');
      expect(fs.statSync(own.engine.logFiles(started.sideExecutionId).index).size).toBeGreaterThan(0);
    } finally {
      await own.close();
    }
    for (const dir of ['scratch', 'logs/.spare']) {
      const left = path.join(dataDir, dir);
      expect(fs.existsSync(left) ? fs.readdirSync(left, { recursive: true }) : [], dir).toEqual([]);
    }
    fs.rmSync(root, { recursive: true, force: true });
  });
});
