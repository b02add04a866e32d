import pc from 'picocolors';

const STATUS_COLOURS: Record<string, (s: string) => string> = {
  completed: pc.green,
  running: pc.cyan,
  starting: pc.cyan,
  queued: pc.dim,
  stopping: pc.yellow,
  stopped: pc.yellow,
  already_stopped: pc.yellow,
  timeout: pc.magenta,
  failed: pc.red,
};

/** Whether an execution's stdout, streamed through, stopped mid-line (an output limit cuts writes short). */
let stdoutMidLine = false;

/** Writes an execution's output through, remembering where its stdout stopped. */
export function passOutput(stream: 'stdout' | 'stderr', data: string | Uint8Array): void {
  if (stream === 'stderr') {
    process.stderr.write(data);
    return;
  }
  if (data.length > 0) stdoutMidLine = typeof data === 'string' ? !data.endsWith('\n') : data[data.length - 1] !== 0x0a;
  process.stdout.write(data);
}

/** A newline when the streamed output stopped mid-line: what the CLI prints (a --json status) keeps a line of its own. */
function lineStart(): string {
  const prefix = stdoutMidLine ? '\n' : '';
  stdoutMidLine = false;
  return prefix;
}

/** Human output on a TTY (spinner, colour, tables), JSON lines with --json. */
export class Ui {
  readonly fancy: boolean;

  constructor(readonly json: boolean) {
    this.fancy = !json && Boolean(process.stdout.isTTY) && !process.env.NO_COLOR;
  }

  /** Shows a spinner while `work` runs, on a TTY only. */
  async during<T>(text: string, work: Promise<T>): Promise<T> {
    // A terminal that reports no width (some pseudo-terminals) would make the spinner redraw without end.
    if (!this.fancy || !process.stderr.isTTY || !(process.stderr.columns > 0)) return work;
    const { default: ora } = await import('ora');
    // discardStdin off: ora's own stdin handling would swallow Ctrl-C.
    const spinner = ora({ text, stream: process.stderr, discardStdin: false }).start();
    try {
      return await work;
    } finally {
      spinner.stop();
    }
  }

  status(status: string): string {
    return this.fancy ? (STATUS_COLOURS[status] ?? ((s: string) => s))(status) : status;
  }

  dim(text: string): string {
    return this.fancy ? pc.dim(text) : text;
  }

  line(text: string): void {
    process.stdout.write(`${lineStart()}${text}\n`);
  }

  /** A started execution: its id alone on stdout (for ID=$(sidex ...)), its status for people on stderr; with --json, `reply`. */
  started(id: string, status: string, reply: unknown): void {
    if (this.json) return this.print(reply);
    this.line(id);
    process.stderr.write(`${this.dim(`${id} ${status}`)}\n`);
  }

  print(value: unknown): void {
    process.stdout.write(`${lineStart()}${JSON.stringify(value)}\n`);
  }

  error(message: string, code?: string): void {
    if (this.json) process.stdout.write(`${JSON.stringify({ success: false, error: message, ...(code ? { code } : {}) })}\n`);
    const text = `sidex: ${message}${code ? ` [${code}]` : ''}`;
    process.stderr.write(`${this.fancy ? pc.red(text) : text}\n`);
  }

  /** Labelled values, one per line (undefined ones left out), and an output block after them. */
  fields(rows: Array<[string, string | undefined]>, width: number, output?: string): void {
    for (const [label, value] of rows) if (value !== undefined) this.line(`${this.dim(label.padEnd(width))}${value}`);
    if (output) this.line(`${this.dim('output')}\n${output.trimEnd()}`);
  }

  /** A table with a header, columns padded to their widest cell. */
  table(header: string[], rows: string[][]): void {
    const plain = (s: string) => s.replace(/\x1b\[[0-9;]*m/g, '');
    const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => plain(r[i] ?? '').length)));
    const format = (cells: string[]) => cells.map((c, i) => c + ' '.repeat(Math.max(0, widths[i]! - plain(c).length))).join('  ').trimEnd();
    this.line(this.fancy ? pc.bold(format(header)) : format(header));
    for (const row of rows) this.line(format(row));
  }
}
