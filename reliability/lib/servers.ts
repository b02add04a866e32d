// Real `sidex serve` processes for the checks, and everything needed to leave
// nothing behind: every server started here is stopped (SIGKILL if it will
// not go), every process of its data directories is killed, its files removed,
// even when a check fails or the run is interrupted.
import fs from 'node:fs';
import path from 'node:path';
import { SidexClient } from '@sidex/client';
import { dataKeyOf, findMarked, markerMatcher } from '../../packages/sidex/dist/engine/tree/marker.js';
import { removeCgroupTree } from '../../packages/sidex/dist/engine/tree/cgroup-tree.js';
import { signalPid } from '../../packages/sidex/dist/engine/tree/proc.js';
import { cgroupsOf } from '../../packages/sidex/test/helpers/cgroups.js';
import { spawnServer, type ServeOptions, type TestServer } from '../../packages/sidex/test/helpers/spawn-server.js';

export { cgroupsOf };

export type { TestServer };

/** Every live process of any execution (or warm runtime) of this data directory, whichever run started it. */
export const processesOf = (dataDir: string): number[] => findMarked(markerMatcher(`${dataKeyOf(dataDir)}.`, 'prefix'));

/** Live processes carrying exactly this execution marker (printed by the execution itself). */
export const processesMarked = (marker: string): number[] => findMarked(markerMatcher(marker, 'exact'));

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls until `check` holds or `timeoutMs` passes; answers whether it held. */
export async function until(check: () => boolean | Promise<boolean>, timeoutMs: number, everyMs = 50): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return true;
    if (Date.now() > end) return false;
    await sleep(everyMs);
  }
}

/** Writes a YAML config file for `sidex serve --config` (settings that have no flag, such as shutdownGraceMs). */
function configArgs(root: string, config: Record<string, unknown> | undefined): string[] {
  if (!config) return [];
  const file = path.join(root, `sidex-${Object.keys(config).join('-')}.yml`);
  fs.writeFileSync(file, Object.entries(config).map(([k, v]) => `${k}: ${JSON.stringify(v)}`).join('\n') + '\n');
  return ['--config', file];
}

export interface StartOptions extends ServeOptions {
  /** Written to a config file given with --config. */
  config?: Record<string, unknown>;
}

/** The servers, clients and directories of one run of the suite. */
export class Fleet {
  private readonly servers: TestServer[] = [];
  private readonly clients: Array<{ close(): void }> = [];
  private readonly dataDirs = new Set<string>();
  private readonly roots = new Set<string>();
  /** `scratch`: a directory of the run's own files (config files, blocks outside the roots), removed at cleanup. */
  constructor(readonly scratch: string) {}

  async start(options: StartOptions = {}): Promise<TestServer> {
    const { config, ...serve } = options;
    fs.mkdirSync(this.scratch, { recursive: true });
    const server = await spawnServer({ ...serve, args: [...configArgs(this.scratch, config), ...(serve.args ?? [])] });
    this.track(server);
    return server;
  }

  /** Starts a server again on the data and project directories of `previous` (after it stopped or was killed). */
  async restart(previous: TestServer, options: StartOptions = {}): Promise<TestServer> {
    const server = await this.start({ ...options, args: ['--data-dir', previous.dataDir, '--project', previous.projectDir, ...(options.args ?? [])] });
    // spawnServer names its own fresh directories; the flags above won.
    return { ...server, dataDir: previous.dataDir, projectDir: previous.projectDir };
  }

  /** An SDK client that is closed at cleanup. */
  async client(server: TestServer): Promise<SidexClient> {
    const client = new SidexClient({ url: server.url, apiKey: server.apiKey, requestTimeoutMs: 120_000 });
    this.clients.push(client);
    await client.waitForReady(20_000);
    return client;
  }

  /** Registers something to close at cleanup (raw sockets, worker processes). */
  adopt<T extends { close(): void }>(closable: T): T {
    this.clients.push(closable);
    return closable;
  }

  /** Stops one server (SIGTERM, SIGKILL after 20 s); answers its exit code. */
  stop(server: TestServer): Promise<number | null> {
    return server.stop();
  }

  /** Kills a server with SIGKILL and waits for its exit. */
  async kill(server: TestServer): Promise<void> {
    server.child.kill('SIGKILL');
    await server.exited;
  }

  /**
   * Closes every client, stops every server, then kills whatever process of
   * their data directories is still alive, removes the cgroups they left and
   * their files. Answers what it had to clean (nothing when every promise was kept).
   */
  async cleanup(): Promise<{ processes: number[]; cgroups: string[] }> {
    for (const client of this.clients.splice(0)) {
      try {
        client.close();
      } catch {
        // already closed
      }
    }
    await Promise.all(this.servers.splice(0).map((s) => s.stop()));
    const processes: number[] = [];
    const cgroups: string[] = [];
    for (const dir of this.dataDirs) {
      for (const pid of processesOf(dir)) {
        signalPid(pid, 'SIGKILL');
        processes.push(pid);
      }
    }
    if (processes.length > 0) await sleep(200);
    for (const dir of this.dataDirs) {
      for (const cgroup of cgroupsOf(dir)) {
        cgroups.push(cgroup);
        removeCgroupTree(cgroup); // what still has a live process stays: reported above
      }
    }
    for (const root of this.roots) fs.rmSync(root, { recursive: true, force: true });
    fs.rmSync(this.scratch, { recursive: true, force: true });
    this.roots.clear();
    this.dataDirs.clear();
    return { processes, cgroups };
  }

  private track(server: TestServer): void {
    this.servers.push(server);
    this.dataDirs.add(server.dataDir);
    this.roots.add(server.root);
  }
}
