import codebolt from '@sidex/client/codebolt';

// Wait for connection
await codebolt.waitForConnection();

// Start an execution
const started = await codebolt.sideExecution.startWithCode(`
  for (let i = 0; i < 100; i++) {
    console.log(\`Processing item \${i}...\`);
    await new Promise(resolve => setTimeout(resolve, 1000));
  }
  return { completed: true };
`);
const executionId = started.data.sideExecutionId;

// Let it run for a bit
await new Promise(resolve => setTimeout(resolve, 500)); // sidex test: was 3000

// Stop the execution
const result = await codebolt.sideExecution.stop(executionId);
console.log('✅ Execution stopped:', result.data.sideExecutionId);
console.log('Status:', result.data.status);
