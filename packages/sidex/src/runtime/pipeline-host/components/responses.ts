// Sinks: they build the item's result, `{name, objectId, result_types?, <field>: [...]}`.
// `result_types` appears with the first field collected (RocketRide's result
// has none when nothing was).
import type { ItemResult } from '../pipeline.js';
import { asText, type ComponentFactory } from '../component.js';

function collect(result: ItemResult, field: string, type: string, value: unknown): void {
  (result.result_types ??= {})[field] = type;
  const list = (result[field] as unknown[] | undefined) ?? [];
  list.push(value);
  result[field] = list;
}

/**
 * RocketRide's rule for text: each text a response receives is followed by
 * a blank line (`\n\n`), and all of an item's text is one entry of the
 * field. Where that entry is, per item.
 */
const textEntry = new WeakMap<ItemResult, Map<string, number>>();
function collectText(result: ItemResult, field: string, text: string): void {
  const entries = textEntry.get(result) ?? new Map<string, number>();
  textEntry.set(result, entries);
  const at = entries.get(field);
  if (at === undefined) {
    collect(result, field, 'text', `${text}\n\n`);
    entries.set(field, (result[field] as unknown[]).length - 1);
  } else {
    (result[field] as string[])[at] += `${text}\n\n`;
  }
}

/** RocketRide's `lanes` config renames a lane's field: `{text: 'body'}`; a list (or none) keeps the lane names. */
const fieldOf = (lanes: unknown, lane: string): string => (lanes && typeof lanes === 'object' && !Array.isArray(lanes) && typeof (lanes as Record<string, unknown>)[lane] === 'string' ? String((lanes as Record<string, unknown>)[lane]) : lane);

/** Every lane it reads becomes a result field of that name; text follows RocketRide's rule, other values are listed as they are. */
export const response: ComponentFactory = ({ config }) => ({
  process(lane, value, item) {
    const field = typeof config.laneName === 'string' ? config.laneName : fieldOf(config.lanes, lane);
    if (lane === 'text' && typeof value === 'string') collectText(item.result, field, value);
    else collect(item.result, field, lane, value);
    return [];
  },
});

/**
 * RocketRide's `response_<lane>` variants: a response that collects one lane
 * (text by its rule), under `config.laneName` (or sidex's `key`), else the lane's name.
 */
const responseOf =
  (only: string): ComponentFactory =>
  ({ config }) => {
    const field = typeof config.laneName === 'string' ? config.laneName : typeof config.key === 'string' ? config.key : only;
    return {
      process(lane, value, item) {
        if (only === 'text') collectText(item.result, field, asText(value));
        else collect(item.result, field, only, value);
        return [];
      },
    };
  };

export const response_text = responseOf('text');
export const response_answers = responseOf('answers');
export const response_questions = responseOf('questions');
export const response_documents = responseOf('documents');
export const response_table = responseOf('table');
export const response_image = responseOf('image');
export const response_audio = responseOf('audio');
export const response_video = responseOf('video');
