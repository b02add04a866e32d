import codebolt from '@sidex/client/codebolt';

async function executeWithAutoCleanup(actionBlockPath) {
  const execution = await codebolt.sideExecution.startWithActionBlock(actionBlockPath);
  const executionId = execution.data.sideExecutionId;

  try {
    // Wait for completion
    let status = await codebolt.sideExecution.getStatus(executionId);
    while (status.data.status === 'running') {
      await new Promise(resolve => setTimeout(resolve, 500));
      status = await codebolt.sideExecution.getStatus(executionId);
    }

    return status.data;

  } finally {
    // Ensure cleanup even if errors occur
    const finalStatus = await codebolt.sideExecution.getStatus(executionId);
    if (finalStatus.data.status === 'running') {
      console.log('🧹 Cleaning up: stopping execution...');
      await codebolt.sideExecution.stop(executionId);
    }
  }
}

// sidex test: a call of the function above
const data = await executeWithAutoCleanup('.codebolt/actionblocks/quick');
console.log('ended as:', data.status, JSON.stringify(data.result));
