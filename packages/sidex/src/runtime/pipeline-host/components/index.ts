// The implementation of every provider. The table the server validates
// pipelines against (services/pipeline/providers.ts) must name exactly these:
// it is typed by ProviderName, so a provider missing on either side does not compile.
import type { ComponentFactory } from '../component.js';
import { actionblock } from './actionblock.js';
import { code } from './code.js';
import { parse } from './parse.js';
import { llm_openai } from './llm-openai.js';
import { prompt, question } from './questions.js';
import { response, response_answers, response_audio, response_documents, response_image, response_questions, response_table, response_text, response_video } from './responses.js';
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
  question,
  prompt,
  llm_openai,
  response,
  response_text,
  response_answers,
  response_questions,
  response_documents,
  response_table,
  response_image,
  response_audio,
  response_video,
} satisfies Record<string, ComponentFactory>;

export type ProviderName = keyof typeof FACTORIES;
