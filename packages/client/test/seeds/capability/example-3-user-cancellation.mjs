import codebolt from '@sidex/client/codebolt';

let currentExecution = null; // sidex test: type annotation removed

// Start execution
const start = async () => {
const result = await codebolt.capability.startSkill('interactive-task');
currentExecution = result.executionId;
return result;
};

// Cancel execution
const cancel = async () => {
if (currentExecution) {
const result = await codebolt.capability.stopCapability(currentExecution);
console.log('Cancelled:', result.success);
currentExecution = null;
}
};

// Usage
await start();
// ... user clicks cancel button
await cancel();
// sidex test: a second click has nothing left to cancel.
await cancel();
