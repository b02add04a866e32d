// The shape of a pipeline as a directed graph: an edge runs from the component
// a lane comes from to the component that reads it. Used by validation (cycles,
// reachability) and by the task host (who reads what).
import type { LaneInput } from './pipeline.js';

export interface GraphNode {
  id: string;
  input: readonly LaneInput[];
}

/** Key of one lane of one component. */
export const laneKey = (from: string, lane: string): string => `${from}\u0000${lane}`;

/** For each (component, lane), the components that read it, in declaration order. */
export function readersOf(nodes: readonly GraphNode[]): Map<string, string[]> {
  const readers = new Map<string, string[]>();
  for (const node of nodes) {
    for (const { from, lane } of node.input) {
      const key = laneKey(from, lane);
      const list = readers.get(key) ?? [];
      if (!list.includes(node.id)) list.push(node.id);
      readers.set(key, list);
    }
  }
  return readers;
}

function successors(nodes: readonly GraphNode[]): Map<string, string[]> {
  const next = new Map<string, string[]>(nodes.map((n) => [n.id, []]));
  for (const node of nodes) {
    for (const { from } of node.input) {
      const list = next.get(from);
      if (list && !list.includes(node.id)) list.push(node.id);
    }
  }
  return next;
}

/** Each cycle once, as the path that closes it: `['a', 'b', 'a']`. */
export function findCycles(nodes: readonly GraphNode[]): string[][] {
  const next = successors(nodes);
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const cycles: string[][] = [];
  const visit = (id: string) => {
    state.set(id, 'open');
    stack.push(id);
    for (const to of next.get(id) ?? []) {
      if (state.get(to) === 'open') cycles.push([...stack.slice(stack.indexOf(to)), to]);
      else if (!state.has(to)) visit(to);
    }
    stack.pop();
    state.set(id, 'done');
  };
  for (const node of nodes) if (!state.has(node.id)) visit(node.id);
  return cycles;
}

/** The components an item entering at `start` can reach, `start` included. */
export function reachableFrom(nodes: readonly GraphNode[], start: string): Set<string> {
  const next = successors(nodes);
  const seen = new Set<string>([start]);
  const queue = [start];
  while (queue.length > 0) {
    for (const to of next.get(queue.shift()!) ?? []) {
      if (!seen.has(to)) {
        seen.add(to);
        queue.push(to);
      }
    }
  }
  return seen;
}
