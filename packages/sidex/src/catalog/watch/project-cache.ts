import { WatchedListing } from './watched-listing.js';

/** How many projects' listings are kept (each holds a few directory watchers). */
const MAX_PROJECTS = 16;

/**
 * One watched listing per project directory, created on first use; the
 * least recently used is dropped (and unwatched) beyond MAX_PROJECTS, since
 * callers may name any project under the allowed roots.
 */
export class ProjectCache<T> {
  private readonly byProject = new Map<string, WatchedListing<T>>();

  constructor(private readonly describe: (project: string) => { dirs: string[]; scan: () => T }) {}

  get(project: string, options: { fresh?: boolean } = {}): T {
    let listing = this.byProject.get(project);
    if (listing) {
      this.byProject.delete(project);
    } else {
      const { dirs, scan } = this.describe(project);
      listing = new WatchedListing(dirs, scan);
    }
    this.byProject.set(project, listing);
    for (const [key, old] of this.byProject) {
      if (this.byProject.size <= MAX_PROJECTS) break;
      old.close();
      this.byProject.delete(key);
    }
    return listing.get(options);
  }

  close(): void {
    for (const listing of this.byProject.values()) listing.close();
    this.byProject.clear();
  }
}
