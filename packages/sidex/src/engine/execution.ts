import type { ErrorInfo } from '../runtime/messages.js';
import type { SampleTarget } from './limits/resource-sampler.js';
import type { OutputCapture } from './output/capture.js';
import type { RuntimeProcess } from './pool/runtime-process.js';
import { WriteChain } from './record-writes.js';
import { deferred } from '../model/deferred.js';
import type { ExecutionRecord, Schedule, StopReason } from '../model/record.js';

export type { Schedule };
import type { StopProtocol } from './stop/stop-protocol.js';
import type { MemoryLimitBy } from './final-status.js';
import type { SandboxNetwork } from './sandbox/launch.js';
import type { ExitInfo } from './pool/runtime-process.js';
import type { StdinChannel } from './command/stdin-channel.js';
import type { PreparedInline } from '../runtime/inline/prepare-inline.js';

export interface StartSpec {
  /** Its id and creation time when a cluster server queued it before a worker took it (cluster/). */
  queued?: { id: string; createdAt: number };
  /**
   * A cluster worker's try that another follows should it fail of its own (an
   * opted-in retry): such a failure is recorded `queued` again, not `failed`,
   * so that nothing waiting for the end is answered with one that is not the
   * last, and a stop during the backoff withdraws the retry.
   */
  retryFollows?: boolean;
  prefix: 'side' | 'cap' | 'task';
  kind: 'inline' | 'block' | 'command';
  name: string;
  /** Inline code. */
  code?: string;
  /** The name inline code's errors give it (the file a CLI read); default "inline". */
  filename?: string;
  /** A command: the program and its arguments, executed directly (no shell). */
  argv?: string[];
  /** A command's working directory (absolute, confined by the caller); default: its scratch directory. */
  cwd?: string;
  /** A command's stdin: bytes to write first; `open`: more may be written while it runs. Without it, stdin is /dev/null. */
  stdin?: { data?: Buffer; open?: boolean };
  /** Block entry file (absolute). */
  entry?: string;
  /** Block directory: the working directory of a block. */
  dir?: string;
  /** A block that runs in its runtime's scratch directory instead (a pipeline task's host). */
  inScratch?: boolean;
  params?: unknown;
  timeoutMs?: number;
  /** Grace period of this execution's stops and timeout (default: the engine's). */
  graceMs?: number;
  memoryLimitBytes?: number;
  outputLimitBytes?: number;
  /** Most processes and threads at once (default: the engine's). */
  pidsLimit?: number;
  /** CPU quota in cores (default: none). */
  cpuLimit?: number;
  /** The sandbox's network (sandbox isolation only). */
  network?: SandboxNetwork;
  env?: Record<string, string>;
  meta?: Record<string, unknown>;
  resumeFrom?: unknown;
  resumedFrom?: string;
  /** How a cluster queues it (docs/cluster.md); one machine runs everything in arrival order. */
  schedule?: Schedule;
}


/** What the runtime reported about how its run ended. */
export type Outcome =
  | { kind: 'result'; value?: unknown }
  | { kind: 'failed'; error: ErrorInfo }
  | { kind: 'stopped'; value?: unknown }
  | { kind: 'startFailed'; error: ErrorInfo };

/** The live state of one execution, from creation until its record is terminal. */
export class Execution {
  runtime: RuntimeProcess | undefined;
  capture: OutputCapture | undefined;
  outcome: Outcome | undefined;
  /** What a stop's onStop handlers returned, sent ahead of a report the code was slow to reach (runtime/main.ts). */
  stopPartial: unknown;
  /** The first reason to stop wins; natural ends are recorded as `endedByItself`. */
  stopReason: StopReason | undefined;
  /** Who ended it at its memory limit, when it was. */
  memoryLimitBy: MemoryLimitBy | undefined;
  endedByItself = false;
  /** Its checkpoints noted in its history so far (checkpoint-history.ts). */
  checkpointsNoted = 0;
  /** A command's program's own exit, as its runtime reported it. */
  programExit: ExitInfo | undefined;
  stdin: StdinChannel | undefined;
  protocol: StopProtocol | undefined;
  ending: Promise<void> | undefined;
  timeoutTimer: NodeJS.Timeout | undefined;
  sampling: SampleTarget | undefined;
  /** Inline code as it runs (runtime/inline/prepare-inline.ts), prepared when its start was checked. */
  prepared: PreparedInline | undefined;
  /** Resolves once the execution runs or has ended: what a start call waits for. */
  readonly settledStart = deferred<void>();
  readonly terminal = deferred<ExecutionRecord>();
  readonly writes = new WriteChain();
  /** Status events held until the write that carries them lands (RecordWrites.carry). */
  unheard: ExecutionRecord[] = [];

  constructor(
    readonly record: ExecutionRecord,
    readonly spec: StartSpec,
  ) {}

  get id(): string {
    return this.record.id;
  }

  /** Whether anything (a stop, a timeout, the code itself) has begun to end it. */
  get isEnding(): boolean {
    return this.stopReason !== undefined || this.endedByItself || this.outcome !== undefined;
  }

  /** The record as it is now, live output included. */
  snapshot(): ExecutionRecord {
    const copy = { ...this.record, memory: { ...this.record.memory } };
    if (this.capture) {
      copy.stdout = this.capture.text('stdout');
      copy.stderr = this.capture.text('stderr');
    }
    return copy;
  }
}
