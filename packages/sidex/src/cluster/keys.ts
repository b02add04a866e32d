// Every name the cluster uses in Redis, in one place (docs/cluster.md lists them).

/** BullMQ's key prefix for sidex's queues. */
export const QUEUE_PREFIX = 'sidex';

/** A start requiring tags goes to the queue of exactly that set; a worker serves every subset of its tags. */
export function queueName(tags: readonly string[] | undefined): string {
  return tags && tags.length > 0 ? `executions.${[...tags].sort().join('+')}` : 'executions';
}

/** Every queue a worker with these tags serves: the untagged one and one per non-empty subset. */
export function queuesServed(tags: readonly string[]): string[] {
  const sorted = [...new Set(tags)].sort();
  const names: string[] = [];
  for (let mask = 0; mask < 1 << sorted.length; mask++) names.push(queueName(sorted.filter((_, i) => mask & (1 << i))));
  return names;
}

/** Every execution event of every worker, in the order each worker wrote them. */
export const EVENTS_STREAM = 'sidex:events';
/** Stops, messages and settlements for whichever worker holds the execution. */
export const CONTROL_CHANNEL = 'sidex:control';
/** Each worker's capacity: name -> JSON of WorkerState. */
export const WORKERS_HASH = 'sidex:workers';

/** An execution's whole output, in order, ending with an `end` entry. */
export const outputStream = (id: string): string => `sidex:out:${id}`;
/** Taken by the one process that records an execution as lost. */
export const lostClaim = (id: string): string => `sidex:lost:${id}`;
/** Where the worker holding an execution answers a server's control request (control-request.ts): one channel per server. */
export const replyChannel = (server: string): string => `sidex:reply:${server}`;
/** A control request's payload (a stdin write's bytes), until the worker takes it or the server withdraws it. */
export const requestPayload = (request: string): string => `sidex:request:${request}`;
/** Why a worker refused a start, for the server answering it (a few minutes). */
export const startRefusal = (id: string): string => `sidex:refused:${id}`;
