import path from 'node:path';
import { SidexClient, SidexClientError } from '@sidex/client';
import { API_KEY_FILE, readKeyFile } from 'sidex/api-key';
import { EXIT } from './exit-codes.js';
import type { Ui } from './ui.js';

export const DEFAULT_URL = 'http://127.0.0.1:5565';

export interface RemoteOptions {
  /** `--url`, else SIDEX_URL. */
  url?: string;
  dataDir?: string;
}

/** The server the CLI was pointed at (`--url` or SIDEX_URL), if any. */
export function configuredUrl(options: RemoteOptions): string | undefined {
  return options.url ?? (process.env.SIDEX_URL || undefined);
}

/** The key: SIDEX_API_KEY, else the one a local server stored in the data directory. */
export function apiKey(options: RemoteOptions): string | undefined {
  return process.env.SIDEX_API_KEY || readKeyFile(path.join(path.resolve(options.dataDir ?? process.env.SIDEX_DATA_DIR ?? '.sidex'), API_KEY_FILE));
}

/** Exit code of a failed reply, by its error code. */
export function exitForCode(code: string | undefined): number {
  if (code?.endsWith('_NOT_FOUND')) return EXIT.notFound;
  if (code === 'UNAUTHORIZED') return EXIT.unauthorized;
  if (code === 'SHUTTING_DOWN' || code === 'QUEUE_FULL') return EXIT.unavailable;
  if (code?.startsWith('INVALID') || code === 'SYNTAX_ERROR' || code === 'PARAMS_TOO_LARGE' || code === 'PATH_OUTSIDE_ROOTS') return EXIT.usage;
  return EXIT.failed;
}

/** Connects, runs `body`, closes; client failures (unreachable, refused key, timeouts) become exit codes. */
export async function withClient(options: RemoteOptions, ui: Ui, body: (client: SidexClient) => Promise<number>): Promise<number> {
  const url = configuredUrl(options) ?? DEFAULT_URL;
  const key = apiKey(options);
  const client = new SidexClient({ url, ...(key ? { apiKey: key } : {}), connectTimeoutMs: 5000 });
  try {
    await ui.during(`connecting to ${url}`, client.waitForReady());
    return await body(client);
  } catch (err) {
    if (!(err instanceof SidexClientError)) throw err;
    ui.error(err.message, err.code);
    if (err.code === 'UNAUTHORIZED') return EXIT.unauthorized;
    if (err.code === 'HTTP_ERROR') return exitForCode((err as SidexClientError & { replyCode?: string }).replyCode);
    return EXIT.unavailable;
  } finally {
    client.close();
  }
}
