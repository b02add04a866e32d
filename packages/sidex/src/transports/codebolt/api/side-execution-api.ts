import { stdinField, wireBytes, type StdinInput } from '@sidex/protocol/frames';
import type { CommandReplies } from '../../replies/command-replies.js';
import type { SideExecutionReplies } from '../../replies/side-execution-replies.js';
import type { ServiceEvent } from '../../../services/side-execution-service.js';
import type { EngineEvents } from '../../../engine/engine.js';
import { parseInput } from '../../../model/validation.js';
import { startSource } from '../../../services/schemas.js';
import { fail } from '../../replies/envelope.js';
import { withCaller, type Caller } from '../caller.js';
import {
  EventsFields,
  ListFields,
  OptionalSideExecutionIdField,
  ProjectPathField,
  SideExecutionIdField,
  StartCommandFields,
  StartWithBlockFields,
  StartWithCodeFields,
  StopSideExecutionFields,
  WriteStdinFields,
} from '../inputs.js';
import { flat } from './flat.js';
import { parsed } from './parsed.js';

const START = 'startSideExecutionResponse';

/**
 * `codebolt.sideExecution` in process, and what a `/codebolt` connection
 * calls for its frames: the SDK's methods, with its argument names and
 * orders. Arguments are parsed here, under the names the SDK sends them;
 * replies are Codebolt's envelopes; nothing throws.
 */
export class SideExecutionApi {
  constructor(
    private readonly replies: SideExecutionReplies,
    private readonly commands: CommandReplies,
    /** Who calls: the defaults of every start's thread and agent options. */
    private readonly caller: Caller = {},
  ) {}

  startWithCode(inlineCode: unknown, params?: unknown, timeout?: unknown, options?: unknown) {
    return parsed(START, StartWithCodeFields, () => ({ inlineCode, params, timeout, options }), ({ inlineCode: code, ...rest }) =>
      this.replies.start({ code, ...rest, options: withCaller(rest.options, this.caller) }),
    );
  }

  startWithActionBlock(actionBlockPath: unknown, params?: unknown, timeout?: unknown, options?: unknown) {
    return parsed(START, StartWithBlockFields, () => ({ actionBlockPath, params, timeout, options }), ({ actionBlockPath: blockPath, ...rest }) =>
      this.replies.start({ blockPath, ...rest, options: withCaller(rest.options, this.caller) }),
    );
  }

  /**
   * Runs a program (argv executed directly, no shell) as an execution, as the
   * SDK's startWithCommand does (a sidex extension): `options` holds cwd, env,
   * stdin and timeout beside the start options, which go under `options` on
   * the frame. Answers once it has been exec'd, or could not be.
   */
  startWithCommand(command: unknown, options?: unknown) {
    return this.startCommand(() => commandFrame(command, options));
  }

  /** The dialect's one start (`startSideExecution`): a command, inline code or an action block path, exactly one of them. */
  start(fields: { command?: unknown; inlineCode?: unknown; actionBlockPath?: unknown; cwd?: unknown; env?: unknown; stdin?: unknown; params?: unknown; timeout?: unknown; options?: unknown }) {
    let source: ReturnType<typeof startSource>;
    try {
      source = startSource(fields);
    } catch (err) {
      return Promise.resolve(fail(START, err));
    }
    if (source === 'command') return this.startCommand(() => fields);
    return source === 'inlineCode'
      ? this.startWithCode(fields.inlineCode, fields.params, fields.timeout, fields.options)
      : this.startWithActionBlock(fields.actionBlockPath, fields.params, fields.timeout, fields.options);
  }

  /** Writes to a running command's open stdin (`writeSideExecutionStdin`); `options.close` ends it after the bytes, `options.encoding` says how text `data` is (utf8, base64). */
  writeStdin(sideExecutionId: unknown, data?: unknown, options?: unknown) {
    const bytes = data instanceof Uint8Array ? wireBytes(data) : { data };
    return parsed('writeSideExecutionStdinResponse', WriteStdinFields, () => ({ ...flat(options, 'close, encoding'), ...bytes, sideExecutionId }), (input) => this.commands.writeStdin(input), { sideExecutionId });
  }

  /** Ends a running command's stdin: the program reads end of file. */
  closeStdin(sideExecutionId: unknown) {
    return this.writeStdin(sideExecutionId, undefined, { close: true });
  }

  resume(sideExecutionId: unknown) {
    return this.byId('resumeSideExecutionResponse', sideExecutionId, (id) => this.replies.resume(id));
  }

  getStatus(sideExecutionId: unknown) {
    return this.byId('getSideExecutionStatusResponse', sideExecutionId, (id) => this.replies.getStatus(id));
  }

  /** The stop protocol; `options` (graceMs, force) go flat on the frame, as the SDK sends them. */
  stop(sideExecutionId: unknown, options?: unknown) {
    return parsed('stopSideExecutionResponse', StopSideExecutionFields, () => ({ ...flat(options, 'graceMs, force'), sideExecutionId }), ({ sideExecutionId: id, ...stop }) => this.replies.stop(id, stop), { sideExecutionId });
  }

  listActionBlocks(projectPath?: unknown) {
    return parsed('listActionBlocksResponse', ProjectPathField, () => ({ projectPath }), (f) => this.replies.listActionBlocks(f.projectPath ?? undefined));
  }

  list(filter?: unknown) {
    return parsed('listSideExecutionsResponse', ListFields, () => ({ filter }), (f) => this.replies.list(f.filter ?? {}));
  }

  counts() {
    return this.replies.counts();
  }

  /** The execution's history; `query` (after, limit) goes flat on the frame. */
  events(sideExecutionId: unknown, query?: unknown) {
    return parsed('getSideExecutionEventsResponse', EventsFields, () => ({ ...flat(query, 'after, limit'), sideExecutionId }), ({ sideExecutionId: id, ...q }) => this.replies.events(id, q), { sideExecutionId });
  }

  /** Resolves with the status reply once the execution is terminal. */
  wait(sideExecutionId: unknown) {
    return this.byId('getSideExecutionStatusResponse', sideExecutionId, (id) => this.replies.wait(id));
  }

  /** The execution's output, in order; with follow, until it ends. */
  async *logs(sideExecutionId: string, options: { follow?: boolean; signal?: AbortSignal } = {}) {
    const { sideExecutionId: id } = parseInput(SideExecutionIdField, { sideExecutionId });
    yield* this.replies.service.logs(id, options);
  }

  /** Subscribes to engine events; returns the unsubscribe function. */
  on<E extends ServiceEvent>(event: E, listener: (...args: EngineEvents[E]) => void): () => void {
    return this.replies.service.on(event, listener);
  }

  /** `sideExecutionId` of a subscription: optional (none: every execution). */
  subscriptionId(sideExecutionId: unknown): string | undefined {
    return parseInput(OptionalSideExecutionIdField, { sideExecutionId }).sideExecutionId ?? undefined;
  }

  private startCommand(frame: () => unknown) {
    return parsed(START, StartCommandFields, frame, (input) => this.commands.start({ ...input, options: withCaller(input.options, this.caller) }));
  }

  private byId<R>(type: string, sideExecutionId: unknown, reply: (id: string) => Promise<R>) {
    return parsed(type, SideExecutionIdField, () => ({ sideExecutionId }), (f) => reply(f.sideExecutionId), { sideExecutionId });
  }
}

/** The frame fields of a command start from the SDK's (argv, options): cwd, env, stdin and timeout flat, the rest under `options`. */
function commandFrame(command: unknown, options: unknown): Record<string, unknown> {
  const { cwd, env, stdin, timeout, ...rest } = flat(options, 'cwd, env, stdin, timeout and start options');
  return {
    command,
    cwd,
    env,
    stdin: hasBytes(stdin) ? stdinField(stdin as StdinInput) : stdin,
    timeout,
    ...(Object.keys(rest).length ? { options: rest } : {}),
  };
}

/** Bytes given in process (not text), which the frame carries as base64. */
const hasBytes = (stdin: unknown) => stdin instanceof Uint8Array || (typeof stdin === 'object' && stdin !== null && (stdin as { data?: unknown }).data instanceof Uint8Array);
