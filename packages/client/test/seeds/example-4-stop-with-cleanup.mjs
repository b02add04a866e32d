import codebolt from '@sidex/client/codebolt';

// Start execution that needs cleanup
const execution = await codebolt.sideExecution.startWithCode(`
  // Simulate resource usage
  const resources = ['resource1', 'resource2', 'resource3'];

  try {
    await new Promise(resolve => setTimeout(resolve, 30000));
    return { success: true };
  } finally {
    console.log('Cleaning up resources...');
  }
`);

const executionId = execution.data.sideExecutionId;

// Stop with cleanup handling
async function stopWithCleanup(id) {
  console.log('🛑 Stopping execution...');

  const result = await codebolt.sideExecution.stop(id);

  if (result.success) {
    console.log('✅ Execution stopped successfully');

    // Perform any additional cleanup
    console.log('🧹 Performing additional cleanup...');

    // Log the stop
    console.log('Stopped at:', result.data.stoppedAt);
  } else {
    console.error('❌ Failed to stop execution:', result.error);
  }

  return result;
}

await stopWithCleanup(executionId);
