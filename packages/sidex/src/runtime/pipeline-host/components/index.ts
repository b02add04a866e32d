// The implementation of every provider. The table the server validates
// pipelines against (services/pipeline/providers.ts) must name exactly these:
// it is typed by ProviderName, so a provider missing on either side does not compile.
import type { ComponentFactory } from '../component.js';
import { actionblock } from './actionblock.js';
import { code } from './code.js';
import { parse } from './parse.js';
import { response, response_text } from './responses.js';
import { chat, dropper, webhook } from './sources.js';
import { json_field, splitter, template } from './text.js';

export const FACTORIES = {
  webhook,
  dropper,
  chat,
  code,
  actionblock,
  parse,
  splitter,
  json_field,
  template,
  response,
  response_text,
} satisfies Record<string, ComponentFactory>;

export type ProviderName = keyof typeof FACTORIES;
