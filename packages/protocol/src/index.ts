export * from './statuses.js';
export * from './types.js';
export * from './pipeline-types.js';
export * from './workers-types.js';
