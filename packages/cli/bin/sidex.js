#!/usr/bin/env node
// The `sidex` command is this package's, not the server package's: the CLI
// sits on the SDK and on `sidex` (for `serve` and the embedded `run`), so
// `sidex` has no bin, and no dependency on the CLI, to close a cycle with.
// Committed stub: npm links workspace bins before `prepare` builds dist/,
// so the bin must exist in the source tree.
await import('../dist/main.js');
