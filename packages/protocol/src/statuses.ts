// The lists both sides check values against; each union type is derived from
// its list, so that a value added to one is added to the other.

/** Every status of an execution, in the order it goes through them. */
export const EXECUTION_STATUSES = ['queued', 'starting', 'running', 'stopping', 'completed', 'failed', 'stopped', 'timeout'] as const;

export type ExecutionStatus = (typeof EXECUTION_STATUSES)[number];

/** The statuses an execution ends in. */
export const TERMINAL_STATUSES: readonly ExecutionStatus[] = ['completed', 'failed', 'stopped', 'timeout'];

export const isTerminal = (status: ExecutionStatus): boolean => TERMINAL_STATUSES.includes(status);

/** A capability has no `queued`: waiting for a slot is part of starting. */
export type CapabilityStatus = Exclude<ExecutionStatus, 'queued'>;

export const CAPABILITY_TYPES = ['skill', 'power', 'talent'] as const;

export type CapabilityType = (typeof CAPABILITY_TYPES)[number];

export const isCapabilityType = (value: unknown): value is CapabilityType => (CAPABILITY_TYPES as readonly unknown[]).includes(value);
