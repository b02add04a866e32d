import codebolt from '@sidex/client/codebolt';

async function executeWithTimeout(actionBlockPath, params, timeoutMs) {
  const result = await codebolt.sideExecution.startWithActionBlock(
    actionBlockPath,
    params,
    timeoutMs
  );

  const executionId = result.data.sideExecutionId;

  // Set timeout
  const timeoutHandle = setTimeout(async () => {
    console.log('⏱️ Timeout reached, stopping execution...');
    await codebolt.sideExecution.stop(executionId);
  }, timeoutMs);

  // Wait for completion
  let status;
  do {
    await new Promise(resolve => setTimeout(resolve, 500));
    status = await codebolt.sideExecution.getStatus(executionId);
  } while (status.data.status === 'running');

  clearTimeout(timeoutHandle);

  return status.data;
}

// sidex test: calls of the function above
const finished = await executeWithTimeout('.codebolt/actionblocks/worker', { durationMs: 300 }, 5000);
console.log('finished:', finished.status, JSON.stringify(finished.result));
const limited = await executeWithTimeout('.codebolt/actionblocks/worker', { durationMs: 30000 }, 1000);
console.log('limited:', limited.status);
