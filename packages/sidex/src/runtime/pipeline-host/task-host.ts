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
  const traces = new Batcher<FlowTrace>((batch) => send({ t: 'trace', traces: batch }));
  const sse = new Batcher<SseMessage>((batch) => send({ t: 'sse', messages: batch }));
  const runner = await PipelineRunner.build(
    pipeline,
    { token, executionId: ctx.executionId, args, signal, cwd: process.cwd() },
    (trace) => traces.add(trace),
    (message) => sse.add(message),
  );
  const outcomes = new Batcher<ItemOutcome>((batch) => sendOutcomes(send, batch));

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

/** One message for the batch; should a result not survive JSON, that item alone fails. */
function sendOutcomes(send: (message: FromHost) => void, batch: ItemOutcome[]): void {
  try {
    send({ t: 'done', outcomes: batch });
  } catch {
    send({ t: 'done', outcomes: batch.map(serializable) });
  }
}

function serializable(outcome: ItemOutcome): ItemOutcome {
  try {
    JSON.stringify(outcome);
    return outcome;
  } catch (err) {
    return { id: outcome.id, ok: false, error: { message: `the item's result cannot be serialized to JSON: ${(err as Error).message}` } };
  }
}
