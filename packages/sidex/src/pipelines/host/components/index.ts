// The implementation of every provider of providers/registry.ts; the type makes
// a provider without one a compile error.
import type { ProviderName } from '../../providers/registry.js';
import type { ComponentFactory } from '../component.js';
import { actionblock } from './actionblock.js';
import { code } from './code.js';
import { response, response_text } from './responses.js';
import { chat, dropper, webhook } from './sources.js';
import { json_field, splitter, template } from './text.js';

export const FACTORIES: Record<ProviderName, ComponentFactory> = {
  webhook,
  dropper,
  chat,
  code,
  actionblock,
  splitter,
  json_field,
  template,
  response,
  response_text,
};
