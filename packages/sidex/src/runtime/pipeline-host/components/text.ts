// Text built-ins: a splitter, a JSON field extractor and a template. Each sends
// on along the lane it read, or along `config.lane` when set.
import { asText, type ComponentFactory } from '../component.js';

const outLane = (config: Record<string, unknown>, lane: string) => (typeof config.lane === 'string' ? config.lane : lane);

/** Each piece of the text is sent on by itself. */
export const splitter: ComponentFactory = ({ config }) => {
  const separator = typeof config.separator === 'string' ? config.separator : '\n';
  const by: string | RegExp = config.regex === true ? new RegExp(separator) : separator;
  const trim = config.trim !== false;
  const skipEmpty = config.skipEmpty !== false;
  return {
    process(lane, value) {
      let pieces = asText(value).split(by);
      if (trim) pieces = pieces.map((p) => p.trim());
      if (skipEmpty) pieces = pieces.filter((p) => p !== '');
      return pieces.map((p) => [outLane(config, lane), p] as const);
    },
  };
};

/** `a.b.0.c` into a value; undefined when any step is missing. */
export function pick(value: unknown, dotted: string): unknown {
  let current = value;
  for (const step of dotted.split('.')) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<string, unknown>)[step];
  }
  return current;
}

/** One field of a JSON value (text is parsed first); nothing is sent on when the field is missing. */
export const json_field: ComponentFactory = ({ config }) => {
  const field = String(config.field);
  return {
    process(lane, value) {
      let data = value;
      if (typeof value === 'string') {
        try {
          data = JSON.parse(value);
        } catch (err) {
          throw new Error(`json_field: the input is not JSON (${(err as Error).message})`);
        }
      }
      const found = pick(data, field);
      return found === undefined ? [] : [[outLane(config, lane), found]];
    },
  };
};

/** `{{input}}`, `{{input.x}}`, `{{item.name}}`, `{{lane}}`; a missing value is empty. */
export const template: ComponentFactory = ({ config }) => {
  const text = String(config.template);
  return {
    process(lane, value, item) {
      const scope = { input: value, item: item.info, lane };
      const filled = text.replace(/\{\{\s*([\w$.-]+)\s*\}\}/g, (_, path: string) => asText(pick(scope, path)));
      return [[outLane(config, lane), filled]];
    },
  };
};
