import type { Command } from 'commander';
import type { WorkerInfo, WorkersFields } from '@sidex/client';
import { EXIT } from '../exit-codes.js';
import { withClient } from '../remote.js';
import { failed, remoteCommand, uiFor, type RemoteFlags } from '../remote-command.js';
import type { Ui } from '../ui.js';

export function registerWorkers(program: Command): void {
  remoteCommand(program, 'workers', "list a cluster's workers (load, tags, heartbeat) and its queues' depth").action(async (flags: RemoteFlags) => {
    const ui = uiFor(flags);
    process.exitCode = await withClient(flags, ui, async (client) => {
      const reply = await client.workers();
      if (!reply.success) return failed(ui, reply);
      if (ui.json) ui.print(reply.data);
      else show(ui, reply.data);
      return EXIT.completed;
    });
  });
}

function show(ui: Ui, view: WorkersFields): void {
  if (!view.clustered) {
    const l = view.local;
    ui.line(`not clustered: this server runs its executions itself${l ? ` (${l.running} running of ${l.concurrency}, ${l.queued} queued, ${l.idleRuntimes} warm runtimes idle)` : ''}`);
    return;
  }
  if (view.workers.length === 0) process.stderr.write(`${ui.dim('no worker has registered with the queue')}\n`);
  else ui.table(['WORKER', 'STATE', 'RUNNING', 'TAGS', 'HEARTBEAT', 'HOST', 'PID', 'ISOLATION'], view.workers.map((w) => workerRow(ui, w)));
  ui.line('');
  ui.table(
    ['QUEUE', 'WAITING', 'ACTIVE', 'DELAYED', 'WORKERS'],
    view.queues.map((q) => [q.name, String(q.waiting), String(q.active), String(q.delayed), String(q.workers)]),
  );
}

function workerRow(ui: Ui, w: WorkerInfo): string[] {
  return [w.name, w.state === 'live' ? w.state : ui.dim(w.state), `${w.running}/${w.concurrency}`, w.tags.join(',') || '-', `${(w.heartbeatAgeMs / 1000).toFixed(1)} s ago`, w.host ?? '', w.pid === undefined ? '' : String(w.pid), w.isolation?.mode ?? ''];
}
