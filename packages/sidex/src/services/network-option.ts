import type { SandboxNetwork } from '../engine/sandbox/launch.js';
import { parseAllowlist } from '../engine/sandbox/network/allowlist.js';

/** A start's network, its allowlist checked entry by entry (INVALID_NETWORK names the bad one). */
export function checkedNetwork(network: 'all' | 'none' | { allow: unknown[] }): SandboxNetwork {
  if (typeof network === 'string') return network;
  return { allow: parseAllowlist(network.allow, 'options.network.allow').entries };
}
