// `actionblock`: the block's function, called once per item with {input}. The
// server resolved and confined its entry (config name or path) before the task
// started; it runs in the task's process, so the stop protocol covers it.
import { loadBlock } from '../../load-block.js';
import { emissionsOf, type ComponentFactory, type Emission } from '../component.js';
import { userContext } from './user-context.js';

export const actionblock: ComponentFactory = async (spec, env) => {
  const entry = spec.blockEntry;
  if (!entry) throw new Error(`component "${spec.id}": the action block was not resolved`);
  const fn = await loadBlock(entry);
  if (!fn) throw new Error(`component "${spec.id}": action block entry ${entry} exports no function`);
  const state: Record<string, unknown> = {};
  return {
    async process(lane, input, item) {
      const extra: Emission[] = [];
      const ctx = { ...userContext(spec, env, state, lane, item, extra), params: { input } };
      const value = await fn({ input }, ctx);
      return [...emissionsOf(lane, value), ...extra];
    },
  };
};
