#!/usr/bin/env node
// Committed stub: npm links workspace bins before `prepare` builds dist/,
// so the bin must exist in the source tree.
await import('../dist/cli/main.js');
