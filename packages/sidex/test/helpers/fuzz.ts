import fc from 'fast-check';

// Non-finite numbers are left out: JSON turns them into null, which means "absent".
export const wrongType = fc.oneof(fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.boolean(), fc.array(fc.integer(), { maxLength: 3 }), fc.object({ maxDepth: 1 }));

/** Text that is not a JSON object: not JSON at all, or another JSON value. */
export const notJsonObject = fc.string({ maxLength: 200 }).filter((s) => {
  try {
    const v: unknown = JSON.parse(s);
    return typeof v !== 'object' || v === null || Array.isArray(v);
  } catch {
    return true;
  }
});

export const CODEBOLT_TYPES = ['sideExecution', 'actionBlock'];
const requestId = fc.option(fc.oneof(fc.string({ maxLength: 20 }), fc.integer()), { nil: undefined });

/** /codebolt frames that are wrong in one way or another, as text or bytes: each must get one error reply. */
export const codeboltBadFrame = fc.oneof(
  // text that is not a JSON object
  notJsonObject,
  // JSON values other than objects
  fc.jsonValue({ maxDepth: 2 }).filter((v) => typeof v !== 'object' || v === null || Array.isArray(v)).map((v) => JSON.stringify(v)),
  // random bytes
  fc.uint8Array({ minLength: 1, maxLength: 64 }).map((bytes) => Buffer.from(bytes)),
  // an envelope with a missing or unknown type
  fc.record({ type: fc.oneof(fc.string({ maxLength: 20 }).filter((t) => !CODEBOLT_TYPES.includes(t)), wrongType), action: fc.string(), requestId }, { requiredKeys: ['type'] }),
  // a known type with an unknown action
  fc.record({
    type: fc.constantFrom(...CODEBOLT_TYPES),
    action: fc.string({ maxLength: 30 }).filter((a) => !/^(start|stop|get|list|subscribe|unsubscribe)/.test(a)),
    requestId,
  }),
  // a known action with a field of the wrong type
  fc.oneof(
    fc.record({ type: fc.constant('sideExecution'), action: fc.constant('startSideExecution'), inlineCode: wrongType, requestId }),
    fc.record({ type: fc.constant('sideExecution'), action: fc.constant('startSideExecution'), actionBlockPath: wrongType, requestId }),
    fc.record({ type: fc.constant('sideExecution'), action: fc.constant('startSideExecution'), inlineCode: fc.constant('return 1'), params: fc.oneof(fc.integer(), fc.string(), fc.array(fc.integer())), requestId }),
    fc.record({ type: fc.constant('sideExecution'), action: fc.constant('startSideExecution'), inlineCode: fc.constant('return 1'), timeout: fc.oneof(fc.string(), fc.constant(-1), fc.boolean()), requestId }),
    fc.record({ type: fc.constant('sideExecution'), action: fc.constantFrom('getSideExecutionStatus', 'stopSideExecution', 'subscribe', 'unsubscribe'), sideExecutionId: wrongType, requestId }),
    fc.record({ type: fc.constant('sideExecution'), action: fc.constant('listActionBlocks'), projectPath: wrongType, requestId }),
    fc.record({ type: fc.constant('sideExecution'), action: fc.constant('listSideExecutions'), filter: fc.record({ limit: fc.oneof(fc.string(), fc.constant(0), fc.constant(1.5)) }), requestId }),
    fc.record({ type: fc.constant('actionBlock'), action: fc.constantFrom('getActionBlockDetail', 'startActionBlock'), actionBlockName: wrongType, requestId }),
    fc.record({ type: fc.constant('actionBlock'), action: fc.constant('listActionBlocks'), filterType: fc.oneof(wrongType, fc.string().filter((s) => !['filesystem', 'runtime', 'builtin'].includes(s))), requestId }),
  ),
);

export const DAP_COMMANDS = ['execute', 'terminate', 'restart', 'rrext_get_task_status', 'rrext_process', 'rrext_monitor', 'rrext_validate', 'rrext_ping', 'deauth'];
const badSeq = fc.oneof(fc.string({ maxLength: 10 }), fc.double({ noNaN: true, noDefaultInfinity: true }).filter((n) => !Number.isInteger(n)), fc.integer({ max: -1 }), fc.boolean(), fc.constant(null));
const seq = fc.integer({ min: 1_000_000, max: 2_000_000 });
const tooLong = (n: number) => fc.constant('x'.repeat(n));
/** Nested arrays or objects, deeper than the limit. */
const deep = fc.integer({ min: 65, max: 5000 }).chain((depth) => fc.constantFrom(`${'['.repeat(depth)}${']'.repeat(depth)}`, `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`));

/** /task/service frames wrong in one way or another, as text or as binary frames (all under 5 MB): each must get one error response. */
export const dapBadFrames = [
  // text that is not a JSON object
  notJsonObject,
  // random bytes, with or without a newline (a header that is not JSON)
  fc.uint8Array({ minLength: 1, maxLength: 64 }).map((bytes) => Buffer.from(bytes)),
  fc.tuple(fc.uint8Array({ minLength: 1, maxLength: 32 }), fc.uint8Array({ maxLength: 32 })).map(([h, d]) => Buffer.concat([Buffer.from(h.filter((b) => b !== 10)), Buffer.from('\n'), Buffer.from(d)])),
  // envelopes with a wrong type, seq, command or arguments
  fc.record({ type: fc.oneof(fc.constantFrom('response', 'event', 'Request', ''), wrongType), seq, command: fc.constantFrom(...DAP_COMMANDS) }),
  fc.record({ type: fc.constant('request'), seq: badSeq, command: fc.constantFrom(...DAP_COMMANDS) }, { requiredKeys: ['type', 'command'] }),
  fc.record({ type: fc.constant('request'), seq, command: fc.oneof(wrongType, fc.constant(''), tooLong(101)) }, { requiredKeys: ['type', 'seq'] }),
  fc.record({ type: fc.constant('request'), seq, command: fc.string({ maxLength: 30 }).filter((c) => !DAP_COMMANDS.includes(c) && c !== 'auth' && !c.startsWith('rrext_public_') && c.length > 0) }),
  fc.record({ type: fc.constant('request'), seq, command: fc.constantFrom(...DAP_COMMANDS), arguments: fc.oneof(fc.integer(), fc.string(), fc.array(fc.integer()), fc.boolean()) }),
  // deep nesting and oversize values
  fc.record({ type: fc.constant('request'), seq, command: fc.constantFrom(...DAP_COMMANDS) }).chain((env) => deep.map((d) => `{"type":"request","seq":${env.seq},"command":"${env.command}","arguments":{"x":${d}}}`)),
  fc.record({ type: fc.constant('request'), seq, command: fc.constantFrom('rrext_get_task_status', 'terminate', 'rrext_monitor'), token: tooLong(201) }),
  fc.record({ type: fc.constant('request'), seq, command: fc.constant('rrext_process'), arguments: fc.record({ subcommand: fc.constant('open'), token: fc.constant('tk_x'), mimeType: tooLong(201) }) }),
  // known commands with arguments of the wrong type
  fc.record({ type: fc.constant('request'), seq, command: fc.constant('execute'), arguments: fc.record({ pipeline: fc.oneof(wrongType, fc.constant('pipeline')), threads: fc.oneof(fc.string(), fc.constant(0), fc.constant(1.5)) }, { requiredKeys: [] }) }),
  fc.record({ type: fc.constant('request'), seq, command: fc.constantFrom('terminate', 'rrext_get_task_status'), arguments: fc.record({ token: fc.oneof(wrongType, fc.constant('tk bad'), fc.constant('')), drainMs: fc.oneof(fc.string(), fc.constant(-1)) }, { requiredKeys: ['token'] }) }),
  fc.record({ type: fc.constant('request'), seq, command: fc.constant('rrext_process'), arguments: fc.record({ subcommand: fc.oneof(fc.constantFrom('open', 'write', 'close', 'abandon', 'eat'), wrongType), token: fc.oneof(fc.constant('tk_none'), wrongType), pipe_id: fc.oneof(fc.string(), fc.constant(0), fc.constant(-3)) }) }),
  fc.record({ type: fc.constant('request'), seq, command: fc.constant('rrext_monitor'), arguments: fc.record({ token: fc.oneof(fc.constant('tk_none'), wrongType), types: fc.oneof(wrongType, fc.constant(['NOPE'])) }) }),
  fc.record({ type: fc.constant('request'), seq, command: fc.constant('rrext_validate'), arguments: fc.record({ pipeline: fc.constant({ components: [] }), source: wrongType }) }),
];

/** A JSON part just over the 5 MB limit: an error response, the connection stays usable. */
export const dapOversize = fc.constant('oversize').map(() => `{"type":"request","seq":1,"command":"rrext_ping","arguments":{"pad":"${'p'.repeat(5 * 1024 * 1024)}"}}`);

export const dapBadFrame = fc.oneof(...dapBadFrames, dapOversize);
