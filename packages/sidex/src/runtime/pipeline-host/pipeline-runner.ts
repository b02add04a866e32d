// Runs one item through the components of a pipeline: it enters at the source,
// and every value a component emits is handed, in order, to each component that
// reads that lane. An item's values are processed one after another; several
// items run at once (the task's `threads`).
import { laneKey, readersOf } from './graph.js';
import type { ItemResult, ResolvedPipeline } from './pipeline.js';
import type { FlowTrace, HostItem, ItemFailure, SseMessage } from './protocol.js';
import type { Component, HostEnv, ItemScope } from './component.js';
import { FACTORIES } from './components/index.js';

/** An error thrown by a component, with the component it came from. */
export class ComponentError extends Error {
  constructor(
    readonly component: string,
    override readonly cause: unknown,
  ) {
    super(cause instanceof Error ? cause.message : String(cause));
  }

  get failure(): ItemFailure {
    return { component: this.component, message: `component "${this.component}" failed: ${this.message}` };
  }
}

export class PipelineRunner {
  private constructor(
    private readonly components: Map<string, Component>,
    private readonly readers: Map<string, string[]>,
    private readonly source: string,
    private readonly trace: (trace: FlowTrace) => void,
    private readonly sse: (message: SseMessage) => void,
  ) {}

  /** Builds every component; a component that cannot be built fails the task's start. `trace` hears each item enter and leave each component. */
  static async build(pipeline: ResolvedPipeline, env: HostEnv, trace: (trace: FlowTrace) => void = () => {}, sse: (message: SseMessage) => void = () => {}): Promise<PipelineRunner> {
    const components = new Map<string, Component>();
    for (const spec of pipeline.components) {
      try {
        components.set(spec.id, await FACTORIES[spec.provider as keyof typeof FACTORIES](spec, env));
      } catch (err) {
        throw new Error(`component "${spec.id}" (${spec.provider}) could not be built: ${(err as Error)?.message ?? String(err)}`);
      }
    }
    return new PipelineRunner(components, readersOf(pipeline.components), pipeline.source, trace, sse);
  }

  async run(item: HostItem): Promise<ItemResult> {
    const result: ItemResult = { name: item.name, path: '', objectId: item.objectId };
    const scope: ItemScope = {
      info: { name: item.name, objectId: item.objectId, mimeType: item.mimeType, size: item.size },
      result,
      content: item,
      pipeId: item.id,
      sse: (type, data) => this.sse({ id: item.id, type, data }),
    };
    await this.deliver(this.source, '', item.text, scope);
    return result;
  }

  private async deliver(id: string, lane: string, value: unknown, scope: ItemScope): Promise<void> {
    let emissions;
    this.trace({ id: scope.pipeId, op: 'enter', component: id, lane });
    try {
      emissions = await this.components.get(id)!.process(lane, value, scope);
    } catch (err) {
      throw err instanceof ComponentError ? err : new ComponentError(id, err);
    } finally {
      this.trace({ id: scope.pipeId, op: 'leave', component: id, lane });
    }
    for (const [out, next] of emissions) {
      for (const reader of this.readers.get(laneKey(id, out)) ?? []) await this.deliver(reader, out, next, scope);
    }
  }
}
