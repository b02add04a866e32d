// The `ctx` user code in a pipeline sees (`code` components and action blocks).
import type { ResolvedComponent } from '../pipeline.js';
import type { Emission, HostEnv, ItemScope } from '../component.js';

export interface UserContext {
  /** The lane the input arrived on. */
  lane: string;
  component: string;
  config: Record<string, unknown>;
  item: ItemScope['info'];
  /** Kept across the items of this component (per task). */
  state: Record<string, unknown>;
  token: string;
  executionId: string;
  args: string[];
  /** Aborts when the task is stopped. */
  signal: AbortSignal;
  /** Sends one more value along `lane` once the function has returned. */
  emit(lane: string, value: unknown): void;
  /** A line to the task's output. */
  log(...values: unknown[]): void;
}

export function userContext(
  spec: ResolvedComponent,
  env: HostEnv,
  state: Record<string, unknown>,
  lane: string,
  item: ItemScope,
  extra: Emission[],
): UserContext {
  return {
    lane,
    component: spec.id,
    config: spec.config,
    item: item.info,
    state,
    token: env.token,
    executionId: env.executionId,
    args: env.args,
    signal: env.signal,
    emit: (to, value) => {
      if (typeof to !== 'string' || to === '') throw new TypeError('ctx.emit(lane, value): lane must be a non-empty string');
      extra.push([to, value]);
    },
    log: (...values) => console.log(...values),
  };
}
