import codebolt from '@sidex/client/codebolt';

// Start a long-running computation
const execution = await codebolt.sideExecution.startWithCode(`
  const results = [];

  for (let i = 0; i < 100; i++) {
    results.push({ index: i, value: i * i });
    console.log(\`Processed \${i + 1}/100\`);
    await new Promise(resolve => setTimeout(resolve, 100)); // sidex test: was 500
  }

  return { results };
`);

const executionId = execution.data.sideExecutionId;

// Let it run for a bit then stop
await new Promise(resolve => setTimeout(resolve, 600)); // sidex test: was 3000

const stopResult = await codebolt.sideExecution.stop(executionId);

if (stopResult.data.output) {
  console.log('📊 Partial output captured:');
  console.log(stopResult.data.output);
}

if (stopResult.data.result) {
  console.log('📈 Partial results:');
  console.log(stopResult.data.result);
}
