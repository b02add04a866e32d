import codebolt from '@sidex/client/codebolt';

const gracefulShutdown = async (executionId) => { // sidex test: type annotation removed
const stop = await codebolt.capability.stopCapability(executionId);

if (stop.success) {
console.log('Execution stopped cleanly');
// Perform cleanup
}
};

// sidex test: the use case defines gracefulShutdown only; these lines call it,
// on a running execution, then on one that has completed (nothing is printed).
const running = await codebolt.capability.startSkill('long-running-task');
await gracefulShutdown(running.executionId);
const quick = await codebolt.capability.startSkill('quick-task', { delayMs: 0 });
while ((await codebolt.capability.getExecutionStatus(quick.executionId)).data.status !== 'completed') await new Promise((resolve) => setTimeout(resolve, 20));
await gracefulShutdown(quick.executionId);
