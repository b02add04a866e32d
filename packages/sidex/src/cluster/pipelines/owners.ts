// Which server holds which pipeline task, in Redis (docs/cluster.md, "Pipelines").
// A task's token and its project's source name the server holding the task;
// every key expires unless its holder's heartbeat refreshes it, so a dead
// server's claims lapse by themselves. The first server to find another one
// gone takes its list of tasks, to stop their processes.
import type { Redis } from 'ioredis';
import { PIPELINE_SERVERS, pipelineServer, pipelineServerTasks, sourceOwner, taskOwner } from '../keys.js';

export interface OwnedTask {
  token: string;
  /** The task's execution. */
  id: string;
  projectId: string;
  source: string;
}

/** What a server says of itself in its liveness key: the events its monitors want (v orders its updates). */
export interface ServerState {
  v: number;
  wants: string[];
}

/** Holds the key for ARGV[1] if it is free or already ARGV[1]'s; answers the holder. */
const HOLD = `local v = redis.call('GET', KEYS[1])
if (not v) or v == ARGV[1] then redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2]) return ARGV[1] end
return v`;
const RELEASE = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;
const TAKE_OVER = `if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3]) return 1 end
return 0`;

/** A server's list of tasks outlives it by this much, for a survivor to stop them. */
const TASK_LIST_TTL_MS = 24 * 3600 * 1000;

export const tokenKey = taskOwner;
export const sourceKey = (where: { projectId: string; source: string }): string => sourceOwner(where.projectId, where.source);

export class TaskOwners {
  constructor(
    private readonly redis: Redis,
    readonly server: string,
    /** How long a claim or a liveness key lasts unless refreshed. */
    private readonly ttlMs: number,
  ) {}

  /** Holds `key` if it is free or this server's, or takes it from a server that is gone; answers who holds it now. */
  async claim(key: string): Promise<string> {
    for (;;) {
      const holder = await this.hold(key);
      if (holder === this.server || (await this.isLive(holder))) return holder;
      if (await this.redis.eval(TAKE_OVER, 1, key, holder, this.server, this.ttlMs)) return this.server;
    }
  }

  /** Refreshes `key` for this server unless another holds it; answers the holder. */
  hold(key: string): Promise<string> {
    return this.redis.eval(HOLD, 1, key, this.server, this.ttlMs) as Promise<string>;
  }

  release(key: string, holder = this.server): Promise<unknown> {
    return this.redis.eval(RELEASE, 1, key, holder);
  }

  async holderOf(key: string): Promise<string | undefined> {
    return (await this.redis.get(key)) ?? undefined;
  }

  async isLive(server: string): Promise<boolean> {
    return (await this.redis.exists(pipelineServer(server))) === 1;
  }

  /** A task runs here: its token is this server's, its source too unless another server's task holds it. */
  async register(task: OwnedTask): Promise<void> {
    const list = pipelineServerTasks(this.server);
    await this.redis
      .multi()
      .set(tokenKey(task.token), this.server, 'PX', this.ttlMs)
      .hset(list, task.token, JSON.stringify(task))
      .pexpire(list, TASK_LIST_TTL_MS)
      .exec();
    await this.hold(sourceKey(task));
  }

  /** A task that ended here leaves the list. */
  unlist(token: string): Promise<unknown> {
    return this.redis.hdel(pipelineServerTasks(this.server), token);
  }

  /** Says this server is alive (and what its monitors want) for another ttl. */
  publish(state: ServerState): Promise<unknown> {
    return this.redis.multi().set(pipelineServer(this.server), JSON.stringify(state), 'PX', this.ttlMs).sadd(PIPELINE_SERVERS, this.server).exec();
  }

  /** The live servers (this one too) and what they said; the servers found gone, each handed to one finder only. */
  async survey(): Promise<{ live: Map<string, ServerState>; gone: string[] }> {
    const members = await this.redis.smembers(PIPELINE_SERVERS);
    const states = members.length > 0 ? await this.redis.mget(members.map(pipelineServer)) : [];
    const live = new Map<string, ServerState>();
    const gone: string[] = [];
    for (const [i, server] of members.entries()) {
      const state = states[i];
      if (state) live.set(server, JSON.parse(state) as ServerState);
      else if ((await this.redis.srem(PIPELINE_SERVERS, server)) === 1) gone.push(server);
    }
    return { live, gone };
  }

  /** A gone server's tasks, its claims on them dropped: what the finder stops. */
  async takeTasksOf(server: string): Promise<OwnedTask[]> {
    const list = pipelineServerTasks(server);
    const tasks = Object.values(await this.redis.hgetall(list)).map((json) => JSON.parse(json) as OwnedTask);
    await Promise.all(tasks.flatMap((t) => [this.release(tokenKey(t.token), server), this.release(sourceKey(t), server)]));
    await this.redis.del(list);
    return tasks;
  }

  /** A graceful exit: this server's claims (the keys given) and its entries go. */
  async leave(keys: Iterable<string>): Promise<void> {
    await Promise.all([...keys].map((key) => this.release(key)));
    await this.redis.multi().del(pipelineServer(this.server), pipelineServerTasks(this.server)).srem(PIPELINE_SERVERS, this.server).exec();
  }
}
