// Field names in errors (issue 14 item 8): every validation error names the
// field as the caller sent it on the wire (its message begins with it, and
// details.field carries it): Codebolt's flat frame fields, REST's body, path
// and query names. One bad field per operation, against a real `sidex serve`,
// with raw frames as Codebolt's SDK sends them and through @sidex/client/codebolt.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCodeboltCalls, type ProgramCall } from './helpers/codebolt-program.js';
import { RawSocket } from './helpers/raw-ws.js';
import { api, startTestServer, writeBlock } from './helpers/server.js';

const server = await startTestServer({
  project: (dir) => {
    writeBlock(dir, 'quick', 'module.exports = async () => 1;\n');
    const skill = path.join(dir, '.codebolt', 'capabilities', 'skill', 'greeter');
    fs.mkdirSync(skill, { recursive: true });
    fs.writeFileSync(path.join(skill, 'capability.yaml'), 'name: greeter\ntype: skill\ninputs:\n  - name: who\n    type: string\n');
    fs.writeFileSync(path.join(skill, 'index.js'), 'module.exports = async (params) => `hi ${params.who}`;\n');
  },
});
const query = new URLSearchParams({ id: 'ws_fields', threadToken: server.apiKey, SOCKET_PORT: new URL(server.url).port });
const socket = await RawSocket.open(`${server.wsUrl}?${query}`, undefined);
afterAll(() => socket.close());

const ID = 'side_1_00000000';
const CAP = 'cap_1_00000000';
const LONG_ID = 'x'.repeat(201);
const code = 'return 1';

const escaped = (field: string) => field.replace(/[.[\]]/g, '\\$&');

/** Every validation failure: its message names the wire field (`field: what is wrong`), and so does details.field. */
function expectNamed(reply: Record<string, any>, field: string, type: string): void {
  expect(reply).toMatchObject({ type, success: false });
  expect(reply.error).toMatch(new RegExp(`(^|: )${escaped(field)}(:|\\[)`));
  expect(reply.details?.field, JSON.stringify(reply.details)).toBe(field);
}

const executionCount = async () => Object.values((await api(server, '/v1/executions/counts').then((r) => r.json()) as { counts: Record<string, number> }).counts).reduce((a, b) => a + b, 0);

// [type, action, the frame's fields, the field its error must name]
const codebolt: Array<[string, string, Record<string, unknown>, string]> = [
  ['sideExecution', 'startSideExecution', {}, 'inlineCode'],
  ['sideExecution', 'startSideExecution', { inlineCode: 42 }, 'inlineCode'],
  ['sideExecution', 'startSideExecution', { inlineCode: '  ' }, 'inlineCode'],
  ['sideExecution', 'startSideExecution', { actionBlockPath: 5 }, 'actionBlockPath'],
  ['sideExecution', 'startSideExecution', { inlineCode: code, params: 'x' }, 'params'],
  ['sideExecution', 'startSideExecution', { inlineCode: code, timeout: 'soon' }, 'timeout'],
  ['sideExecution', 'startSideExecution', { inlineCode: code, timeout: -1 }, 'timeout'],
  ['sideExecution', 'startSideExecution', { inlineCode: code, options: 'fast' }, 'options'],
  ['sideExecution', 'startSideExecution', { inlineCode: code, options: { memoryLimitMb: 'lots' } }, 'options.memoryLimitMb'],
  ['sideExecution', 'startSideExecution', { inlineCode: code, options: { pidsLimit: 1 } }, 'options.pidsLimit'],
  ['sideExecution', 'startSideExecution', { inlineCode: code, options: { colour: 'red' } }, 'options.colour'],
  ['sideExecution', 'startSideExecution', { inlineCode: code, options: { network: { allow: ['not a host!'] } } }, 'options.network.allow'],
  ['sideExecution', 'startSideExecution', { actionBlockPath: 'quick', options: { threadId: 7 } }, 'options.threadId'],
  ['sideExecution', 'startSideExecution', { command: 'ls' }, 'command'],
  ['sideExecution', 'startSideExecution', { command: [] }, 'command'],
  ['sideExecution', 'startSideExecution', { command: ['echo', 3] }, 'command[1]'],
  ['sideExecution', 'startSideExecution', { command: [''] }, 'command[0]'],
  ['sideExecution', 'startSideExecution', { command: ['true'], inlineCode: code }, 'command'],
  ['sideExecution', 'startSideExecution', { command: ['true'], cwd: 5 }, 'cwd'],
  ['sideExecution', 'startSideExecution', { command: ['true'], env: 'A=1' }, 'env'],
  ['sideExecution', 'startSideExecution', { command: ['true'], env: { X: 1 } }, 'env.X'],
  ['sideExecution', 'startSideExecution', { command: ['cat'], stdin: 42 }, 'stdin'],
  ['sideExecution', 'startSideExecution', { command: ['cat'], stdin: { data: '%%', encoding: 'base64' } }, 'stdin.data'],
  ['sideExecution', 'startSideExecution', { command: ['true'], timeout: -1 }, 'timeout'],
  ['sideExecution', 'startSideExecution', { command: ['true'], options: { pidsLimit: 1 } }, 'options.pidsLimit'],
  ['sideExecution', 'startSideExecution', { inlineCode: code, cwd: '/tmp' }, 'cwd'],
  ['sideExecution', 'startSideExecution', { command: ['true'], options: { filename: 'x.js' } }, 'options.filename'],
  ['sideExecution', 'writeSideExecutionStdin', { data: 'x' }, 'sideExecutionId'],
  ['sideExecution', 'writeSideExecutionStdin', { sideExecutionId: ID, data: 5 }, 'data'],
  ['sideExecution', 'writeSideExecutionStdin', { sideExecutionId: ID, data: '%%', encoding: 'base64' }, 'data'],
  ['sideExecution', 'writeSideExecutionStdin', { sideExecutionId: ID, data: 'x', encoding: 'hex' }, 'encoding'],
  ['sideExecution', 'writeSideExecutionStdin', { sideExecutionId: ID, close: 'yes' }, 'close'],
  ['sideExecution', 'stopSideExecution', {}, 'sideExecutionId'],
  ['sideExecution', 'stopSideExecution', { sideExecutionId: ID, graceMs: -1 }, 'graceMs'],
  ['sideExecution', 'stopSideExecution', { sideExecutionId: ID, force: 'yes' }, 'force'],
  ['sideExecution', 'getSideExecutionStatus', { sideExecutionId: 7 }, 'sideExecutionId'],
  ['sideExecution', 'listActionBlocks', { projectPath: 42 }, 'projectPath'],
  ['sideExecution', 'listSideExecutions', { filter: { status: 'sleeping' } }, 'filter.status'],
  ['sideExecution', 'listSideExecutions', { filter: { limit: 0 } }, 'filter.limit'],
  ['sideExecution', 'listSideExecutions', { filter: 'all' }, 'filter'],
  ['sideExecution', 'getSideExecutionEvents', { sideExecutionId: '' }, 'sideExecutionId'],
  ['sideExecution', 'getSideExecutionEvents', { sideExecutionId: ID, after: -1 }, 'after'],
  ['sideExecution', 'getSideExecutionEvents', { sideExecutionId: ID, limit: 0.5 }, 'limit'],
  ['sideExecution', 'resumeSideExecution', { sideExecutionId: LONG_ID }, 'sideExecutionId'],
  ['sideExecution', 'subscribe', { sideExecutionId: 5 }, 'sideExecutionId'],
  ['sideExecution', 'unsubscribe', { sideExecutionId: 5 }, 'sideExecutionId'],
  ['actionBlock', 'listActionBlocks', { filterType: 'nope' }, 'filterType'],
  ['actionBlock', 'getActionBlockDetail', {}, 'actionBlockName'],
  ['actionBlock', 'startActionBlock', { actionBlockName: 3 }, 'actionBlockName'],
  ['actionBlock', 'startActionBlock', { actionBlockName: 'quick', params: [1] }, 'params'],
  ['capability', 'listCapabilities', { filter: { type: 'spell' } }, 'filter.type'],
  ['capability', 'listCapabilities', { filter: { tags: 'ci' } }, 'filter.tags'],
  ['capability', 'getCapabilityDetail', { capabilityName: 5 }, 'capabilityName'],
  ['capability', 'getCapabilityDetail', { capabilityName: 'greeter', capabilityType: 'spell' }, 'capabilityType'],
  ['capability', 'startCapability', { capabilityName: 'greeter' }, 'capabilityType'],
  ['capability', 'startCapability', { capabilityName: '', capabilityType: 'skill' }, 'capabilityName'],
  ['capability', 'startCapability', { capabilityName: 'greeter', capabilityType: 'skill', params: { who: 5 } }, 'params.who'],
  ['capability', 'startCapability', { capabilityName: 'greeter', capabilityType: 'skill', timeout: Number.MAX_VALUE }, 'timeout'],
  ['capability', 'startCapability', { capabilityName: 'greeter', capabilityType: 'skill', options: { cpuLimit: 0 } }, 'options.cpuLimit'],
  ['capability', 'stopCapability', {}, 'executionId'],
  ['capability', 'stopCapability', { executionId: CAP, graceMs: 'later' }, 'graceMs'],
  ['capability', 'getExecutionStatus', { executionId: 42 }, 'executionId'],
  ['capability', 'resumeCapability', { executionId: '' }, 'executionId'],
];

describe('Codebolt raw frames: the error names the frame field', () => {
  it.each(codebolt)('%s.%s %j names %s', async (type, action, fields, field) => {
    const before = await executionCount();
    const reply = await socket.request({ type, action, ...fields });
    expectNamed(reply, field, `${action}Response`);
    expect(await executionCount()).toBe(before);
  });
});

// [method, route, body, the field its error must name]. Path parameters (ids,
// names) are strings by nature and Fastify refuses one too long for any id
// (414) before it is parsed: they have no row.
const rest: Array<[string, string, unknown, string]> = [
  ['POST', '/v1/executions', {}, 'inlineCode'],
  ['POST', '/v1/executions', { inlineCode: 42 }, 'inlineCode'],
  ['POST', '/v1/executions', { actionBlockPath: '' }, 'actionBlockPath'],
  ['POST', '/v1/executions', { inlineCode: code, params: 'x' }, 'params'],
  ['POST', '/v1/executions', { inlineCode: code, timeout: -1 }, 'timeout'],
  ['POST', '/v1/executions', { inlineCode: code, options: { outputLimitMb: -1 } }, 'options.outputLimitMb'],
  ['POST', '/v1/executions', { inlineCode: code, options: { network: { allow: ['not a host!'] } } }, 'options.network.allow'],
  ['POST', '/v1/executions', { inlineCode: code, extra: 1 }, 'extra'],
  ['POST', '/v1/executions', { command: 'ls' }, 'command'],
  ['POST', '/v1/executions', { command: ['echo', 3] }, 'command[1]'],
  ['POST', '/v1/executions', { command: ['true'], actionBlockPath: 'quick' }, 'command'],
  ['POST', '/v1/executions', { command: ['true'], cwd: '' }, 'cwd'],
  ['POST', '/v1/executions', { command: ['true'], env: { X: 1 } }, 'env.X'],
  ['POST', '/v1/executions', { command: ['cat'], stdin: { data: '%%', encoding: 'base64' } }, 'stdin.data'],
  ['POST', '/v1/executions', { command: ['cat'], stdin: { open: 'yes' } }, 'stdin'],
  ['POST', '/v1/executions', { inlineCode: code, stdin: 'x' }, 'stdin'],
  ['POST', `/v1/executions/${ID}/stdin`, { data: 5 }, 'data'],
  ['POST', `/v1/executions/${ID}/stdin`, { data: '%%', encoding: 'base64' }, 'data'],
  ['POST', `/v1/executions/${ID}/stdin`, { data: 'x', encoding: 'hex' }, 'encoding'],
  ['POST', `/v1/executions/${ID}/stdin`, { close: 'yes' }, 'close'],
  ['POST', `/v1/executions/${ID}/stdin`, { data: 'x', colour: 'red' }, 'colour'],
  ['GET', `/v1/executions/${ID}/logs?encoding=hex`, undefined, 'encoding'],
  ['GET', `/v1/executions/${ID}/logs?format=text`, undefined, 'format'],
  ['GET', `/v1/executions/${ID}/logs?stream=both`, undefined, 'stream'],
  ['GET', '/v1/executions?status=sleeping', undefined, 'status'],
  ['GET', '/v1/executions?limit=0', undefined, 'limit'],
  ['GET', '/v1/executions?kind=other', undefined, 'kind'],
  ['GET', '/v1/executions?colour=red', undefined, 'colour'],
  ['POST', `/v1/executions/${ID}/stop`, { graceMs: -1 }, 'graceMs'],
  ['POST', `/v1/executions/${ID}/stop`, { force: 'yes' }, 'force'],
  ['GET', `/v1/executions/${ID}/events?after=-1`, undefined, 'after'],
  ['GET', `/v1/executions/${ID}/events?limit=0`, undefined, 'limit'],
  ['GET', `/v1/executions/${ID}/logs?follow=maybe`, undefined, 'follow'],
  ['GET', '/v1/action-blocks?filterType=nope', undefined, 'filterType'],
  ['POST', '/v1/action-blocks/quick/start', { params: 'x' }, 'params'],
  ['GET', '/v1/capabilities?type=spell', undefined, 'type'],
  ['GET', '/v1/capabilities/greeter?type=spell', undefined, 'type'],
  ['POST', '/v1/capabilities/greeter/start', {}, 'type'],
  ['POST', '/v1/capabilities/greeter/start', { type: 'skill', params: { who: 5 } }, 'params.who'],
  ['POST', '/v1/capabilities/greeter/start', { type: 'skill', options: { graceMs: -1 } }, 'options.graceMs'],
  ['POST', `/v1/capability-executions/${CAP}/stop`, { graceMs: -1 }, 'graceMs'],
];

describe('REST: the error names the body, path or query field', () => {
  it.each(rest)('%s %s %j names %s', async (method, route, body, field) => {
    const before = await executionCount();
    const res = await api(server, route, { method, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
    expect(res.status).toBe(400);
    const reply = (await res.json()) as Record<string, any>;
    expect(reply.type).toMatch(/Response$/);
    expectNamed(reply, field, reply.type);
    expect(await executionCount()).toBe(before);
  });
});

describe('@sidex/client/codebolt: the error names the field the SDK sent', () => {
  const calls: Array<[ProgramCall, string, string]> = [
    [['sideExecution', 'stop'], 'sideExecutionId', 'stopSideExecutionResponse'],
    [['sideExecution', 'stop', ID, { graceMs: -1 }], 'graceMs', 'stopSideExecutionResponse'],
    [['sideExecution', 'getStatus', 5], 'sideExecutionId', 'getSideExecutionStatusResponse'],
    [['sideExecution', 'startWithCode', ''], 'inlineCode', 'startSideExecutionResponse'],
    [['sideExecution', 'startWithCode', code, {}, -5], 'timeout', 'startSideExecutionResponse'],
    [['sideExecution', 'startWithActionBlock', 'quick', 'x'], 'params', 'startSideExecutionResponse'],
    [['sideExecution', 'events', ID, { after: -1 }], 'after', 'getSideExecutionEventsResponse'],
    [['sideExecution', 'list', { status: 'sleeping' }], 'filter.status', 'listSideExecutionsResponse'],
    [['sideExecution', 'startWithCommand', ['echo', 3]], 'command[1]', 'startSideExecutionResponse'],
    [['sideExecution', 'startWithCommand', ['true'], { cwd: 7 }], 'cwd', 'startSideExecutionResponse'],
    [['sideExecution', 'startWithCommand', ['true'], { env: { X: 1 } }], 'env.X', 'startSideExecutionResponse'],
    [['sideExecution', 'startWithCommand', ['true'], { memoryLimitMb: 'lots' }], 'options.memoryLimitMb', 'startSideExecutionResponse'],
    [['sideExecution', 'closeStdin'], 'sideExecutionId', 'writeSideExecutionStdinResponse'],
    [['actionBlock', 'getDetail'], 'actionBlockName', 'getActionBlockDetailResponse'],
    [['actionBlock', 'list', 'nope'], 'filterType', 'listActionBlocksResponse'],
    [['capability', 'startCapability', 'greeter'], 'capabilityType', 'startCapabilityResponse'],
    [['capability', 'startSkill', 'greeter', { who: 5 }], 'params.who', 'startCapabilityResponse'],
    [['capability', 'stopCapability'], 'executionId', 'stopCapabilityResponse'],
    [['capability', 'getCapabilityDetail', 'greeter', 'spell'], 'capabilityType', 'getCapabilityDetailResponse'],
    [['capability', 'getCapabilitiesByTag', 7], 'filter.tags[0]', 'listCapabilitiesResponse'],
  ];

  it('every call answers success: false naming its wire field; nothing starts', async () => {
    const before = await executionCount();
    const replies = await runCodeboltCalls(server, calls.map(([call]) => call));
    replies.forEach((reply, i) => {
      const [call, field, type] = calls[i]!;
      expect(reply.success, JSON.stringify(call)).toBe(false);
      expectNamed(reply, field, type);
    });
    expect(await executionCount()).toBe(before);
  });
});
