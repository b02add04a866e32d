import fs from 'node:fs/promises';
import path from 'node:path';

/** Inline code runs in a fresh directory of its own, removed when it ends. */
export class ScratchDirs {
  constructor(private readonly root: string) {}

  async create(id: string): Promise<string> {
    const dir = path.join(this.root, id);
    await fs.mkdir(dir, { recursive: true });
    return dir;
  }

  async remove(dir: string): Promise<void> {
    await fs.rm(dir, { recursive: true, force: true, maxRetries: 2 }).catch(() => {});
  }
}
