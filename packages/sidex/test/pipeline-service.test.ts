// The typed PipelineService (sidex.services.pipelines), which every edge of the
// pipeline dialect calls once it has parsed a request: the tasks it runs are the
// ones sidex.pipelines sees, and the checks that need its limits or its tasks
// stay its own, naming the field.
import { describe, expect, it } from 'vitest';
import { MemoryStore } from '../dist/index.js';
import { codeChain } from './fixtures/pipelines.js';
import { rejection } from './helpers/pipelines.js';
import { makeSidex } from './helpers/sidex.js';

const sidex = makeSidex({ store: new MemoryStore(), pipelines: { maxThreads: 2, maxItemBytes: 64 } });
const service = sidex.services.pipelines;

describe('the typed pipeline service', () => {
  it('use, send, process, status and terminate with typed inputs, on the tasks sidex.pipelines sees', async () => {
    const { token } = await service.use({ pipeline: codeChain('return input.toUpperCase()'), threads: 2 });
    expect(await sidex.pipelines.getTaskStatus(token)).toMatchObject({ token, completed: false });
    expect((await service.getTasks()).tasks.map((t) => t.token)).toContain(token);
    expect(await service.send(token, 'abc', { name: 'one' })).toMatchObject({ name: 'one', text: ['ABC\n\n'] });
    const { pipe_id } = (await service.process({ subcommand: 'open', token, object: { name: 'two' } })) as { pipe_id: number };
    await service.process({ subcommand: 'write', token, pipe_id, data: new TextEncoder().encode('bytes') });
    expect(await service.process({ subcommand: 'close', token, pipe_id })).toMatchObject({ name: 'two', text: ['BYTES\n\n'] });
    expect(await service.terminate({ token })).toEqual({});
    expect(await service.getTaskStatus({ token })).toMatchObject({ token, completed: true, status: 'Stopped' });
  });

  it('refuses what its limits and its tasks do not allow, naming the field', async () => {
    expect(await rejection(service.use({ pipeline: codeChain('return input'), threads: 3 }))).toMatchObject({ code: 'INVALID_THREADS', message: 'threads: must be at most 2', details: { field: 'threads' } });
    expect(await rejection(service.use({ pipeline: { components: [] } }))).toMatchObject({ code: 'INVALID_PIPELINE', details: { field: 'pipeline' } });
    const { token } = await service.use({ pipeline: codeChain('return input') });
    expect(await rejection(service.send(token, 'x'.repeat(65)))).toMatchObject({ code: 'ITEM_TOO_LARGE', message: 'data: 65 bytes exceeds the limit of 64 bytes', details: { field: 'data', limit: 64 } });
    await service.terminate({ token });
    expect(await rejection(service.send(token, 'x'))).toMatchObject({ code: 'TASK_NOT_RUNNING' });
    expect(await rejection(service.terminate({ token: 'tk_never' }))).toMatchObject({ code: 'TASK_NOT_FOUND' });
    expect(() => service.services({ service: 'nope' })).toThrow(expect.objectContaining({ code: 'SERVICE_NOT_FOUND' }));
  });

  it('sidex.pipelines parses what the service takes typed: rrext_services and monitor arguments', async () => {
    for (const service of [5, '']) {
      expect(() => sidex.pipelines.services({ service })).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT', message: 'service: is required: a service name (as rrext_services without it lists them)', details: { field: 'service' } }));
    }
    expect(sidex.pipelines.services({ service: null })).toMatchObject({ version: 1 });
    expect(await rejection(sidex.pipelines.monitor({ token: '*', types: ['SUMMARY'] }, 'not a function' as never))).toMatchObject({ code: 'INVALID_ARGUMENT', message: 'listener: must be a function' });
    expect(await rejection(sidex.pipelines.monitor({ token: '*', types: {} }, () => {}))).toMatchObject({ code: 'INVALID_EVENT_TYPES', details: { field: 'types' } });
  });
});
