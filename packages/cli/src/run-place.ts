// Where `sidex run` and `sidex exec` run what they are given: the rule both
// follow, and what an embedded run leaves behind (nothing).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Sidex } from 'sidex';
import { configuredUrl, defaultUrl, type RemoteOptions } from './remote.js';

export interface PlaceOptions extends RemoteOptions {
  /** Run on an engine in this process even when a server answers. */
  embedded?: boolean;
}

/** A server (`remote`, for withClient), or an engine in this process keeping its files in `dataDir`. */
export type Place = { remote: RemoteOptions } | { dataDir: string };

/** Where an embedded run keeps its scratch and logs: per user, never the current directory. */
export function embeddedDataDir(): string {
  return path.join(process.env.XDG_STATE_HOME || path.join(os.homedir(), '.local', 'state'), 'sidex');
}

/** Whether a sidex server answers at `url` (a quick /healthz; nothing listening answers at once). */
async function serverAt(url: string): Promise<boolean> {
  try {
    const res = await fetch(new URL('/healthz', url), { signal: AbortSignal.timeout(1000) });
    return res.ok && ((await res.json()) as { status?: string }).status === 'ok';
  } catch {
    return false;
  }
}

/**
 * The rule: --embedded runs it in this process, whatever server is named or
 * answers; else the server of --url / SIDEX_URL; else a server that answers
 * at the default address runs it (so that it is in its `sidex ls`); else
 * this process does, in a per-user data directory. Said on stderr unless the
 * caller named the server: then stderr is the program's alone (`sidex exec`).
 */
export async function placeOf(options: PlaceOptions): Promise<Place> {
  if (!options.embedded && configuredUrl(options)) return { remote: options };
  const url = defaultUrl();
  if (!options.embedded && (await serverAt(url))) {
    process.stderr.write(`sidex: running on the server at ${url} (--embedded runs it here instead)\n`);
    return { remote: { ...options, url } };
  }
  const dataDir = path.resolve(options.dataDir ?? process.env.SIDEX_DATA_DIR ?? embeddedDataDir());
  process.stderr.write(`sidex: running on an embedded engine (${options.embedded ? '--embedded' : `no server at ${url}`}; data: ${dataDir})\n`);
  return { dataDir };
}

/** Nothing records an embedded run once this process ends: its output files go with it. */
export function forgetEmbeddedRun(sidex: Sidex, id: string | undefined): void {
  if (id !== undefined) for (const file of Object.values(sidex.engine.logFiles(id))) fs.rmSync(file, { force: true });
}
