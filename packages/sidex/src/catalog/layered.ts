import { confinePath } from './confine.js';
import { childDirs } from './manifest.js';
import { warningOf, type CatalogWarning } from './warning.js';

/** One place items are discovered in; earlier layers win (project over global over built-in). */
export interface Layer<S extends string = string> {
  root: string;
  source: S;
  /** How messages name it (default: the source). */
  label?: string;
}

export interface Listing<T> {
  items: T[];
  warnings: CatalogWarning[];
}

export interface DiscoverOptions<T> {
  /** What an item is called in messages ("action block", "skill", "executor"). */
  what: (item: T) => string;
  /** Items with the same key shadow each other (default: the name). */
  keyOf?: (item: T) => string;
}

/**
 * Reads every item directory of every layer. A directory that cannot be read
 * becomes a warning naming file and field, never a failed listing. Of items
 * with the same key the first found wins; each later one is a warning that
 * says which one took precedence.
 */
export function discover<T extends { name: string; path: string }, S extends string>(
  layers: readonly Layer<S>[],
  read: (dir: string, layer: Layer<S>, warnings: CatalogWarning[]) => T,
  options: DiscoverOptions<T>,
): Listing<T> {
  const { what, keyOf = (item: T) => item.name } = options;
  const items: T[] = [];
  const warnings: CatalogWarning[] = [];
  const winners = new Map<string, { item: T; layer: Layer<S> }>();
  for (const layer of layers) {
    for (const dir of childDirs(layer.root)) {
      try {
        // A symlinked item must not lead out of the directory it was found in.
        const item = read(confinePath(dir, [layer.root], layer.root), layer, warnings);
        const key = keyOf(item);
        const earlier = winners.get(key);
        if (earlier) {
          const [winner, loser] = [earlier.layer.label ?? earlier.layer.source, layer.label ?? layer.source];
          const why = winner === loser ? `declared twice in the ${winner} directory` : `${winner} overrides ${loser}`;
          warnings.push({
            file: dir,
            field: 'name',
            message: `duplicate ${what(item)} name "${item.name}" (${why}): ${earlier.item.path} takes precedence over ${dir}`,
          });
          continue;
        }
        winners.set(key, { item, layer });
        items.push(item);
      } catch (err) {
        warnings.push(warningOf(err, dir));
      }
    }
  }
  return { items, warnings };
}
