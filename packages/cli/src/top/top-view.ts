// Renders one frame of `sidex top` as plain lines: pure, so that a frame is
// the same whatever terminal draws it.
import type { StatusFields } from '@sidex/client';
import pc from 'picocolors';

export interface TopState {
  rows: StatusFields[];
  selected: number;
  /** The execution whose output fills the lower pane. */
  following?: string;
  followText?: string;
  /** The last action's outcome, or an error reaching the server. */
  notice?: string;
  url: string;
}

const COLUMNS = ['ID', 'STATUS', 'NAME', 'MEMORY', 'CPU', 'DURATION', 'LAST OUTPUT'] as const;
const HELP = '↑/↓ select · s stop · f force stop · enter follow · q quit';

export function renderTop(state: TopState, width: number, height: number, now = Date.now()): string[] {
  const header = `sidex top  ${state.url}  ${state.rows.length} running`;
  const table = [COLUMNS as readonly string[], ...state.rows.map((r) => rowOf(r, now))];
  const widths = COLUMNS.map((_, i) => Math.max(...table.map((cells) => cells[i]!.length)));
  const lines = [pc.bold(header), ''];
  table.forEach((cells, i) => {
    const line = fit(cells.map((c, j) => (j === cells.length - 1 ? c : c.padEnd(widths[j]!))).join('  '), width);
    if (i === 0) lines.push(pc.dim(line));
    else lines.push(i - 1 === state.selected ? pc.inverse(line) : line);
  });
  if (state.rows.length === 0) lines.push(pc.dim('nothing is running'));
  if (state.following) {
    lines.push('', pc.bold(`output of ${state.following}`));
    const room = Math.max(1, height - lines.length - 3);
    const tail = (state.followText ?? '').split('\n').filter((l, i, all) => l !== '' || i < all.length - 1).slice(-room);
    lines.push(...tail.map((l) => fit(l, width)));
  }
  lines.push('', pc.dim(fit(state.notice ?? HELP, width)));
  return lines.slice(0, height);
}

function rowOf(r: StatusFields, now: number): string[] {
  return [
    r.sideExecutionId,
    r.status,
    r.name,
    bytes(r.memoryUsage),
    `${(r.cpuTime / 1000).toFixed(1)}s`,
    seconds((r.endTime ?? now) - r.startTime),
    lastLine(r.output),
  ];
}

export function lastLine(output: string): string {
  const lines = output.split('\n').filter((l) => l.trim() !== '');
  return lines.at(-1) ?? '';
}

function bytes(n: number): string {
  if (n >= 1024 ** 3) return `${(n / 1024 ** 3).toFixed(1)}G`;
  if (n >= 1024 ** 2) return `${(n / 1024 ** 2).toFixed(1)}M`;
  return `${Math.round(n / 1024)}K`;
}

function seconds(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  return s >= 3600 ? `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m` : s >= 60 ? `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s` : `${s}s`;
}

/** Cuts a line to the terminal's width; control characters of the code's output are not drawn. */
function fit(line: string, width: number): string {
  const clean = line.replace(/[\u0000-\u0008\u000b-\u001f\u007f]/g, '');
  return clean.length > width ? `${clean.slice(0, Math.max(0, width - 1))}…` : clean;
}
