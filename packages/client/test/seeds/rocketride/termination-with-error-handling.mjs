// The Python example of the seed, in the TypeScript client's terms.
import { RocketRideClient } from '@sidex/client/rocketride';

const client = new RocketRideClient({ auth: 'your-api-key' });
await client.connect();
const result = await client.use({ filepath: './pipeline.json' });
const token = result.token;

try {
  await client.terminate(token);
  console.log('Pipeline terminated successfully');
} catch (e) {
  console.log(`Failed to terminate pipeline: ${e.message}`);
}

// The documented error cases: a pipeline already terminated,
try {
  await client.terminate(token);
  console.log('Pipeline terminated successfully');
} catch (e) {
  console.log(`Failed to terminate pipeline: ${e.message}`);
}

// and an invalid token.
try {
  await client.terminate('tk_not_a_task');
  console.log('Pipeline terminated successfully');
} catch (e) {
  console.log(`Failed to terminate pipeline: ${e.message}`);
}

await client.disconnect();
