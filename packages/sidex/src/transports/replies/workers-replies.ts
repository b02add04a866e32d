import type { WorkersFields } from '@sidex/protocol';
import type { WorkersService } from '../../services/workers-service.js';
import { ok, replying, type Reply } from './envelope.js';

/** The Codebolt-shaped reply of the workers' listing (REST's `GET /v1/workers`). */
export class WorkersReplies {
  constructor(readonly service: WorkersService) {}

  describe(): Promise<Reply<WorkersFields>> {
    const type = 'listWorkersResponse';
    return replying(type, async () => ok(type, await this.service.describe()));
  }
}
