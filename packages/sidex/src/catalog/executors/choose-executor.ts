import { SidexError } from '../../errors.js';
import type { Capability, CapabilityExecutor } from '../capabilities/capability.js';

/**
 * The executor that runs a capability: the one its manifest names (which must
 * support its type), else the first in discovery order that supports its
 * type, so a project's executor takes over from a global or built-in one.
 */
export function chooseExecutor(capability: Capability, executors: readonly CapabilityExecutor[]): CapabilityExecutor {
  if (capability.executor) {
    const named = executors.find((e) => e.name === capability.executor);
    if (!named) {
      throw new SidexError('EXECUTOR_NOT_FOUND', `${capability.type} "${capability.name}" asks for executor "${capability.executor}", which does not exist`, {
        file: capability.path,
        field: 'executor',
      });
    }
    if (!named.supportedTypes.includes(capability.type)) {
      throw new SidexError('EXECUTOR_UNSUPPORTED_TYPE', `executor "${named.name}" does not run ${capability.type}s (it supports ${named.supportedTypes.join(', ')})`, {
        file: capability.path,
        field: 'executor',
      });
    }
    return named;
  }
  const executor = executors.find((e) => e.supportedTypes.includes(capability.type));
  if (!executor) throw new SidexError('NO_EXECUTOR', `no executor supports capabilities of type "${capability.type}"`, { type: capability.type });
  return executor;
}
