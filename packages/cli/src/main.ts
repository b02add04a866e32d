import { Command, CommanderError } from 'commander';
import { registerRun } from './commands/run.js';
import { registerExec } from './commands/exec.js';
import { registerServe } from './commands/serve.js';
import { registerWorker } from './commands/worker.js';
import { registerWorkers } from './commands/workers.js';
import { registerStart } from './commands/start.js';
import { registerStatus } from './commands/status.js';
import { registerStop } from './commands/stop.js';
import { registerLs } from './commands/ls.js';
import { registerTop } from './commands/top.js';
import { registerLogs } from './commands/logs.js';
import { registerBlocks } from './commands/blocks.js';
import { registerPipeline } from './commands/pipeline.js';
import { registerCapabilities } from './commands/capabilities.js';
import { registerCapabilityRun } from './commands/capability-run.js';
import { EXIT } from './exit-codes.js';
import { VERSION } from 'sidex/version';

// A reader that stops early (`sidex ls | head`) closes the pipe: end as a
// program ended by SIGPIPE does (128 + 13), not with an unhandled EPIPE stack.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code !== 'EPIPE') throw err;
    process.exit(128 + 13);
  });
}

const program = new Command('sidex')
  .description('Run code in isolated child processes, watch it, and stop it safely.')
  .version(VERSION)
  .showHelpAfterError()
  .exitOverride();

registerRun(program);
registerExec(program);
registerServe(program);
registerWorker(program);
registerWorkers(program);
registerStart(program);
registerStatus(program);
registerStop(program);
registerLs(program);
registerTop(program);
registerLogs(program);
registerBlocks(program);
registerCapabilities(program);
registerCapabilityRun(program);
registerPipeline(program);

try {
  await program.parseAsync(process.argv);
} catch (err) {
  if (err instanceof CommanderError) {
    process.exitCode = err.exitCode === 0 ? 0 : EXIT.usage;
  } else {
    process.stderr.write(`sidex: ${(err as Error).stack ?? String(err)}\n`);
    process.exitCode = EXIT.failed;
  }
}
