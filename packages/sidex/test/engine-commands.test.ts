// Commands as executions, at the engine, with real programs in real sandboxes
// (and in `process` isolation): the same stop, output, limits and records as
// JavaScript. Each test checks what a caller relies on: the stop is graceful
// then forced, nothing survives, the exit is recorded, every byte is kept.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Engine, ExecutionRecord, StartSpec } from '../dist/index.js';
import { killAll, withToken } from './helpers/attacks.js';
import { installed, itNeeds } from './helpers/machine-needs.js';
import { eventually, makeSidex, survivors, tempDir } from './helpers/sidex.js';

const PYTHON = '/usr/bin/python3';
const hasPython = installed('python3');

function commandSpec(argv: string[], more: Partial<StartSpec> = {}): StartSpec {
  return { prefix: 'side', kind: 'command', name: path.basename(argv[0] ?? 'command'), argv, ...more };
}

/** Starts a command and resolves once it printed "ready" (bounded: 15 s). */
async function startReady(engine: Engine, argv: string[], more: Partial<StartSpec> = {}): Promise<ExecutionRecord> {
  let id: string | undefined;
  let seen = '';
  let ready!: () => void;
  const printed = new Promise<void>((resolve) => (ready = resolve));
  const onOutput = (e: { id: string; stream: string; data: string }) => {
    if (e.id !== id || e.stream !== 'stdout') return;
    seen += e.data;
    if (seen.includes('ready')) ready();
  };
  engine.on('output', onOutput);
  try {
    const record = await engine.start(commandSpec(argv, more));
    expect(record.status).toBe('running');
    id = record.id;
    if ((await engine.get(id))?.stdout.text.includes('ready')) ready();
    await Promise.race([printed, new Promise((_, reject) => setTimeout(() => reject(new Error(`${argv.join(' ')} never printed ready`)), 15_000))]);
    return record;
  } finally {
    engine.off('output', onOutput);
  }
}

/** Every byte of a stream, as the log keeps it. */
async function logBytes(engine: Engine, id: string, stream: 'stdout' | 'stderr'): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const frame of engine.logs(id)) if (frame.stream === stream) parts.push(frame.data);
  return Buffer.concat(parts);
}

const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');

/** Blocks this process, the engine with it, until no process of the runtime `marker` names is left (bounded: 10 s). */
function holdUntilGone(marker: string): void {
  const until = Date.now() + 10_000;
  const cell = new Int32Array(new SharedArrayBuffer(4));
  while (survivors(marker).length > 0) {
    if (Date.now() > until) throw new Error(`the runtime ${marker} is still there after 10 s`);
    Atomics.wait(cell, 0, 0, 5);
  }
}

/** A script that leaves setsid'd grandchildren ignoring SIGTERM, named by `token`, then waits. */
const setsidTree = (token: string) =>
  `setsid sh -c 'trap "" TERM; while :; do sleep 1; done' ${token} & setsid sh -c 'trap "" TERM; while :; do sleep 1; done' ${token} & sleep 0.2; echo ready; wait`;

describe.each(['sandbox', 'process'] as const)('commands (%s isolation)', (isolation) => {
  // The project directory is a root: a sandbox sees it (read-only), so a command may run in it.
  const projectDir = tempDir();
  const sidex = makeSidex({ projectDir, engine: { isolation, defaultGraceMs: 5000, maxConcurrent: 8 } });
  const engine = sidex.engine;

  it('runs in the isolation asked for', () => {
    expect(engine.isolation.mode).toBe(isolation);
  });

  it('sh: the start answers once exec\'d; output and the exit code are recorded', async () => {
    const started = await engine.start(commandSpec(['sh', '-c', 'echo out; echo err >&2; exit 7']));
    expect(started.status).toBe('running');
    expect(started.kind).toBe('command');
    const done = await engine.wait(started.id);
    expect(done.status).toBe('failed');
    expect(done.exitCode).toBe(7);
    expect(done.signal).toBeNull();
    expect(done.error?.code).toBe('EXIT_CODE');
    expect(done.stdout.text).toBe('out\n');
    expect(done.stderr.text).toBe('err\n');
    expect(done.source).toEqual({ type: 'command', argv: ['sh', '-c', 'echo out; echo err >&2; exit 7'] });
    expect(survivors(done.marker)).toEqual([]);
  });

  it('temporary files: mktemp in /tmp and a file in /dev/shm work; in a sandbox both are its own', async () => {
    const script = 'f=$(mktemp /tmp/sidex-tmp-XXXXXX) && echo data > "$f" && cat "$f" && echo "$f" && g=/dev/shm/sidex-shm-$$ && : > "$g" && echo "$g"';
    const done = await engine.wait((await engine.start(commandSpec(['sh', '-c', script]))).id);
    expect(done.stderr.text).toBe('');
    expect(done.status).toBe('completed');
    const [data, tmpFile, shmFile] = done.stdout.text.trim().split('\n');
    expect(data).toBe('data');
    // The host's own /tmp and /dev/shm are the sandbox's only in process isolation.
    for (const file of [tmpFile!, shmFile!]) {
      expect(fs.existsSync(file), file).toBe(isolation === 'process');
      fs.rmSync(file, { force: true });
    }
  });

  itNeeds('python3', hasPython)('python3: tempfile and a multiprocessing lock (a semaphore in /dev/shm) work', async () => {
    const script = 'import multiprocessing, tempfile\nlock = multiprocessing.Lock()\nwith lock, tempfile.TemporaryDirectory() as d: print("ok", d.startswith("/tmp/"))';
    const done = await engine.wait((await engine.start(commandSpec([PYTHON, '-c', script]))).id);
    expect(done.stderr.text).toBe('');
    expect(done.status).toBe('completed');
    expect(done.stdout.text).toBe('ok True\n');
  });

  it('argv is executed directly: no shell expands it', async () => {
    const done = await engine.wait((await engine.start(commandSpec(['/bin/echo', '$HOME', '*', 'a;b', '`id`']))).id);
    expect(done.status).toBe('completed');
    expect(done.exitCode).toBe(0);
    expect(done.stdout.text).toBe('$HOME * a;b `id`\n');
  });

  it('node: a program killed by a signal is recorded with that signal', async () => {
    const done = await engine.wait((await engine.start(commandSpec([process.execPath, '-e', "console.log('bye'); process.kill(process.pid, 'SIGUSR2')"]))).id);
    expect(done.status).toBe('failed');
    expect(done.exitCode).toBeNull();
    expect(done.signal).toBe('SIGUSR2');
    expect(done.error?.code).toBe('KILLED');
    expect(done.stdout.text).toBe('bye\n');
  });

  itNeeds('python3', hasPython)('python3: every byte of binary output is kept exactly', async () => {
    const script = 'import sys\nsys.stdout.buffer.write(bytes(range(256)) * 4)\nsys.stderr.buffer.write(b"\\xff\\xfe\\x00end")';
    const done = await engine.wait((await engine.start(commandSpec([PYTHON, '-c', script]))).id);
    expect(done.status).toBe('completed');
    const expected = Buffer.concat(Array.from({ length: 4 }, () => Buffer.from(Array.from({ length: 256 }, (_, i) => i))));
    expect((await logBytes(engine, done.id, 'stdout')).equals(expected)).toBe(true);
    expect((await logBytes(engine, done.id, 'stderr')).equals(Buffer.from([0xff, 0xfe, 0x00, ...Buffer.from('end')]))).toBe(true);
    expect(done.stdout.bytes).toBe(1024);
  });

  it('10 MB of output: every byte is kept, in order', async () => {
    const size = 10 * 1024 * 1024;
    // Deterministic bytes of every value, written in uneven chunks.
    const program = `const b = Buffer.alloc(${size}); for (let i = 0; i < b.length; i++) b[i] = (i * 7 + (i >> 13)) & 255;
      for (let at = 0; at < b.length; at += 65521) process.stdout.write(b.subarray(at, at + 65521));`;
    const expected = Buffer.alloc(size);
    for (let i = 0; i < size; i++) expected[i] = (i * 7 + (i >> 13)) & 255;
    const done = await engine.wait((await engine.start(commandSpec([process.execPath, '-e', program]))).id);
    expect(done.status).toBe('completed');
    expect(done.stdout.bytes).toBe(size);
    const kept = await logBytes(engine, done.id, 'stdout');
    expect(kept.length).toBe(size);
    expect(sha256(kept)).toBe(sha256(expected));
  });

  it('a program that cleans up on SIGTERM: the stop is graceful, its exit recorded', async () => {
    const started = await startReady(engine, ['sh', '-c', 'trap "echo cleaned; exit 0" TERM; echo ready; while :; do sleep 0.05; done']);
    const outcome = await engine.stop(started.id, { graceMs: 5000 });
    const done = outcome.record;
    expect(done.status).toBe('stopped');
    expect(done.stopReason).toBe('user');
    expect(done.forced).toBe(false);
    expect(done.exitCode).toBe(0);
    expect(done.stdout.text).toBe('ready\ncleaned\n');
    expect(survivors(done.marker)).toEqual([]);
  });

  it('a program that ignores SIGTERM: SIGKILL after the grace, nothing survives', async () => {
    const started = await startReady(engine, ['sh', '-c', 'trap "" TERM; echo ready; while :; do sleep 1; done']);
    expect(survivors(started.marker).length).toBeGreaterThan(0);
    const began = Date.now();
    const done = (await engine.stop(started.id, { graceMs: 300 })).record;
    expect(Date.now() - began).toBeGreaterThanOrEqual(290);
    expect(done.status).toBe('stopped');
    expect(done.forced).toBe(true);
    expect(done.signal).toBe('SIGKILL');
    expect(done.stdout.text).toBe('ready\n');
    expect(survivors(done.marker)).toEqual([]);
  });

  it('setsid grandchildren ignoring SIGTERM: all killed after the grace', async () => {
    const token = `sidex-cmd-${isolation}-${process.pid}-${Date.now()}`;
    try {
      const started = await startReady(engine, ['sh', '-c', setsidTree(token)]);
      expect(withToken(token).length).toBeGreaterThanOrEqual(2); // the two, and the sh whose script names them
      const done = (await engine.stop(started.id, { graceMs: 300 })).record;
      expect(done.status).toBe('stopped');
      expect(done.forced).toBe(true);
      expect(withToken(token)).toEqual([]);
      expect(survivors(done.marker)).toEqual([]);
    } finally {
      killAll(withToken(token));
    }
  });

  it('a timeout runs the same stop: status timeout, the program\'s signal recorded', async () => {
    const started = await engine.start(commandSpec(['sleep', '100'], { timeoutMs: 300, graceMs: 2000 }));
    const done = await engine.wait(started.id);
    expect(done.status).toBe('timeout');
    expect(done.stopReason).toBe('timeout');
    expect(done.error?.code).toBe('TIMEOUT');
    expect(done.forced).toBe(false);
    expect(done.signal).toBe('SIGTERM');
    expect(survivors(done.marker)).toEqual([]);
  });

  it('stdin at start, then streamed: each line is answered before the next is written', async () => {
    const echo = hasPython
      ? [PYTHON, '-u', '-c', 'import sys\nprint("ready")\nfor line in sys.stdin: print(line.strip().upper(), flush=True)']
      : ['sh', '-c', 'echo ready; while read line; do echo "$line" | tr a-z A-Z; done'];
    const started = await startReady(engine, echo, { stdin: { data: Buffer.from('first\n'), open: true } });
    const stdoutOf = async () => (await engine.get(started.id))?.stdout.text ?? '';
    expect(await eventually(async () => (await stdoutOf()).includes('FIRST\n'))).toBe(true);
    for (const word of ['second', 'third']) {
      const reply = await engine.writeStdin(started.id, Buffer.from(`${word}\n`));
      expect(reply.open).toBe(true);
      expect(await eventually(async () => (await stdoutOf()).includes(`${word.toUpperCase()}\n`))).toBe(true);
    }
    expect((await engine.writeStdin(started.id, Buffer.alloc(0), { close: true })).open).toBe(false);
    const done = await engine.wait(started.id);
    expect(done.status).toBe('completed');
    expect(done.stdout.text).toBe('ready\nFIRST\nSECOND\nTHIRD\n');
    await expect(engine.writeStdin(started.id, Buffer.from('late'))).rejects.toMatchObject({ code: 'NOT_RUNNING' });
  });

  it('stdin bytes given at start without open are written, then closed', async () => {
    const bytes = Buffer.from([0, 1, 2, 0xff, 0x80, 10]);
    const done = await engine.wait((await engine.start(commandSpec(['cat'], { stdin: { data: bytes } }))).id);
    expect(done.status).toBe('completed');
    expect((await logBytes(engine, done.id, 'stdout')).equals(bytes)).toBe(true);
  });

  it('without stdin, a program reading it sees its end at once', async () => {
    const done = await engine.wait((await engine.start(commandSpec(['sh', '-c', 'cat; echo eof']))).id);
    expect(done.status).toBe('completed');
    expect(done.stdout.text).toBe('eof\n');
  });

  it('a stdin write that meets the runtime already gone: the program\'s exit is still recorded', async () => {
    const started = await engine.start(commandSpec(['sh', '-c', 'sleep 0.2; exit 4'], { stdin: { open: true } }));
    // The engine (this process) is held while the program ends and its runtime
    // reports that and exits, so that the write below meets a closed channel
    // with the report still unread behind it.
    holdUntilGone(started.marker!);
    void engine.writeStdin(started.id, Buffer.from('late\n'), { close: true }).catch(() => {});
    const done = await engine.wait(started.id);
    expect([done.status, done.exitCode, done.error?.code]).toEqual(['failed', 4, 'EXIT_CODE']);
  });

  it('stdin writes are refused clearly: closed, not a command, and beyond what may wait unread', async () => {
    const quiet = await startReady(engine, ['sh', '-c', 'echo ready; exec sleep 100'], { stdin: { open: true } });
    const eight = Buffer.alloc(8 * 1024 * 1024, 97);
    await engine.writeStdin(quiet.id, eight);
    await engine.writeStdin(quiet.id, eight);
    await expect(engine.writeStdin(quiet.id, Buffer.from('x'))).rejects.toMatchObject({ code: 'STDIN_FULL' });
    await expect(engine.writeStdin(quiet.id, Buffer.alloc(8 * 1024 * 1024 + 1))).rejects.toMatchObject({ code: 'STDIN_TOO_LARGE' });
    await engine.stop(quiet.id, { graceMs: 1000 });

    const closed = await startReady(engine, ['sh', '-c', 'echo ready; exec sleep 100']);
    await expect(engine.writeStdin(closed.id, Buffer.from('x'))).rejects.toMatchObject({ code: 'STDIN_CLOSED' });
    await engine.stop(closed.id, { graceMs: 1000 });

    const js = await engine.start({ prefix: 'side', kind: 'inline', name: 'js', code: 'await new Promise(() => {})' });
    await expect(engine.writeStdin(js.id, Buffer.from('x'))).rejects.toMatchObject({ code: 'NOT_A_COMMAND' });
    await engine.stop(js.id, { force: true });
    await expect(engine.writeStdin('side_1_00000000', Buffer.from('x'))).rejects.toMatchObject({ code: 'EXECUTION_NOT_FOUND' });
  });

  it('an unknown program: COMMAND_NOT_FOUND with the path tried', async () => {
    const byName = await engine.start(commandSpec(['no-such-program-sidex']));
    expect(byName.status).toBe('failed');
    expect(byName.error).toMatchObject({ code: 'COMMAND_NOT_FOUND', path: 'no-such-program-sidex' });
    expect(byName.error?.message).toContain('PATH');
    const byPath = await engine.start(commandSpec(['/usr/bin/no-such-program-sidex']));
    expect(byPath.error).toMatchObject({ code: 'COMMAND_NOT_FOUND', path: '/usr/bin/no-such-program-sidex' });
    expect(survivors(byPath.marker)).toEqual([]);
  });

  it('a file that is not executable: COMMAND_NOT_EXECUTABLE with the path tried; cwd is where it ran', async () => {
    const dir = fs.mkdtempSync(path.join(projectDir, 'cwd-'));
    fs.chmodSync(dir, 0o755);
    const readable = path.join(dir, 'script.sh');
    fs.writeFileSync(readable, '#!/bin/sh\necho hi\n', { mode: 0o644 });
    try {
      const refused = await engine.start(commandSpec(['./script.sh'], { cwd: dir }));
      expect(refused.status).toBe('failed');
      expect(refused.error).toMatchObject({ code: 'COMMAND_NOT_EXECUTABLE', path: readable });
      const pwd = await engine.wait((await engine.start(commandSpec(['pwd'], { cwd: dir }))).id);
      expect(pwd.stdout.text).toBe(`${dir}\n`);
      expect(pwd.source).toEqual({ type: 'command', argv: ['pwd'], cwd: dir });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a cwd outside the allowed roots: a sandbox does not see it (CWD_NOT_FOUND, not a missing program); process isolation runs there', async () => {
    const outside = tempDir();
    try {
      const started = await engine.start(commandSpec(['pwd'], { cwd: outside }));
      if (isolation === 'sandbox') {
        expect(started.status).toBe('failed');
        expect(started.error).toMatchObject({ code: 'CWD_NOT_FOUND', path: outside });
      } else {
        expect((await engine.wait(started.id)).stdout.text).toBe(`${outside}\n`);
      }
    } finally {
      fs.rmSync(outside, { recursive: true, force: true });
    }
  });

  it('the environment is built: the server\'s secrets never get in, the caller\'s variables do', async () => {
    process.env.SIDEX_TEST_SECRET_TOKEN = 'leak-me';
    try {
      const done = await engine.wait((await engine.start(commandSpec(['env'], { env: { MY_VAR: 'mine' } }))).id);
      expect(done.stdout.text).toContain('MY_VAR=mine\n');
      expect(done.stdout.text).toContain('SIDEX_EXECUTION_ID=');
      expect(done.stdout.text).toMatch(/^PATH=/m);
      expect(done.stdout.text).not.toContain('leak-me');
    } finally {
      delete process.env.SIDEX_TEST_SECRET_TOKEN;
    }
  });

  it('bad input is refused before anything starts, naming the field', async () => {
    const refused = async (spec: StartSpec) => engine.start(spec).then(() => undefined, (err: { code: string; details?: { field?: string } }) => [err.code, err.details?.field]);
    expect(await refused(commandSpec([]))).toEqual(['INVALID_ARGUMENT', 'command']);
    expect(await refused(commandSpec(['']))).toEqual(['INVALID_ARGUMENT', 'command[0]']);
    expect(await refused(commandSpec(['echo', 1 as unknown as string]))).toEqual(['INVALID_ARGUMENT', 'command[1]']);
    expect(await refused(commandSpec(['echo', 'a\0b']))).toEqual(['INVALID_ARGUMENT', 'command[1]']);
    expect(await refused(commandSpec(['pwd'], { cwd: 'relative/dir' }))).toEqual(['INVALID_ARGUMENT', 'cwd']);
    expect(await refused(commandSpec(['pwd'], { cwd: '/no/such/dir/sidex' }))).toEqual(['CWD_NOT_FOUND', 'cwd']);
    expect(await refused(commandSpec(['pwd'], { cwd: path.join(sidex.engine.logFiles('x').index, '..') }))).toEqual(['PATH_OUTSIDE_ROOTS', 'cwd']);
    expect(await refused(commandSpec(['cat'], { stdin: { data: Buffer.alloc(8 * 1024 * 1024 + 1) } }))).toEqual(['STDIN_TOO_LARGE', 'stdin']);
  });
});

describe('commands under Node\'s permission model', () => {
  const forbidden = makeSidex({ engine: { permissions: {} } });
  const allowed = makeSidex({ engine: { permissions: { allowChildProcess: true } } });

  it('are refused when child processes are not allowed: the model binds only JavaScript', async () => {
    await expect(forbidden.engine.start(commandSpec(['true']))).rejects.toMatchObject({ code: 'COMMANDS_FORBIDDEN', details: { field: 'command' } });
  });

  it('run when child processes are allowed', async () => {
    const done = await allowed.engine.wait((await allowed.engine.start(commandSpec(['/bin/echo', 'allowed']))).id);
    expect([done.status, done.stdout.text]).toEqual(['completed', 'allowed\n']);
  });
});

describe('commands in process: the Codebolt-shaped API and the dialect-free service', () => {
  const projectDir = tempDir();
  fs.writeFileSync(path.join(projectDir, 'data.txt'), 'in the project\n');
  const sidex = makeSidex({ projectDir, engine: { isolation: 'process' } });
  const api = sidex.sideExecution;

  it('startWithCommand, writeStdin with bytes, closeStdin and wait answer as the SDK does', async () => {
    const started = await api.startWithCommand(['cat', '-', 'data.txt'], { cwd: projectDir, stdin: { data: Uint8Array.from([0x6f, 0x6e, 0x65, 0x0a]), open: true } });
    expect(started).toMatchObject({ type: 'startSideExecutionResponse', success: true, status: 'running' });
    const id = (started as { sideExecutionId: string }).sideExecutionId;
    expect(await api.writeStdin(id, Buffer.from([0xff, 0x0a]))).toMatchObject({ type: 'writeSideExecutionStdinResponse', success: true, sideExecutionId: id, written: 2, stdinOpen: true });
    expect(await api.writeStdin(id, 'dGhyZWUK', { encoding: 'base64' })).toMatchObject({ success: true, written: 6 });
    expect(await api.closeStdin(id)).toMatchObject({ success: true, written: 0, stdinOpen: false });
    const done = await api.wait(id);
    expect(done).toMatchObject({ success: true, status: 'completed', command: ['cat', '-', 'data.txt'], exitCode: 0 });
    const parts: Buffer[] = [];
    for await (const frame of sidex.services.sideExecution.logBytes(id)) parts.push(frame.data);
    const bytes = Buffer.concat(parts);
    expect(bytes.equals(Buffer.from('one\n\xff\nthree\nin the project\n', 'latin1'))).toBe(true);
  });

  it('the one start takes a command; bad fields are refused under their wire names, nothing started', async () => {
    const before = (await sidex.services.sideExecution.list({})).items.length;
    const refusals: Array<[Promise<Record<string, any>>, string]> = [
      [api.start({ command: ['true'], inlineCode: 'return 1' }), 'command'],
      [api.start({ inlineCode: 'return 1', cwd: projectDir }), 'cwd'],
      [api.start({ actionBlockPath: 'x', stdin: 'hi' }), 'stdin'],
      [api.start({ command: 'ls' }), 'command'],
      [api.startWithCommand(['echo', 1]), 'command[1]'],
      [api.startWithCommand(['']), 'command[0]'],
      [api.startWithCommand(['cat'], { env: { A: 1 } }), 'env.A'],
      [api.startWithCommand(['cat'], { stdin: { data: '%%', encoding: 'base64' } }), 'stdin.data'],
      [api.startWithCommand(['cat'], { memoryLimitMb: 'lots' }), 'options.memoryLimitMb'],
      [api.writeStdin('side_1_00000000', 'x', { encoding: 'base64' }), 'data'],
      [api.writeStdin('side_1_00000000', 'x', { close: 'yes' }), 'close'],
      [api.writeStdin(42, 'x'), 'sideExecutionId'],
    ];
    for (const [reply, field] of refusals) {
      const got = await reply;
      expect(got, field).toMatchObject({ success: false, details: { field } });
      expect(got.error, field).toMatch(new RegExp(`^${field.replace(/[.[\]]/g, '\\$&')}: `));
    }
    expect((await sidex.services.sideExecution.list({})).items.length).toBe(before);
  });

  it('services.commands takes typed input, gives records and results, and throws SidexError', async () => {
    const record = await sidex.services.commands.start({ command: ['no-such-program-sidex'] });
    expect(record).toMatchObject({ status: 'failed', kind: 'command', error: { code: 'COMMAND_NOT_FOUND', path: 'no-such-program-sidex' } });
    await expect(sidex.services.commands.start({ command: ['pwd'], cwd: '/etc' })).rejects.toMatchObject({ code: 'PATH_OUTSIDE_ROOTS' });
    await expect(sidex.services.commands.writeStdin({ sideExecutionId: 'side_1_00000000', data: Buffer.from('x'), close: false })).rejects.toMatchObject({
      code: 'EXECUTION_NOT_FOUND',
    });
    const ran = await sidex.services.commands.start({ command: ['cat'], stdin: { data: Buffer.from('in'), open: true } });
    expect(await sidex.services.commands.writeStdin({ sideExecutionId: ran.id, data: Buffer.alloc(0), close: true })).toEqual({ sideExecutionId: ran.id, written: 0, pendingBytes: 0, stdinOpen: false });
    expect((await sidex.services.sideExecution.wait(ran.id)).stdout.text).toBe('in');
  });
});
