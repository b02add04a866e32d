// The Python example of the seed, in the TypeScript client's terms.
import { RocketRideClient } from '@sidex/client/rocketride';

const client = new RocketRideClient({ auth: 'your-api-key' });
await client.connect();

const result = await client.use({ filepath: 'long_processor.json' });
const token = result.token;
const item = client.send(token, 'a long item'); // something for it to process

// Monitor for a while, then terminate
await new Promise((resolve) => setTimeout(resolve, 200)); // sidex test: was 30 s

const status = await client.getTaskStatus(token);
if (!status.completed) {
  await client.terminate(token);
  console.log('Pipeline was still running — terminated');
} else {
  console.log('Pipeline already completed');
}
console.log('item:', JSON.stringify((await item)?.text));
const after = await client.getTaskStatus(token);
console.log(`final: ${after.status}, ${after.completedCount} completed`);
await client.disconnect();
