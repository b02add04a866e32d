import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { SidexError } from '../errors.js';

export const API_KEY_FILE = 'api-key';

export interface ResolvedKey {
  key: string;
  /** Where it came from: `SIDEX_API_KEY` / config, the key file, or generated now. */
  source: 'configured' | 'file' | 'generated';
  file: string;
}

/**
 * The server's API key: the configured one, else the one stored in the data
 * directory, else a new one written there with mode 0600 (and reported as
 * generated, so that it is printed once).
 */
export function resolveApiKey(dataDir: string, configured: string | undefined): ResolvedKey {
  const file = path.join(dataDir, API_KEY_FILE);
  if (configured) return { key: configured, source: 'configured', file };
  const stored = readKeyFile(file);
  if (stored) return { key: stored, source: 'file', file };
  const key = `sidex_${crypto.randomBytes(24).toString('base64url')}`;
  fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  try {
    fs.writeFileSync(file, `${key}\n`, { mode: 0o600, flag: 'wx' });
  } catch (err) {
    // Another server on this data dir wrote it first: use that one.
    const raced = readKeyFile(file);
    if (raced) return { key: raced, source: 'file', file };
    throw new SidexError('INVALID_CONFIG', `cannot write the API key to ${file}: ${(err as Error).message}`, { field: 'dataDir' });
  }
  return { key, source: 'generated', file };
}

/** The key stored in a data directory, if any (the CLI reads it to talk to a local server). */
export function readKeyFile(file: string): string | undefined {
  try {
    const text = fs.readFileSync(file, 'utf8').trim();
    return text || undefined;
  } catch {
    return undefined;
  }
}

/** Compares presented keys with the server's in constant time (SHA-256 of both, then timingSafeEqual). */
export class KeyCheck {
  private readonly digest: Buffer;

  constructor(key: string) {
    this.digest = sha256(key);
  }

  matches(presented: string | undefined): boolean {
    if (typeof presented !== 'string') return false;
    return crypto.timingSafeEqual(this.digest, sha256(presented));
  }
}

const sha256 = (text: string) => crypto.createHash('sha256').update(text, 'utf8').digest();
