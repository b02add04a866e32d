import type { SidexClient } from '@sidex/client';
import type { UserSource } from './code-frame.js';
import { EXIT } from './exit-codes.js';
import { reportEnd } from './final-status.js';
import { stopOnInterrupt } from './interrupts.js';
import { passOutput, type Ui } from './ui.js';

/**
 * Streams an execution's output until it ends, then reports how it ended and
 * returns that exit code. Ctrl-C calls `stop` (a second one with force).
 */
export async function followToEnd(ui: Ui, client: SidexClient, id: string, stop: (force: boolean) => void, source?: UserSource): Promise<number> {
  const stopListening = stopOnInterrupt((force) => {
    stop(force);
    return true;
  });
  try {
    for await (const line of client.logs(id, { follow: true })) {
      passOutput(line.stream, line.data);
    }
    return reportEnd(ui, await client.wait(id), source);
  } catch (err) {
    ui.error(`lost ${id}: ${(err as Error).message}`);
    return EXIT.unavailable;
  } finally {
    stopListening();
  }
}
