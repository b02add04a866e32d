export { Engine, type EngineOptions, type EngineEvents, type OutputEvent, type StopOptions, type StopOutcome } from './engine.js';
export type { StartSpec } from './execution.js';
export * from '../model/record.js';
export type { LogFrame, StreamName } from './output/log-format.js';
export type { TrackingMode } from './tree/tree-tracker.js';
export type { GuardianExit, GuardianRestart, RunGuardian, StartGuardian } from './run-guardian.js';
