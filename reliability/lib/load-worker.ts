// A load worker (forked by checks/load.ts): opens its share of the WebSocket
// clients, Codebolt (/codebolt) and DAP (/task/service), and when told to go
// has each of them send its requests one after another, matching every reply
// by requestId / request_seq. It answers what was sent, what came back once,
// twice or never, and the latency of each request.
import WebSocket from 'ws';
import { newReplyTally, ReplyMatcher, type Frame, type ReplyTally } from './reply-matcher.js';

export interface WorkerSetup {
  type: 'setup';
  url: string;
  key: string;
  /** Index of this worker's first client, so that request ids are unique over all workers. */
  firstClient: number;
  codebolt: number;
  dap: number;
  requestsPerClient: number;
  /** A running execution every Codebolt client asks about. */
  statusId: string;
  /** A running pipeline task every DAP client asks about and feeds. */
  taskToken: string;
  /** Every n-th Codebolt client starts an execution with its first request. */
  startEvery: number;
  /** Every n-th DAP client sends items (open, write, close) through the task. */
  itemEvery: number;
  /** Every n-th DAP client runs a task of its own (execute, terminate). */
  executeEvery: number;
  pipeline: unknown;
}

export interface WorkerReport {
  type: 'done';
  tally: ReplyTally;
  starts: number;
  items: number;
  executes: number;
}


function open(url: string, headers: Record<string, string> = {}): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers, perMessageDeflate: false });
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
  });
}

async function codeboltClient(setup: WorkerSetup, index: number, report: WorkerReport): Promise<() => Promise<void>> {
  const ws = await open(`${setup.url.replace(/^http/, 'ws')}/codebolt`, { authorization: `Bearer ${setup.key}` });
  const matcher = new ReplyMatcher(report.tally);
  ws.on('message', (data) => {
    const frame = JSON.parse(data.toString()) as Frame;
    matcher.reply(frame.requestId, frame);
  });
  const request = (frame: Frame, n: number) => {
    const requestId = `c${index}-${n}`;
    const reply = matcher.expect(requestId);
    ws.send(JSON.stringify({ ...frame, requestId }));
    return reply;
  };
  return async () => {
    let own = setup.statusId;
    for (let n = 0; n < setup.requestsPerClient; n++) {
      if (n === 0 && index % setup.startEvery === 0) {
        const started = await request({ type: 'sideExecution', action: 'startSideExecution', inlineCode: 'return 1' }, n);
        report.starts++;
        if (typeof started.sideExecutionId === 'string') own = started.sideExecutionId;
        continue;
      }
      const mix: Frame[] = [
        { type: 'sideExecution', action: 'getSideExecutionStatus', sideExecutionId: setup.statusId },
        { type: 'sideExecution', action: 'listActionBlocks' },
        { type: 'actionBlock', action: 'listActionBlocks' },
        { type: 'sideExecution', action: 'getSideExecutionStatus', sideExecutionId: own },
        { type: 'sideExecution', action: 'countSideExecutions' },
      ];
      await request(mix[n % mix.length]!, n);
    }
    ws.close();
  };
}

async function dapClient(setup: WorkerSetup, index: number, report: WorkerReport): Promise<() => Promise<void>> {
  const ws = await open(`${setup.url.replace(/^http/, 'ws')}/task/service`);
  const matcher = new ReplyMatcher(report.tally);
  let seq = 0;
  ws.on('message', (data) => {
    const frame = JSON.parse(data.toString()) as Frame;
    if (frame.type === 'response') matcher.reply(frame.request_seq, frame);
  });
  const request = (command: string, args: Frame = {}, bytes?: Buffer) => {
    const mine = ++seq;
    const reply = matcher.expect(mine);
    const header = JSON.stringify({ type: 'request', seq: mine, command, arguments: args });
    ws.send(bytes ? Buffer.concat([Buffer.from(header), Buffer.from('\n'), bytes]) : header);
    return reply;
  };
  const token = setup.taskToken;
  return async () => {
    await request('auth', { auth: setup.key, clientName: 'sidex-reliability' });
    let own: string | undefined;
    let n = 1;
    if (index % setup.executeEvery === 0) {
      const executed = await request('execute', { pipeline: setup.pipeline, threads: 1 });
      own = executed.body?.token;
      report.executes++;
      n++;
    }
    const items = index % setup.itemEvery === 0;
    // The last request of a client that started a task terminates it.
    const last = setup.requestsPerClient - (own ? 1 : 0);
    while (n < last) {
      if (items && n % 10 === 1 && n + 3 <= last) {
        const opened = await request('rrext_process', { subcommand: 'open', token, mimeType: 'text/plain' });
        const pipeId = opened.body?.pipe_id;
        await request('rrext_process', { subcommand: 'write', token, pipe_id: pipeId }, Buffer.from(`item ${index}.${n}`));
        await request('rrext_process', { subcommand: 'close', token, pipe_id: pipeId });
        report.items++;
        n += 3;
        continue;
      }
      const mix: Array<[string, Frame]> = [
        ['rrext_ping', {}],
        ['rrext_get_task_status', { token }],
        ['rrext_get_tasks', {}],
        ['rrext_get_task_status', { token: own ?? token }],
      ];
      const [command, args] = mix[n % mix.length]!;
      await request(command, args);
      n++;
    }
    if (own) await request('terminate', { token: own });
    ws.close();
  };
}

let clients: Array<() => Promise<void>> = [];
let setup: WorkerSetup | undefined;
const report: WorkerReport = { type: 'done', tally: newReplyTally(), starts: 0, items: 0, executes: 0 };

process.on('message', (message: WorkerSetup | { type: 'go' }) => {
  void (async () => {
    if (message.type === 'setup') {
      setup = message;
      const opening: Array<Promise<() => Promise<void>>> = [];
      for (let i = 0; i < message.codebolt; i++) opening.push(codeboltClient(message, message.firstClient + i, report));
      for (let i = 0; i < message.dap; i++) opening.push(dapClient(message, message.firstClient + i, report));
      const opened = await Promise.allSettled(opening);
      clients = opened.flatMap((o) => (o.status === 'fulfilled' ? [o.value] : []));
      process.send!({ type: 'connected', clients: clients.length, failed: opened.length - clients.length });
      return;
    }
    if (!setup) throw new Error('go before setup');
    await Promise.all(clients.map((run) => run()));
    process.send!(report, () => process.exit(0));
  })().catch((err: unknown) => {
    process.send!({ type: 'error', message: (err as Error).stack ?? String(err) }, () => process.exit(1));
  });
});
// The parent going away ends the worker too.
process.on('disconnect', () => process.exit(0));
