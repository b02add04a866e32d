// The shapes the dashboard reads; the server's wire contract is @sidex/protocol.
import type { ExecutionStatus, StatusFields } from '@sidex/protocol';

/** An execution as status and list replies give it (type-only: nothing of the protocol package is bundled). */
export type Execution = StatusFields;

export const TERMINAL = new Set<ExecutionStatus>(['completed', 'failed', 'stopped', 'timeout']);

export function kindOf(e: Execution): string {
  return e.command ? 'command' : e.isRuntimeCode ? 'inline' : 'block';
}

export function bytes(n: number | undefined): string {
  if (!n) return '0';
  if (n >= 1024 ** 3) return `${(n / 1024 ** 3).toFixed(1)} GB`;
  if (n >= 1024 ** 2) return `${(n / 1024 ** 2).toFixed(1)} MB`;
  return `${Math.round(n / 1024)} KB`;
}

export function duration(ms: number | undefined): string {
  if (ms === undefined) return '';
  if (ms < 1000) return `${ms} ms`;
  const s = ms / 1000;
  return s < 60 ? `${s.toFixed(1)} s` : `${Math.floor(s / 60)} m ${Math.round(s % 60)} s`;
}

export const time = (ms: number | undefined) => (ms ? new Date(ms).toLocaleTimeString() : '');
