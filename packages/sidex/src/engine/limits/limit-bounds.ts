// Bounds of the limits a start may ask for, shared by the engine and the services' schemas.

/** An idle runtime alone holds about a dozen tasks (node's threads; bwrap's two in a sandbox). */
export const MIN_PIDS_LIMIT = 32;
/**
 * The smallest memory limit a start may ask for. A runtime holds 10-25 MB before it runs any code,
 * and a limit below that fails the start (cgroup v1 refuses to set it) or kills the code at once.
 */
export const MIN_MEMORY_LIMIT_MB = 32;
/** The refusal of a memory limit under it, wherever the limit is given (a start's option, a flag, a server default). */
export const MEMORY_LIMIT_TOO_LOW = `must be at least ${MIN_MEMORY_LIMIT_MB} MB (a runtime holds 10-25 MB before it runs any code)`;
/** Linux's PID_MAX_LIMIT on 64-bit machines. */
export const MAX_PIDS_LIMIT = 4_194_304;
/** The kernel's smallest CFS quota, 1 ms, over sidex's 100 ms period. */
export const MIN_CPU_LIMIT = 0.01;
export const MAX_CPU_LIMIT = 1024;

/** A limit given in MB (a start's option, a server's default), in the bytes the engine takes. */
export const bytesOfMb = (mb: number): number => Math.round(mb * 1024 * 1024);
