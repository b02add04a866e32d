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

/**
 * Where a `sidex serve` started with this environment listens: SIDEX_HOST and
 * SIDEX_PORT are read as serve reads them, so one environment configures both.
 */
export function defaultUrl(): string {
  const host = process.env.SIDEX_HOST && !['0.0.0.0', '::'].includes(process.env.SIDEX_HOST) ? process.env.SIDEX_HOST : '127.0.0.1';
  return `http://${host.includes(':') ? `[${host}]` : host}:${process.env.SIDEX_PORT || '5565'}`;
}

/** The server a command talks to: the one it was pointed at, else the default one. */
export const serverUrl = (options: RemoteOptions) => configuredUrl(options) ?? defaultUrl();

const keyDir = (options: RemoteOptions) => path.resolve(options.dataDir ?? process.env.SIDEX_DATA_DIR ?? '.sidex');

/** The key: SIDEX_API_KEY, else the one a local server stored in the data directory. */
export function apiKey(options: RemoteOptions): string | undefined {
  return process.env.SIDEX_API_KEY || readKeyFile(path.join(keyDir(options), API_KEY_FILE));
}

/** Exit code of a failed reply, by its error code. */
export function exitForCode(code: string | undefined): number {
  if (code?.endsWith('_NOT_FOUND')) return EXIT.notFound;
  if (code === 'UNAUTHORIZED') return EXIT.unauthorized;
  if (code === 'SHUTTING_DOWN' || code === 'QUEUE_FULL') return EXIT.unavailable;
  if (code?.startsWith('INVALID') || code === 'SYNTAX_ERROR' || code === 'PARAMS_TOO_LARGE' || code === 'PATH_OUTSIDE_ROOTS') return EXIT.usage;
  return EXIT.failed;
}

/** Why `url` cannot name a server, if it cannot. */
export function badUrl(url: string, origin: string): string | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return `${origin} ${url}: not a URL; give the server's address, e.g. ${DEFAULT_URL}`;
  }
  return ['http:', 'https:'].includes(parsed.protocol) ? undefined : `${origin} ${url}: must be an http:// or https:// address, e.g. ${DEFAULT_URL}`;
}

/** Connects, runs `body`, closes; client failures (unreachable, refused key, timeouts) become exit codes. */
export async function withClient(options: RemoteOptions, ui: Ui, body: (client: SidexClient) => Promise<number>): Promise<number> {
  const url = serverUrl(options);
  const invalid = badUrl(url, options.url ? '--url' : 'SIDEX_URL');
  if (invalid) {
    ui.error(invalid, 'INVALID_ARGUMENT');
    return EXIT.usage;
  }
  const key = apiKey(options);
  const client = new SidexClient({ url, ...(key ? { apiKey: key } : {}), connectTimeoutMs: 5000 });
  try {
    await ui.during(`connecting to ${url}`, client.waitForReady());
    return await body(client);
  } catch (err) {
    if (!(err instanceof SidexClientError)) throw err;
    const hint = err.code === 'UNAUTHORIZED' && !key ? ` (no key was found: SIDEX_API_KEY is unset and there is no ${path.join(keyDir(options), API_KEY_FILE)}; run from the server's directory, or pass --data-dir)` : '';
    // An HTTP failure is reported by the server's own code (EXECUTION_NOT_FOUND...), as every other command does.
    const code = err.code === 'HTTP_ERROR' ? ((err as SidexClientError & { replyCode?: string }).replyCode ?? err.code) : err.code;
    ui.error(`${err.message}${hint}`, code);
    if (err.code === 'UNAUTHORIZED') return EXIT.unauthorized;
    if (err.code === 'HTTP_ERROR') return exitForCode(code);
    return EXIT.unavailable;
  } finally {
    client.close();
  }
}
