// The entry of a pipeline task's execution: it runs INSIDE the task's child
// process, as an action-block function of (params, ctx). It builds the
// pipeline, says `ready`, then runs the items the supervisor sends and reports
// each outcome, until it is told to end or is stopped (the stop protocol).
import type { ContextApi } from '../context.js';
import { Batcher } from './batcher.js';
import type { FlowTrace, FromHost, HostItem, HostParams, ItemFailure, ItemOutcome, SseMessage, ToHost } from './protocol.js';
import { ComponentError, PipelineRunner } from './pipeline-runner.js';

export default async function taskHost(params: unknown, ctx: ContextApi): Promise<{ ended: string }> {
  const { pipeline, token, args } = params as HostParams;
  // Looking at the signal tells the runtime this function returns when it aborts.
  const signal = ctx.signal;
  const send = (message: FromHost) => ctx.send(message);
  // Traces of a turn cross in one message, before the outcomes of that turn.
  const traces = new Batcher<FlowTrace>((batch) => sendEach(batch, (part) => send({ t: 'trace', traces: part }), () => undefined));
  const sse = new Batcher<SseMessage>((batch) => sendEach(batch, (part) => send({ t: 'sse', messages: part }), () => undefined));
  const runner = await PipelineRunner.build(
    pipeline,
    { token, executionId: ctx.executionId, args, signal, cwd: process.cwd() },
    (trace) => traces.add(trace),
    (message) => sse.add(message),
  );
  // An item whose result cannot be sent (not JSON, or too large for the channel) fails alone.
  const outcomes = new Batcher<ItemOutcome>((batch) =>
    sendEach(batch, (part) => send({ t: 'done', outcomes: part }), (outcome, err): ItemOutcome => ({ id: outcome.id, ok: false, error: { message: `the item's result cannot be sent: ${err.message}` } })),
  );

  let end!: (how: string) => void;
  const ended = new Promise<string>((resolve) => (end = resolve));
  signal.addEventListener('abort', () => end('stopped'), { once: true });

  const run = (item: HostItem) =>
    runner.run(item).then(
      (result) => outcomes.add({ id: item.id, ok: true, result }),
      (err: unknown) => outcomes.add({ id: item.id, ok: false, error: failureOf(err) }),
    );
  ctx.onMessage((value) => {
    const message = value as ToHost;
    if (message.t === 'items') for (const item of message.items) void run(item);
    else if (message.t === 'end') end('ended');
  });
  send({ t: 'ready' });
  const how = await ended;
  traces.flush();
  sse.flush();
  outcomes.flush();
  return { ended: how };
}

function failureOf(err: unknown): ItemFailure {
  if (err instanceof ComponentError) return err.failure;
  return { message: err instanceof Error ? err.message : String(err) };
}

/**
 * One message for the batch. Refused (a value not JSON, or a message too large
 * for the channel: several large results of one turn), each element goes
 * alone, and an element refused alone is sent as `instead` makes it (undefined:
 * dropped).
 */
function sendEach<T>(batch: T[], send: (part: T[]) => void, instead: (value: T, err: Error) => T | undefined): void {
  try {
    return send(batch);
  } catch (err) {
    if (batch.length === 1) {
      const other = instead(batch[0]!, err as Error);
      if (other !== undefined) send([other]);
      return;
    }
  }
  for (const value of batch) sendEach([value], send, instead);
}
