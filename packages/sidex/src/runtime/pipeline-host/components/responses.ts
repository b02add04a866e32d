// Sinks: they build the item's result, `{name, objectId, result_types, <field>: [...]}`.
import { asText, type ComponentFactory } from '../component.js';

function collect(result: Record<string, unknown> & { result_types: Record<string, string> }, field: string, type: string, value: unknown): void {
  result.result_types[field] = type;
  const list = (result[field] as unknown[] | undefined) ?? [];
  list.push(value);
  result[field] = list;
}

/** Every lane it reads becomes a result field of that name. */
export const response: ComponentFactory = () => ({
  process(lane, value, item) {
    collect(item.result, lane, lane, value);
    return [];
  },
});

/** What it reads, as text, under `config.key` (default `text`). */
export const response_text: ComponentFactory = ({ config }) => {
  const key = typeof config.key === 'string' ? config.key : 'text';
  return {
    process(_lane, value, item) {
      collect(item.result, key, 'text', asText(value));
      return [];
    },
  };
};
