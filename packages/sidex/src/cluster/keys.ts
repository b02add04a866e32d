// Every name the cluster uses in Redis, in one place (docs/cluster.md lists them).

/** BullMQ's key prefix for sidex's queues. */
export const QUEUE_PREFIX = 'sidex';

/** A start requiring tags goes to the queue of exactly that set; a worker serves every subset of its tags. */
export function queueName(tags: readonly string[] | undefined): string {
  return tags && tags.length > 0 ? `executions.${[...tags].sort().join('+')}` : 'executions';
}

/** The tags a queue's starts require: the inverse of queueName. */
export function tagsOfQueue(name: string): string[] {
  const dot = name.indexOf('.');
  return dot < 0 ? [] : name.slice(dot + 1).split('+');
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
/** The name of every queue a start was ever added to, for the listing of queue depths (BullMQ keeps no such list). */
export const QUEUES_SET = 'sidex:queues';

/** Messages and progress for an execution (inbox.ts), in order, until its worker takes them. */
export const inboxKey = (id: string): string => `sidex:inbox:${id}`;
/** An execution's whole output, in order, ending with an `end` entry. */
export const outputStream = (id: string): string => `sidex:out:${id}`;
/** Taken by the one process that writes the end of an execution no worker holds (lost, or stopped while queued). */
export const endClaim = (id: string): string => `sidex:end:${id}`;

// Pipeline tasks (cluster/pipelines/): each task is held by the server that started it.
// Redis pub/sub spans every database of a Redis server: the channels name the database.

/** The servers that hold (or held) pipeline tasks; one whose liveness key has expired is gone. */
export const PIPELINE_SERVERS = 'sidex:pipeline-servers';
/** A server's liveness, expiring unless its heartbeat refreshes it; its value: the event names its monitors want. */
export const pipelineServer = (server: string): string => `sidex:pipeline-server:${server}`;
/** A server's tasks: token -> {id, projectId, source}, so that a surviving server stops them once it is gone. */
export const pipelineServerTasks = (server: string): string => `sidex:pipeline-tasks:${server}`;
/** The server holding the task of this token (expiring unless refreshed). */
export const taskOwner = (token: string): string => `sidex:task:${token}`;
/** The server holding a task of this project and source (expiring unless refreshed). */
export const sourceOwner = (projectId: string, source: string): string => `sidex:task-source:${JSON.stringify([projectId, source])}`;
/** Requests to one server, and the replies to its own requests. */
export const pipelineChannel = (db: number, server: string): string => `sidex:${db}:pipelines:${server}`;
/** What every server hears: task events, and which events each server's monitors want. */
export const pipelinesChannel = (db: number): string => `sidex:${db}:pipelines`;
/** Where the worker holding an execution answers a server's control request (control-request.ts): one channel per server. */
export const replyChannel = (server: string): string => `sidex:reply:${server}`;
/** A control request's payload (a stdin write's bytes), until the worker takes it or the server withdraws it. */
export const requestPayload = (request: string): string => `sidex:request:${request}`;
/** Why a worker refused a start, for the server answering it (a few minutes). */
export const startRefusal = (id: string): string => `sidex:refused:${id}`;
