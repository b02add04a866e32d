import type { CapabilityType } from '@sidex/client';

export type { Capability, CapabilityExecutor, CapabilityType, CatalogSource } from '@sidex/client';
export type { CatalogWarning } from '../warning.js';

export const CAPABILITY_TYPES = ['skill', 'power', 'talent'] as const satisfies readonly CapabilityType[];
// A type the client's union gains and this list lacks fails to compile.
const everyTypeListed: [Exclude<CapabilityType, (typeof CAPABILITY_TYPES)[number]>] extends [never] ? true : never = true;

export const isCapabilityType = (value: unknown): value is CapabilityType => (CAPABILITY_TYPES as readonly unknown[]).includes(value);
