// Sources: where an item enters. Its bytes arrive as UTF-8 text; each source
// offers the item on fixed lanes (SOURCE_LANES of services/pipeline/providers.ts).
import type { Component, ComponentFactory, Emission } from '../component.js';

const isJsonType = (mimeType: string) => /json|rocketride-question/i.test(mimeType);

/** The item's JSON value when its type says JSON (and it parses), else its text. */
function dataOf(text: string, mimeType: string): unknown {
  if (!isJsonType(mimeType)) return text;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

const fileSource: Component = {
  process: (_lane, text, item): Emission[] => [
    ['text', text],
    ['data', dataOf(String(text), item.info.mimeType)],
  ],
};

const chatSource: Component = {
  process: (_lane, text, item): Emission[] => [
    ['questions', dataOf(String(text), item.info.mimeType)],
    ['text', text],
  ],
};

export const webhook: ComponentFactory = () => fileSource;
export const dropper: ComponentFactory = () => fileSource;
export const chat: ComponentFactory = () => chatSource;
