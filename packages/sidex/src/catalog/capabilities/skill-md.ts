import fs from 'node:fs';
import { SidexError } from '../../errors.js';
import { yamlMapping, type Manifest } from '../manifest.js';
import type { CatalogWarning } from '../warning.js';

export const SKILL_FILE = 'SKILL.md';

/** A SKILL.md: YAML front matter between `---` lines, then markdown instructions. */
export interface SkillDoc {
  file: string;
  frontMatter: Manifest;
  instructions: string;
}

const FRONT_MATTER = /^---[ \t]*\r?\n([\s\S]*?)\r?\n---[ \t]*(?:\r?\n|$)/;

/**
 * Reads a SKILL.md. Front matter that is not valid YAML (skills often write
 * `description: Use when: ...`) is read line by line as `key: value` pairs,
 * as Codebolt does, with a warning; an unterminated front matter is an error.
 */
export function readSkillMd(file: string, warnings: CatalogWarning[]): SkillDoc {
  const text = fs.readFileSync(file, 'utf8').replace(/^\uFEFF/, '');
  if (!/^---[ \t]*\r?\n/.test(text)) return { file, frontMatter: {}, instructions: text.trim() };
  const match = FRONT_MATTER.exec(text);
  if (!match) {
    throw new SidexError('INVALID_MANIFEST', `${file}: front matter opened with "---" is never closed`, { file, field: 'frontMatter' });
  }
  const yaml = match[1] ?? '';
  let frontMatter: Manifest;
  try {
    frontMatter = yaml.trim() === '' ? {} : yamlMapping(yaml, file);
  } catch (err) {
    frontMatter = lineByLine(yaml);
    warnings.push({ file, field: 'frontMatter', message: `${(err as Error).message}; read line by line instead` });
  }
  return { file, frontMatter, instructions: text.slice(match[0].length).trim() };
}

function lineByLine(yaml: string): Manifest {
  const out: Manifest = {};
  for (const line of yaml.split(/\r?\n/)) {
    const at = line.indexOf(':');
    if (at <= 0 || /^\s/.test(line)) continue;
    out[line.slice(0, at).trim()] = line.slice(at + 1).trim().replace(/^(["'])(.*)\1$/, '$2');
  }
  return out;
}

/** The first paragraph of the instructions: a skill's description when its front matter has none. */
export function firstParagraph(markdown: string): string {
  const paragraph = markdown.split(/\r?\n\s*\r?\n/).find((p) => p.trim() !== '' && !p.trim().startsWith('#')) ?? '';
  return paragraph.replace(/\s+/g, ' ').trim().slice(0, 500);
}
