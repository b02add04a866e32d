// The terminal side of `sidex top`: the alternate screen, raw keys, and
// restoring the terminal however the view ends.
import readline from 'node:readline';

const ENTER_ALT = '\x1b[?1049h\x1b[?25l';
const LEAVE_ALT = '\x1b[?25h\x1b[?1049l';

export type Key = 'up' | 'down' | 'stop' | 'force' | 'follow' | 'quit';

const KEYS: Record<string, Key> = { up: 'up', k: 'up', down: 'down', j: 'down', s: 'stop', f: 'force', return: 'follow', enter: 'follow', q: 'quit', escape: 'quit' };

export class TopScreen {
  private readonly restore = () => this.close();
  /** Closed: the terminal is restored, and a refresh still in flight then must not draw on it. */
  private closed = false;

  constructor(
    private readonly input: NodeJS.ReadStream,
    private readonly output: NodeJS.WriteStream,
    onKey: (key: Key) => void,
  ) {
    readline.emitKeypressEvents(input);
    input.setRawMode(true);
    input.resume();
    input.on('keypress', (_text: string, key: { name?: string; ctrl?: boolean }) => {
      if (key.ctrl && key.name === 'c') return onKey('quit');
      const mapped = key.name ? KEYS[key.name] : undefined;
      if (mapped) onKey(mapped);
    });
    output.write(ENTER_ALT);
    process.once('exit', this.restore);
  }

  get size(): { width: number; height: number } {
    return { width: this.output.columns || 80, height: this.output.rows || 24 };
  }

  draw(lines: string[]): void {
    if (this.closed) return;
    this.output.write(`\x1b[H${lines.map((l) => `${l}\x1b[K`).join('\r\n')}\x1b[J`);
  }

  close(): void {
    this.closed = true;
    process.off('exit', this.restore);
    if (this.input.isRaw) this.input.setRawMode(false);
    this.input.pause();
    this.output.write(LEAVE_ALT);
  }
}
