// Action blocks on disk (no test-runner imports: the reliability suite uses it too).
import fs from 'node:fs';
import path from 'node:path';

/** Writes an action block into a project's `.codebolt/actionblocks/<name>`. */
export function writeBlock(projectDir: string, name: string, source: string): string {
  const dir = path.join(projectDir, '.codebolt', 'actionblocks', name);
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'actionblock.yml'), `name: ${name}\ndescription: test block ${name}\nversion: 1.0.0\nentryPoint: index.js\n`);
  fs.writeFileSync(path.join(dir, 'index.js'), source);
  return dir;
}
