import codebolt from '@sidex/client/codebolt';

// Start multiple executions
const executionIds = [];
for (let i = 0; i < 5; i++) {
  const result = await codebolt.sideExecution.startWithCode(`
    await new Promise(resolve => setTimeout(resolve, 30000));
    return { done: true };
  `);
  executionIds.push(result.data.sideExecutionId);
}

console.log('Started', executionIds.length, 'executions');

// Stop all of them
const stopResults = await Promise.all(
  executionIds.map(id => codebolt.sideExecution.stop(id))
);

console.log('✅ Stopped all executions');
stopResults.forEach((result, index) => {
  console.log(`Execution ${index + 1}: ${result.data.status}`);
});
