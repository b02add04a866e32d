import codebolt from '@sidex/client/codebolt';

// Start an execution with monitoring
async function executeWithTimeout(executionId, timeoutMs) {
  const startTime = Date.now();

  // Monitor the execution
  const monitor = setInterval(async () => {
    const elapsed = Date.now() - startTime;

    if (elapsed > timeoutMs) {
      clearInterval(monitor);
      console.log('⏱️ Timeout reached, stopping execution...');

      const result = await codebolt.sideExecution.stop(executionId);
      console.log('✅ Execution stopped due to timeout');
      return;
    }

    const status = await codebolt.sideExecution.getStatus(executionId);

    if (status.data.status === 'completed' || status.data.status === 'failed') {
      clearInterval(monitor);
      console.log('✅ Execution finished naturally');
      return;
    }

    console.log(`⏳ Running... (${Math.floor(elapsed / 1000)}s elapsed)`);

  }, 250); // sidex test: was 1000
}

// Usage
const execution = await codebolt.sideExecution.startWithCode(`
  await new Promise(resolve => setTimeout(resolve, 60000));
  return { done: true };
`);

await executeWithTimeout(execution.data.sideExecutionId, 1000); // sidex test: was 10000 (10 second timeout)
