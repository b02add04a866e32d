import { SidexError } from '../../errors.js';
import { isObject, type Manifest } from '../manifest.js';

export const CODEBOLT_SDK = '@codebolt/codeboltjs';

/**
 * Whether a block is a Codebolt SDK program (it connects back to its host
 * over the WebSocket and never exits by itself). The manifest's `codebolt:
 * true|false` decides when present; otherwise a package.json that depends on
 * the Codebolt SDK (in any dependency list: bundled blocks keep it in
 * devDependencies) makes it one.
 */
export function isCodeboltProgram(manifest: Manifest, pkg: Manifest | undefined, file: string): boolean {
  const flag = manifest.codebolt;
  if (flag !== undefined && flag !== null) {
    if (typeof flag !== 'boolean') {
      throw new SidexError('INVALID_MANIFEST', `${file}: field "codebolt" must be true or false`, { file, field: 'codebolt' });
    }
    return flag;
  }
  const lists = ['dependencies', 'devDependencies', 'peerDependencies', 'optionalDependencies'];
  return lists.some((list) => {
    const deps = pkg?.[list];
    return isObject(deps) && CODEBOLT_SDK in deps;
  });
}
