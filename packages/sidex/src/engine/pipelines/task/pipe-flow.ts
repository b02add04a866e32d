// RocketRide's pipeflow: for each item in the task host, the components it is
// in (outermost first), from the host's enter and leave traces.
import type { FlowTrace } from '../../../runtime/pipeline-host/protocol.js';

export class PipeFlow {
  private readonly stacks = new Map<number, string[]>();

  begin(id: number): void {
    this.stacks.set(id, []);
  }

  /** Applies a trace; answers the item's stack after it, or undefined when the item is no longer in the host. */
  apply(trace: FlowTrace): string[] | undefined {
    const stack = this.stacks.get(trace.id);
    if (!stack) return undefined;
    if (trace.op === 'enter') stack.push(trace.component);
    else {
      const at = stack.lastIndexOf(trace.component);
      if (at >= 0) stack.splice(at, 1);
    }
    return [...stack];
  }

  end(id: number): void {
    this.stacks.delete(id);
  }

  byPipe(): Record<number, string[]> {
    return Object.fromEntries([...this.stacks].map(([id, stack]) => [id, [...stack]]));
  }
}
