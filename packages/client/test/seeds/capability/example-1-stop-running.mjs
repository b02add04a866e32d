import codebolt from '@sidex/client/codebolt';

// Start an execution
const execution = await codebolt.capability.startSkill('long-running-task');

// Later, stop it
const stopResult = await codebolt.capability.stopCapability(execution.executionId);

if (stopResult.success) {
console.log('Execution stopped successfully');
} else {
console.error('Failed to stop:', stopResult.error);
}
