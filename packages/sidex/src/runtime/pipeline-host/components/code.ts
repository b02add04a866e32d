// `code`: config {code}, the body of an async function with `input`, `ctx` and
// `require` in scope, compiled once per task.
import { createRequire } from 'node:module';
import path from 'node:path';
import { compileFunctionBody } from '../../compile-inline.js';
import { CODE_PARAMS, codeFilename } from '../code-component.js';
import { emissionsOf, type ComponentFactory, type Emission } from '../component.js';
import { userContext } from './user-context.js';

export const code: ComponentFactory = (spec, env) => {
  const filename = path.join(env.cwd, codeFilename(spec.id));
  const fn = compileFunctionBody(String(spec.config.code), filename, CODE_PARAMS);
  const require = createRequire(filename);
  const state: Record<string, unknown> = {};
  return {
    async process(lane, input, item) {
      const extra: Emission[] = [];
      const value = await fn(input, userContext(spec, env, state, lane, item, extra), require);
      return [...emissionsOf(lane, value), ...extra];
    },
  };
};
