import codebolt from '@sidex/client/codebolt';

// Initialize connection
await codebolt.waitForConnection();

// List available ActionBlocks
const blocks = await codebolt.sideExecution.listActionBlocks();
console.log('Available ActionBlocks:', blocks.data.actionBlocks);

// Start execution with an ActionBlock
const execution = await codebolt.sideExecution.startWithActionBlock(
  '.codebolt/actionblocks/worker', // sidex test: was '/path/to/actionBlock'
  { param1: 'value1' },
  300000 // 5 minute timeout
);
console.log('Started execution:', execution.data.sideExecutionId);

// Check status
const status = await codebolt.sideExecution.getStatus(execution.data.sideExecutionId);
console.log('Execution status:', status.data.status);

// Stop if needed
await codebolt.sideExecution.stop(execution.data.sideExecutionId);
