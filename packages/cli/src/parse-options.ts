import { InvalidArgumentError } from 'commander';
import { isCapabilityType, type CapabilityType } from '@sidex/client';
import { jsonTextRefusal } from 'sidex/json-text';
import { MEMORY_LIMIT_TOO_LOW, MIN_MEMORY_LIMIT_MB } from 'sidex/limit-bounds';
import { decimalNumber } from 'sidex/numeric-text';

export function parseJsonObject(value: string): Record<string, unknown> {
  // Too deep, or a number past a double (1e400 would be sent as null).
  const refused = jsonTextRefusal(value, 'the JSON');
  if (refused) throw new InvalidArgumentError(refused);
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch (err) {
    throw new InvalidArgumentError(`not valid JSON: ${(err as Error).message}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new InvalidArgumentError('must be a JSON object, such as {"name": "value"}');
  }
  return parsed as Record<string, unknown>;
}

// Number('') is 0 and Number('0x10') 16: only decimal text is a number here.
export function parseMs(value: string): number {
  const n = decimalNumber(value) ?? NaN;
  if (!Number.isFinite(n) || n < 0) throw new InvalidArgumentError('must be a number of milliseconds, 0 or more');
  return n;
}

/** A memory limit in MB, the flag named in the refusal rather than the option it is sent as. */
export function parseMemoryMb(value: string): number {
  const mb = parsePositive(value);
  if (mb < MIN_MEMORY_LIMIT_MB) throw new InvalidArgumentError(MEMORY_LIMIT_TOO_LOW);
  return mb;
}

export function parsePositive(value: string): number {
  const n = decimalNumber(value) ?? NaN;
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('must be a positive number');
  return n;
}

const UNIT_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** A moment: an ISO date, epoch milliseconds, or an age such as 15m, 2h, 7d (that long ago). */
export function parseMoment(value: string, now = Date.now()): number {
  const age = /^(\d+(?:\.\d+)?)([smhd])$/.exec(value.trim());
  if (age) return now - Number(age[1]) * UNIT_MS[age[2]!]!;
  if (/^\d+$/.test(value.trim())) return Number(value);
  const parsed = Date.parse(value);
  if (Number.isNaN(parsed)) throw new InvalidArgumentError('must be an ISO date, epoch ms, or an age such as 15m, 2h, 7d');
  return parsed;
}

export function parseCapabilityType(value: string): CapabilityType {
  if (!isCapabilityType(value)) throw new InvalidArgumentError('must be skill, power or talent');
  return value;
}
