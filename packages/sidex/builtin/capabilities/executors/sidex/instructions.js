// The built-in executor's entry, for capabilities without code of their own:
// the result is the SKILL.md's instructions (read when the run starts, so an
// edited file is what the caller gets).
import fs from 'node:fs';

export default async function instructions({ capability, params }) {
  if (!capability.skillFile) {
    throw new Error(`${capability.type} "${capability.name}" has neither code nor a SKILL.md`);
  }
  const text = fs.readFileSync(capability.skillFile, 'utf8').replace(/^\uFEFF/, '');
  const body = text.replace(/^---[ \t]*\r?\n[\s\S]*?\r?\n---[ \t]*(?:\r?\n|$)/, '').trim();
  return { name: capability.name, type: capability.type, instructions: body, params };
}
