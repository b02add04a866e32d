import codebolt from '@sidex/client/codebolt';

async function cancellableExecution(actionBlockPath, onCancel) {
  const result = await codebolt.sideExecution.startWithActionBlock(actionBlockPath);
  const executionId = result.data.sideExecutionId;

  // Setup cancellation handler
  const cancelHandler = () => {
    console.log('🛑 Cancelling execution...');
    codebolt.sideExecution.stop(executionId);
  };

  // Register callback
  onCancel(cancelHandler);

  // Wait for completion
  let status = await codebolt.sideExecution.getStatus(executionId);
  while (status.data.status === 'running') {
    await new Promise(resolve => setTimeout(resolve, 500));
    status = await codebolt.sideExecution.getStatus(executionId);
  }

  return status.data;
}

// sidex test: the user cancels after 700 ms
const data = await cancellableExecution('.codebolt/actionblocks/worker', (cancel) => setTimeout(cancel, 700));
console.log('ended as:', data.status);
