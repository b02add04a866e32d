import type { Command } from 'commander';
import type { SidexClient, StatusFields } from '@sidex/client';
import { EXIT } from '../exit-codes.js';
import { parseMs } from '../parse-options.js';
import { serverUrl, withClient } from '../remote.js';
import { remoteCommand, uiFor, type RemoteFlags } from '../remote-command.js';
import { TopScreen, type Key } from '../top/top-screen.js';
import { renderTop, type TopState } from '../top/top-view.js';

interface TopFlags extends RemoteFlags {
  interval?: number;
  grace?: number;
}

export function registerTop(program: Command): void {
  remoteCommand(program, 'top', 'a live view of running executions: memory, CPU, duration, latest output; keys to stop, force stop and follow')
    .option('--interval <ms>', 'refresh period (default 1000)', parseMs)
    .option('--grace <ms>', "grace period of the 's' stop (default the server's, 5000)", parseMs)
    .action(async (flags: TopFlags) => {
      const ui = uiFor(flags);
      if (!process.stdin.isTTY || !process.stdout.isTTY || flags.json) {
        ui.error('sidex top needs a terminal; for scripts use: sidex ls --status running --json', 'INVALID_ARGUMENT');
        process.exitCode = EXIT.usage;
        return;
      }
      process.exitCode = await withClient(flags, ui, (client) => runTop(client, flags));
    });
}

async function runTop(client: SidexClient, flags: TopFlags): Promise<number> {
  const state: TopState = { rows: [], selected: 0, url: serverUrl(flags) };
  let done!: () => void;
  const finished = new Promise<void>((resolve) => (done = resolve));
  const screen = new TopScreen(process.stdin, process.stdout, (key) => void onKey(key));
  const draw = () => {
    const { width, height } = screen.size;
    screen.draw(renderTop(state, width, height));
  };
  const selected = (): StatusFields | undefined => state.rows[state.selected];

  async function refresh(): Promise<void> {
    const page = await client.sideExecution.list({ status: ['running', 'stopping', 'starting', 'queued'], limit: 200 });
    if (!page.success) {
      state.notice = `${page.error} [${page.code}]`;
      return;
    }
    const keep = selected()?.sideExecutionId;
    state.rows = page.executions;
    const index = state.rows.findIndex((r) => r.sideExecutionId === keep);
    state.selected = index >= 0 ? index : Math.min(state.selected, Math.max(0, state.rows.length - 1));
    if (state.following) {
      const followed = await client.sideExecution.getStatus(state.following);
      if (followed.success) state.followText = followed.output + (followed.error ? `\n${followed.error}` : '');
    }
  }

  async function onKey(key: Key): Promise<void> {
    const row = selected();
    if (key === 'quit') return done();
    if (key === 'up') state.selected = Math.max(0, state.selected - 1);
    if (key === 'down') state.selected = Math.min(Math.max(0, state.rows.length - 1), state.selected + 1);
    if (key === 'follow' && row) state.following = state.following === row.sideExecutionId ? undefined : row.sideExecutionId;
    if ((key === 'stop' || key === 'force') && row) {
      const id = row.sideExecutionId;
      state.notice = `${key === 'force' ? 'force stopping' : 'stopping'} ${id}…`;
      draw();
      const options = key === 'force' ? { force: true } : flags.grace !== undefined ? { graceMs: flags.grace } : {};
      const reply = await client.sideExecution.stop(id, options);
      state.notice = reply.success ? `${id} ${reply.status}${reply.forced ? ' (forced)' : ''}` : `${id}: ${reply.error} [${reply.code}]`;
      await refresh().catch(() => undefined);
    }
    draw();
  }

  const tick = async () => {
    try {
      await refresh();
    } catch (err) {
      state.notice = `cannot reach the server: ${(err as Error).message}`;
    }
    draw();
  };
  await tick();
  const timer = setInterval(() => void tick(), flags.interval ?? 1000);
  const onResize = () => draw();
  process.stdout.on('resize', onResize);
  try {
    await finished;
  } finally {
    clearInterval(timer);
    process.stdout.off('resize', onResize);
    screen.close();
  }
  return EXIT.completed;
}
