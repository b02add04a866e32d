// Questions, as RocketRide's Question (what its client's `chat` sends and its
// `question` and `prompt` components build): questions, instructions,
// context, examples, documents, expectJson.
import { asText, type ComponentFactory, type ItemScope } from '../component.js';

export interface Question {
  type?: string;
  expectJson?: boolean;
  questions: Array<{ text: string }>;
  instructions: Array<{ subtitle: string; instructions: string }>;
  context: string[];
  examples: Array<{ given: string; result: string }>;
  documents: unknown[];
  [key: string]: unknown;
}

/** A Question from what a lane carries: a Question (or its JSON), else text asked as one question. */
export function questionOf(value: unknown): Question {
  let data = value;
  if (typeof value === 'string') {
    try {
      data = JSON.parse(value);
    } catch {
      data = undefined;
    }
  }
  const q = data && typeof data === 'object' && !Array.isArray(data) ? (data as Partial<Question>) : undefined;
  if (!q || !Array.isArray(q.questions)) return { questions: [{ text: asText(value) }], instructions: [], context: [], examples: [], documents: [] };
  return { ...q, questions: q.questions, instructions: q.instructions ?? [], context: q.context ?? [], examples: q.examples ?? [], documents: q.documents ?? [] };
}

/** `question`: text in, a question out (RocketRide's `question` component). */
export const question: ComponentFactory = () => ({
  process: (_lane, value) => [['questions', questionOf(value)]],
});

/** What `prompt` has gathered for an item: its text becomes the context of the item's questions. */
const gathered = new WeakMap<ItemScope['result'], string[]>();

/**
 * `prompt`: text, tables and documents of the item become context of its
 * questions, and its `instructions` (config, a text or a list) are added to
 * them. Values are taken in the order they arrive: context that comes after
 * the question is not in it.
 */
export const prompt: ComponentFactory = ({ config }) => {
  const configured = config.instructions ?? ['Please provide a detailed and helpful response to the following question:'];
  const instructions = (Array.isArray(configured) ? configured : [configured]).map(String);
  return {
    process(lane, value, item) {
      const context = gathered.get(item.result) ?? [];
      gathered.set(item.result, context);
      if (lane !== 'questions') {
        context.push(asText(value));
        return [];
      }
      const q = questionOf(value);
      const named = instructions.map((text, i) => ({ subtitle: instructions.length > 1 ? `User Instruction ${i + 1}` : 'User Instruction', instructions: text }));
      return [['questions', { ...q, context: [...q.context, ...context], instructions: [...q.instructions, ...named] }]];
    },
  };
};
