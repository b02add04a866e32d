import path from 'node:path';
import type { Engine } from '../engine/engine.js';
import type { StartSpec } from '../engine/execution.js';
import type { ExecutionRecord } from '../model/record.js';
import { SidexError } from '../errors.js';
import { parseInput } from '../model/validation.js';
import { confinePath } from '../catalog/confine.js';
import { decodeBytes, StartCommandInput, WriteStdinInput } from './command-schemas.js';
import type { SideExecutionService } from './side-execution-service.js';

/** Where a command may run: the roots blocks and capabilities live in, and the directories sandboxes may write. */
export interface CommandRoots {
  roots(): string[];
  /** What a relative cwd is resolved against (the project directory). */
  base: string;
}

export interface StdinWritten {
  sideExecutionId: string;
  /** Bytes taken by this write. */
  written: number;
  /** Bytes written that the program has not read yet. */
  pendingBytes: number;
  stdinOpen: boolean;
}

const MAX_NAME = 200;

/**
 * Commands as executions: any program, argv executed directly. Typed input
 * parsed here, domain results, SidexError thrown: each transport builds its
 * own envelope around them.
 */
export class CommandService {
  constructor(
    private readonly engine: Engine,
    private readonly sideExecution: SideExecutionService,
    private readonly where: CommandRoots,
  ) {}

  /**
   * Whether a start's fields ask for a command (`command` given); a command
   * together with inline code or an action block is refused, not guessed.
   */
  static asksForCommand(fields: Record<string, unknown>): boolean {
    if (fields.command === undefined || fields.command === null) return false;
    const other = ['inlineCode', 'actionBlockPath'].find((key) => fields[key] !== undefined && fields[key] !== null);
    if (other) throw new SidexError('INVALID_ARGUMENT', `give one of command, inlineCode or actionBlockPath, not command and ${other}`, { field: 'command' });
    return true;
  }

  /** Answers once the program has been exec'd (`running`), or with a `failed` record saying why it could not be. */
  async start(fields: unknown): Promise<ExecutionRecord> {
    const input = parseInput(StartCommandInput, fields);
    const cwd = input.cwd ? confinePath(input.cwd, this.where.roots(), this.where.base) : undefined;
    const common = this.sideExecution.common({}, input.timeout, input.options);
    const env = { ...common.env, ...input.env };
    const spec: StartSpec = {
      prefix: 'side',
      kind: 'command',
      name: input.options?.name ?? nameOf(input.command),
      argv: input.command,
      ...(cwd ? { cwd } : {}),
      ...stdinOf(input.stdin),
      ...common,
      ...(Object.keys(env).length ? { env } : {}),
    };
    return this.engine.start(spec);
  }

  /** More bytes for a running command's open stdin, and/or its end. */
  async writeStdin(fields: unknown): Promise<StdinWritten> {
    const input = parseInput(WriteStdinInput, fields);
    const data = decodeBytes(input.data, input.encoding, 'data');
    const state = await this.engine.writeStdin(input.sideExecutionId, data, { close: input.close === true });
    return { sideExecutionId: input.sideExecutionId, written: data.length, pendingBytes: state.pendingBytes, stdinOpen: state.open };
  }
}

function stdinOf(stdin: typeof StartCommandInput._output.stdin): Pick<StartSpec, 'stdin'> {
  if (stdin === undefined || stdin === null) return {};
  if (typeof stdin === 'string') return { stdin: { data: Buffer.from(stdin, 'utf8') } };
  return { stdin: { data: decodeBytes(stdin.data, stdin.encoding, 'stdin.data'), open: stdin.open === true } };
}

/** The program's name and arguments, as a list shows it. */
function nameOf(argv: string[]): string {
  const [program = '', ...args] = argv;
  const name = [path.basename(program), ...args].join(' ');
  return name.length > MAX_NAME ? `${name.slice(0, MAX_NAME - 1)}…` : name;
}
