import codebolt from '@sidex/client/codebolt';

const executeWithTimeout = async (skillName, params, timeoutMs) => { // sidex test: type annotations removed
const execution = await codebolt.capability.startSkill(skillName, params);

// Set timeout to stop if not complete
const timeoutId = setTimeout(async () => {
console.log('Timeout reached, stopping execution...');
await codebolt.capability.stopCapability(execution.executionId);
}, timeoutMs);

// Monitor execution
while (true) {
const status = await codebolt.capability.getExecutionStatus(execution.executionId);

if (status.data?.status === 'completed' || status.data?.status === 'failed') {
clearTimeout(timeoutId);
return status.data;
}

await new Promise(resolve => setTimeout(resolve, 50)); // sidex test: was 1000
}
};

// sidex test: the example defines executeWithTimeout only; these lines call it.
const done = await executeWithTimeout('quick-task', { delayMs: 100 }, 5000);
console.log('Finished:', done.status, JSON.stringify(done.result));
const failed = await executeWithTimeout('quick-task', { delayMs: 10, fail: true }, 5000);
console.log('Finished:', failed.status, failed.error);
// sidex test: here the timeout strikes first; the loop above polls on, so the stop is watched from outside.
void executeWithTimeout('long-running-task', {}, 300);
for (;;) {
  const [active] = (await codebolt.capability.getActiveExecutions()).executions;
  const id = active?.id;
  if (id) {
    let status;
    do {
      await new Promise((resolve) => setTimeout(resolve, 50));
      status = (await codebolt.capability.getExecutionStatus(id)).data.status;
    } while (status !== 'stopped');
    console.log('Stopped by the timeout:', status);
    process.exit(0);
  }
  await new Promise((resolve) => setTimeout(resolve, 20));
}
