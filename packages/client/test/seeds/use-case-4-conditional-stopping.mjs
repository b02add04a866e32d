import codebolt from '@sidex/client/codebolt';

async function executeWithCondition(actionBlockPath, condition) {
  const execution = await codebolt.sideExecution.startWithActionBlock(actionBlockPath);
  const executionId = execution.data.sideExecutionId;

  const monitor = setInterval(async () => {
    const status = await codebolt.sideExecution.getStatus(executionId);

    // Check custom condition
    if (await condition(status.data)) {
      clearInterval(monitor);
      console.log('🛑 Condition met, stopping execution...');
      await codebolt.sideExecution.stop(executionId);
    }

    if (status.data.status !== 'running') {
      clearInterval(monitor);
    }

  }, 1000);

  return executionId;
}

// Usage: Stop if memory usage is too high
await executeWithCondition('.codebolt/actionblocks/memory-intensive', async (status) => { // sidex test: was '/tasks/memory-intensive'
  console.log('memoryUsage:', status.memoryUsage); // sidex test: shows what the condition sees
  return status.memoryUsage > 100000000; // sidex test: was 1000000000 (1GB); the test block holds ~150 MB
});
