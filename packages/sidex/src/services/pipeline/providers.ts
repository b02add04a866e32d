// What the server knows of each provider: its role, the shape of its config and
// the lanes it can emit. The task host has the implementations
// (runtime/pipeline-host/components/); this table is what validation checks a
// pipeline against, without loading or running any of them.
import { z } from 'zod';
import type { ProviderName } from '../../runtime/pipeline-host/components/index.js';
import type { ProviderRole } from '../../runtime/pipeline-host/pipeline.js';

export interface ProviderDefinition {
  role: ProviderRole;
  description: string;
  config: z.ZodType<Record<string, unknown>>;
  /**
   * The lanes a component of this provider can emit, given its config and the
   * lanes it reads; `'any'` when its code decides at run time.
   */
  emits(config: Record<string, unknown>, inputLanes: string[]): string[] | 'any';
}

const text = (what: string) => z.string({ error: `must be a string (${what})` });
/** Built-ins emit on the lane they read, or on `config.lane` when it is set. */
const OutputLane = z.string({ error: 'must be a string naming a lane' }).min(1, 'must not be empty').optional();
const sameLaneOr = (config: Record<string, unknown>, inputLanes: string[]) =>
  typeof config.lane === 'string' ? [config.lane] : [...new Set(inputLanes)];

const SourceConfig = z.looseObject({ mode: z.string().optional() });
/**
 * Item lanes of a source: RocketRide's webhook lanes (the item goes on the one
 * its mime type names), and sidex's `data`, its JSON value when it is JSON.
 */
const ITEM_LANES = ['tags', 'text', 'audio', 'video', 'image', 'questions', 'data'];
export const SOURCE_LANES: Record<string, string[]> = {
  webhook: ITEM_LANES,
  dropper: ITEM_LANES,
  chat: ['questions', 'text'],
};

const source = (name: keyof typeof SOURCE_LANES, description: string): ProviderDefinition => ({
  role: 'source',
  description,
  config: SourceConfig,
  emits: () => SOURCE_LANES[name]!,
});

export const PROVIDERS = {
  webhook: source('webhook', 'source: each item sent to the task, on the lane of its mime type (tags, text, audio, video, image, questions) and on data'),
  dropper: source('dropper', 'source: each file dropped on the task, on the lane of its mime type (tags, text, audio, video, image, questions) and on data'),
  chat: source('chat', 'source: each question asked (lanes questions, text)'),
  code: {
    role: 'transform',
    description: 'the body of an async function of (input, ctx); its return value goes on along the same lane, or {lanes: {...}}',
    config: z.looseObject({
      code: text('the body of an async function').refine((c) => c.trim().length > 0, 'must not be empty'),
    }),
    emits: () => 'any',
  },
  actionblock: {
    role: 'transform',
    description: 'an action block (by name or path) called once per item with {input}',
    config: z
      .looseObject({ name: text('an action block name').min(1).optional(), path: text('an action block path').min(1).optional() })
      .refine((c) => (c.name === undefined) !== (c.path === undefined), 'must set exactly one of "name" and "path"'),
    emits: () => 'any',
  },
  parse: {
    role: 'transform',
    description: 'the text of a document on text: from the raw item on tags (PDF, DOCX, HTML, JSON, CSV, Markdown, plain text), or text as it is (HTML made plain)',
    config: z.looseObject({}),
    emits: () => ['text'],
  },
  splitter: {
    role: 'transform',
    description: 'splits text into pieces, each emitted on its own (config separator, regex, trim, skipEmpty, lane)',
    config: z.looseObject({
      separator: text('the separator').min(1, 'must not be empty').optional(),
      regex: z.boolean({ error: 'must be true or false' }).optional(),
      trim: z.boolean({ error: 'must be true or false' }).optional(),
      skipEmpty: z.boolean({ error: 'must be true or false' }).optional(),
      lane: OutputLane,
    }),
    emits: sameLaneOr,
  },
  json_field: {
    role: 'transform',
    description: 'emits one field (a dotted path such as "user.name") of a JSON value (config field, lane)',
    config: z.looseObject({ field: text('a dotted path').min(1, 'must not be empty'), lane: OutputLane }),
    emits: sameLaneOr,
  },
  template: {
    role: 'transform',
    description: 'fills {{input}}, {{input.x}} and {{item.name}} placeholders of a text (config template, lane)',
    config: z.looseObject({ template: text('the template text'), lane: OutputLane }),
    emits: sameLaneOr,
  },
  question: {
    role: 'transform',
    description: 'text in, a question out (on questions)',
    config: z.looseObject({}),
    emits: () => ['questions'],
  },
  prompt: {
    role: 'transform',
    description: 'adds its instructions (config instructions, a text or a list) and the item\'s text, tables and documents as context to the questions',
    config: z.looseObject({ instructions: z.union([text('an instruction'), z.array(text('an instruction'))]).optional() }),
    emits: () => ['questions'],
  },
  llm_openai: {
    role: 'transform',
    description: 'answers questions through an OpenAI-compatible chat completions endpoint (config model, apikey, serverbase, or the environment), streaming the answer as apaevt_sse events; emits answers',
    config: z.looseObject({
      model: text('a model name').min(1, 'must not be empty').optional(),
      apikey: text('an API key').optional(),
      serverbase: text('the base URL of an OpenAI-compatible API').url('must be a URL (e.g. http://localhost:11434/v1)').optional(),
      profile: text('the name of a profile in the config').optional(),
    }),
    emits: () => ['answers'],
  },
  response: {
    role: 'sink',
    description: 'collects every lane it reads into the item result, one field per lane (text by RocketRide\'s rule: each text followed by a blank line, one entry)',
    config: z.looseObject({}),
    emits: () => [],
  },
  ...responseVariants(),
} satisfies Record<ProviderName, ProviderDefinition>;

/** RocketRide's response_<lane>: a response that collects one lane. */
function responseVariants() {
  const variant = (lane: string): ProviderDefinition => ({
    role: 'sink',
    description: `collects the ${lane} lane into the item result field "${lane}" (config laneName, or key, renames it)`,
    config: z.looseObject({ laneName: text('a result field name').min(1, 'must not be empty').optional(), key: text('a result field name').min(1, 'must not be empty').optional() }),
    emits: () => [],
  });
  return {
    response_text: variant('text'),
    response_answers: variant('answers'),
    response_questions: variant('questions'),
    response_documents: variant('documents'),
    response_table: variant('table'),
    response_image: variant('image'),
    response_audio: variant('audio'),
    response_video: variant('video'),
  };
}

export const PROVIDER_NAMES = Object.keys(PROVIDERS) as ProviderName[];

/** The definition of a provider named in a pipeline file (own keys only: "toString" is no provider). */
export function providerOf(name: string): ProviderDefinition | undefined {
  return Object.hasOwn(PROVIDERS, name) ? PROVIDERS[name as ProviderName] : undefined;
}
