import codebolt from '@sidex/client/codebolt';

// Stop multiple executions with individual error handling
async function batchStop(executionIds) {
  const results = {
    stopped: [],
    failed: [],
    alreadyStopped: []
  };

  for (const id of executionIds) {
    try {
      const result = await codebolt.sideExecution.stop(id);

      if (result.data.status === 'stopped') {
        results.stopped.push(id);
        console.log(`✅ Stopped execution: ${id}`);
      } else if (result.data.status === 'already_stopped') {
        results.alreadyStopped.push(id);
        console.log(`ℹ️ Execution already stopped: ${id}`);
      } else {
        results.failed.push({ id, reason: result.data.status });
        console.log(`⚠️ Unexpected status for ${id}: ${result.data.status}`);
      }

    } catch (error) {
      results.failed.push({ id, error: error.message });
      console.error(`❌ Failed to stop ${id}:`, error.message);
    }
  }

  console.log('\\n📊 Batch Stop Summary:');
  console.log(`  Stopped: ${results.stopped.length}`);
  console.log(`  Already stopped: ${results.alreadyStopped.length}`);
  console.log(`  Failed: ${results.failed.length}`);

  return results;
}

// Usage
const ids = ['id1', 'id2', 'id3', 'id4', 'id5'];
await batchStop(ids);
