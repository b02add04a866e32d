import { MARKER_VAR } from './tree/marker.js';

/** What a child may see of the server's environment; everything else stays out. */
export const DEFAULT_ENV_ALLOW = ['PATH', 'HOME', 'USER', 'LOGNAME', 'SHELL', 'LANG', 'LANGUAGE', 'LC_ALL', 'LC_CTYPE', 'TZ', 'TMPDIR', 'TERM'];

/**
 * The environment a runtime is spawned with: the allow-listed variables of the
 * server's environment, the configured extra variables and the tree marker.
 * Secrets such as SIDEX_API_KEY or database URLs never reach a child.
 */
export function buildBaseEnv(allow: readonly string[], extra: Record<string, string>, marker: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const name of allow) {
    const value = process.env[name];
    if (value !== undefined) env[name] = value;
  }
  Object.assign(env, extra);
  env[MARKER_VAR] = marker;
  return env;
}

/** Variables every execution gets, Codebolt's names included. */
export function executionEnv(id: string, extra: Record<string, string> | undefined): Record<string, string> {
  return { SIDEX_EXECUTION_ID: id, SIDE_EXECUTION_ID: id, IS_SIDE_EXECUTION: 'true', ...extra };
}
