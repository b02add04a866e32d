import path from 'node:path';
import type { ExecutionEngine } from '../engine/execution-engine.js';
import type { StartSpec } from '../engine/execution.js';
import type { ExecutionRecord } from '../model/record.js';
import { confinePath } from '../catalog/confine.js';
import type { StartOptionsInput } from './schemas.js';
import type { SideExecutionService } from './side-execution-service.js';

/** Where a command may run: the roots blocks and capabilities live in, and the directories sandboxes may write. */
export interface CommandRoots {
  roots(): string[];
  /** What a relative cwd is resolved against (the project directory). */
  base: string;
}

/** A command start, parsed by the dialect that received it. */
export interface StartCommand {
  /** The program and its arguments. */
  command: string[];
  cwd?: string | null | undefined;
  env?: Record<string, string> | null | undefined;
  /** Bytes for its stdin at start; `open`: more may be written while it runs. Absent: /dev/null. */
  stdin?: { data: Buffer; open: boolean } | null | undefined;
  timeout?: number | null | undefined;
  options?: StartOptionsInput | undefined;
}

/** A write to a running command's stdin. */
export interface WriteStdin {
  sideExecutionId: string;
  data: Buffer;
  /** Ends its stdin after `data`. */
  close: boolean;
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
 * Commands as executions: any program, argv executed directly. Dialect-free
 * like the other services: typed input, records and results back, a
 * SidexError when something is wrong.
 */
export class CommandService {
  constructor(
    private readonly engine: ExecutionEngine,
    private readonly sideExecution: SideExecutionService,
    private readonly where: CommandRoots,
  ) {}

  /** Answers once the program has been exec'd (`running`), or with a `failed` record saying why it could not be. */
  async start(input: StartCommand): Promise<ExecutionRecord> {
    const cwd = input.cwd ? this.confine(input.cwd) : undefined;
    const common = this.sideExecution.common({}, input.timeout, input.options);
    const env = { ...common.env, ...input.env };
    const spec: StartSpec = {
      prefix: 'side',
      kind: 'command',
      name: input.options?.name ?? nameOf(input.command),
      argv: input.command,
      ...(cwd ? { cwd } : {}),
      ...(input.stdin ? { stdin: input.stdin } : {}),
      ...common,
      ...(Object.keys(env).length ? { env } : {}),
    };
    return this.engine.start(spec);
  }

  /**
   * A cwd inside the allowed roots, symlinks followed (PATH_OUTSIDE_ROOTS
   * otherwise); a cluster's worker checks a queued command's cwd again with
   * its own roots, on its own machine.
   */
  confine(cwd: string): string {
    return confinePath(cwd, this.where.roots(), this.where.base, 'cwd');
  }

  /** More bytes for a running command's open stdin, and/or its end. */
  async writeStdin(input: WriteStdin): Promise<StdinWritten> {
    const state = await this.engine.writeStdin(input.sideExecutionId, input.data, { close: input.close });
    return { sideExecutionId: input.sideExecutionId, written: input.data.length, pendingBytes: state.pendingBytes, stdinOpen: state.open };
  }
}

/** The program's name and arguments, as a list shows it. */
function nameOf(argv: string[]): string {
  const [program = '', ...args] = argv;
  const name = [path.basename(program), ...args].join(' ');
  return name.length > MAX_NAME ? `${name.slice(0, MAX_NAME - 1)}…` : name;
}
