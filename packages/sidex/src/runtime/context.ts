import { toBoundedJson, toChannelJson } from './serialize.js';

export type StopHandler = () => unknown;

/**
 * Made as the runtime boots, in the pool: a runtime stops once, and making a
 * DOMException there (it captures a stack) took ~45 µs of every stop, cold.
 */
const STOP_REASON = new DOMException('execution stopped', 'AbortError');

/** What inline code and block functions receive as `ctx`. */
export interface ContextApi {
  readonly executionId: string;
  readonly params: unknown;
  readonly resumeFrom: unknown;
  readonly signal: AbortSignal;
  onStop(handler: StopHandler): void;
  checkpoint(value: unknown): void;
  progress(value: unknown): void;
  /** Sends a value to the caller (the engine's `message` event). */
  send(value: unknown): void;
  /** Receives values the caller sends (`engine.sendMessage`). */
  onMessage(handler: (value: unknown) => void): void;
}

export class ExecutionContext {
  readonly api: ContextApi;
  lastCheckpointJson: string | undefined;
  /** Whether the code looked at ctx.signal: then it means to return when it aborts. */
  signalObserved = false;
  private readonly controller = new AbortController();
  private readonly handlers: StopHandler[] = [];
  private readonly messageHandlers: Array<(value: unknown) => void> = [];

  constructor(
    executionId: string,
    params: unknown,
    resumeFrom: unknown,
    private readonly report: (kind: 'checkpoint' | 'progress' | 'message', json: string) => void,
  ) {
    const signal = this.controller.signal;
    const observe = () => {
      this.signalObserved = true;
      return signal;
    };
    // Plain object with bound members, so `const { signal, onStop } = ctx` works.
    this.api = Object.freeze({
      executionId,
      params,
      resumeFrom,
      get signal() {
        return observe();
      },
      onStop: (handler: StopHandler) => {
        if (typeof handler !== 'function') throw new TypeError('ctx.onStop expects a function');
        this.handlers.push(handler);
      },
      checkpoint: (value: unknown) => {
        const json = toBoundedJson(value, 'checkpoint') ?? 'null';
        this.lastCheckpointJson = json;
        this.report('checkpoint', json);
      },
      progress: (value: unknown) => this.report('progress', toBoundedJson(value, 'progress') ?? 'null'),
      send: (value: unknown) => this.report('message', toChannelJson(value, 'message')),
      onMessage: (handler: (value: unknown) => void) => {
        if (typeof handler !== 'function') throw new TypeError('ctx.onMessage expects a function');
        this.messageHandlers.push(handler);
      },
    });
  }

  /** A handler that throws is an uncaught error of the execution. */
  deliver(value: unknown): void {
    for (const handler of this.messageHandlers) handler(value);
  }

  /** What the signal is aborted with at a stop: an AbortError. */
  get stopReason(): unknown {
    return STOP_REASON;
  }

  /** Aborts the signal; answers its reason, an AbortError. */
  abort(): unknown {
    this.controller.abort(STOP_REASON);
    return this.controller.signal.reason;
  }

  /** Runs the onStop handlers in order. The last value a handler returns (other than undefined) is the partial result. */
  async runStopHandlers(): Promise<string | undefined> {
    let json: string | undefined;
    for (const handler of this.handlers) {
      try {
        const value = await handler();
        json = toBoundedJson(value, 'onStop handler result') ?? json;
      } catch (err) {
        process.stderr.write(`onStop handler failed: ${(err as Error)?.stack ?? String(err)}\n`);
      }
    }
    return json;
  }
}
