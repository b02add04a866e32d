export type { Capability, CapabilityExecutor, CapabilityType, CatalogSource } from '@sidex/protocol';
export { CAPABILITY_TYPES, isCapabilityType } from '@sidex/protocol';
export type { CatalogWarning } from '../warning.js';
