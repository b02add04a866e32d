// `llm_openai`: answers questions through any OpenAI-compatible chat
// completions endpoint (OpenAI, Ollama, vLLM, LM Studio) with the official
// `openai` package. The answer streams: each piece is an `apaevt_sse` event
// of type `token` ({text}) for the item's client; the whole answer goes on
// along `answers` (its JSON value when the question expects JSON).
//
// Config (RocketRide's profile form `{profile: 'x', x: {...}}` is read too):
// model, apikey (or apiKey), serverbase (or baseURL); else the environment:
// ROCKETRIDE_OPENAI_KEY / OPENAI_API_KEY, ROCKETRIDE_OPENAI_BASE_URL /
// OPENAI_BASE_URL, ROCKETRIDE_OPENAI_MODEL / OPENAI_MODEL (default gpt-4o-mini).
import { asText, type ComponentFactory } from '../component.js';
import { questionOf, type Question } from './questions.js';

const DEFAULT_MODEL = 'gpt-4o-mini';

export interface LlmSettings {
  model: string;
  apiKey: string;
  baseURL?: string;
}

const str = (v: unknown) => (typeof v === 'string' && v !== '' ? v : undefined);

export function llmSettings(config: Record<string, unknown>, env: NodeJS.ProcessEnv = process.env): LlmSettings {
  const profileName = str(config.profile);
  const profile = profileName && config[profileName] && typeof config[profileName] === 'object' ? (config[profileName] as Record<string, unknown>) : {};
  const pick = (...keys: string[]) => keys.map((k) => str(profile[k]) ?? str(config[k])).find((v) => v !== undefined);
  const baseURL = pick('serverbase', 'baseURL', 'baseUrl') ?? str(env.ROCKETRIDE_OPENAI_BASE_URL) ?? str(env.OPENAI_BASE_URL);
  const apiKey = pick('apikey', 'apiKey') ?? str(env.ROCKETRIDE_OPENAI_KEY) ?? str(env.OPENAI_API_KEY);
  if (!apiKey && !baseURL) throw new Error('llm_openai: no API key: set config.apikey, or ROCKETRIDE_OPENAI_KEY / OPENAI_API_KEY (a local server needs only config.serverbase)');
  return {
    model: pick('model') ?? str(env.ROCKETRIDE_OPENAI_MODEL) ?? str(env.OPENAI_MODEL) ?? DEFAULT_MODEL,
    apiKey: apiKey ?? 'none', // local servers (Ollama, vLLM, LM Studio) take any key
    ...(baseURL ? { baseURL } : {}),
  };
}

/** The chat messages of a Question: instructions, context and examples as the system message, the questions as the user's. */
export function messagesOf(q: Question): Array<{ role: 'system' | 'user'; content: string }> {
  const system: string[] = [];
  for (const i of q.instructions) system.push(`${i.subtitle}: ${i.instructions}`);
  if (q.context.length > 0) system.push(`Context:\n${q.context.join('\n')}`);
  for (const d of q.documents) system.push(`Document:\n${asText((d as { page_content?: unknown })?.page_content ?? d)}`);
  for (const e of q.examples) system.push(`Example: given ${e.given}, answer ${asText(e.result)}`);
  if (q.expectJson) system.push('Answer with JSON only, no other text.');
  const user = q.questions.map((x) => x.text).join('\n');
  return [...(system.length > 0 ? [{ role: 'system' as const, content: system.join('\n\n') }] : []), { role: 'user', content: user }];
}

/** The JSON of an answer that should be JSON (fences and text around it tolerated), else the text. */
function jsonAnswer(text: string): unknown {
  const fenced = /```(?:json)?\s*([\s\S]*?)```/.exec(text)?.[1] ?? text;
  try {
    return JSON.parse(fenced.trim());
  } catch {
    return text;
  }
}

export const llm_openai: ComponentFactory = async ({ config }, env) => {
  const settings = llmSettings(config);
  const { default: OpenAI } = await import('openai');
  const client = new OpenAI({ apiKey: settings.apiKey, ...(settings.baseURL ? { baseURL: settings.baseURL } : {}), maxRetries: 1 });
  return {
    async process(_lane, value, item) {
      const q = questionOf(value);
      const stream = await client.chat.completions.create({ model: settings.model, messages: messagesOf(q), stream: true }, { signal: env.signal });
      let answer = '';
      for await (const chunk of stream) {
        const text = chunk.choices[0]?.delta?.content ?? '';
        if (!text) continue;
        answer += text;
        item.sse('token', { text });
      }
      item.sse('answer', { text: answer });
      return [['answers', q.expectJson ? jsonAnswer(answer) : answer]];
    },
  };
};
