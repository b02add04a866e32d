// Sources: where an item enters. As RocketRide's webhook, an item goes on the
// lane its mime type names (item-content.ts): text write by write on `text`,
// a question on `questions`, images, video and audio on theirs, anything
// else raw on `tags`. sidex adds `data`: the item's JSON value when its type
// says JSON (and it parses), else its text.
import { laneOfMimeType } from '../item-content.js';
import type { Component, ComponentFactory, Emission, ItemScope } from '../component.js';

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

/** An item that is not text, on the image, video, audio or tags lane. */
export interface BinaryValue {
  name: string;
  mimeType: string;
  size: number;
  /** The bytes, base64. */
  base64: string;
}

function itemLanes(item: ItemScope): Emission[] {
  const { content, info } = item;
  const lane = laneOfMimeType(info.mimeType);
  const data: Emission = ['data', dataOf(content.text, info.mimeType)];
  if (content.writes) return [...content.writes.map((w): Emission => [lane, w]), data];
  if (lane === 'questions') return [[lane, dataOf(content.text, info.mimeType)], data];
  if (['image', 'video', 'audio', 'tags'].includes(lane)) {
    const value: BinaryValue = { name: info.name, mimeType: info.mimeType, size: info.size, base64: content.base64 ?? Buffer.from(content.text).toString('base64') };
    return [[lane, value], data];
  }
  return [[lane, content.text], data]; // lane/<name>: the item as text on that lane
}

const fileSource: Component = { process: (_lane, _text, item) => itemLanes(item) };

const chatSource: Component = {
  process: (_lane, text, item): Emission[] => [
    ['questions', dataOf(String(text), item.info.mimeType)],
    ['text', text],
  ],
};

export const webhook: ComponentFactory = () => fileSource;
export const dropper: ComponentFactory = () => fileSource;
export const chat: ComponentFactory = () => chatSource;
