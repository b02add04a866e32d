import codebolt from '@sidex/client/codebolt';

const stopAllExecutions = async (executionIds) => { // sidex test: type annotation removed
const results = await Promise.allSettled(
executionIds.map(id => codebolt.capability.stopCapability(id))
);

results.forEach((result, i) => {
if (result.status === 'fulfilled') {
console.log(`Execution ${i} stopped:`, result.value.success);
}
});
};

// sidex test: the use case defines stopAllExecutions only; these lines call it
// on three running executions, one that completed and an unknown id.
const ids = [];
for (let i = 0; i < 3; i++) ids.push((await codebolt.capability.startSkill('long-running-task')).executionId);
const done = (await codebolt.capability.startSkill('quick-task', { delayMs: 0 })).executionId;
while ((await codebolt.capability.getExecutionStatus(done)).data.status !== 'completed') await new Promise((resolve) => setTimeout(resolve, 20));
await stopAllExecutions([...ids, done, 'cap_0_00000000']);
