import codebolt from '@sidex/client/codebolt';

// sidex test: the seed leaves this to the reader ("you'd need a way to track this")
async function getRunningExecutions() {
  const page = await codebolt.sideExecution.list({ status: 'running' });
  return page.data.executions.map((e) => e.sideExecutionId);
}

async function emergencyStop() {
  // List all executions (you'd need a way to track this)
  const runningExecutions = await getRunningExecutions();

  console.log(`🚨 Emergency stop: terminating ${runningExecutions.length} executions`);

  const results = await Promise.allSettled(
    runningExecutions.map(id => codebolt.sideExecution.stop(id))
  );

  const stopped = results.filter(r => r.status === 'fulfilled').length;
  const failed = results.filter(r => r.status === 'rejected').length;

  console.log(`✅ Stopped: ${stopped}, Failed: ${failed}`);
}

// sidex test: three runaway executions, then the emergency stop
for (let i = 0; i < 3; i++) await codebolt.sideExecution.startWithActionBlock('.codebolt/actionblocks/worker');
await emergencyStop();
const left = await getRunningExecutions();
console.log('running after:', left.length);
