import { RocketRideClient } from '@sidex/client/rocketride';

const client = new RocketRideClient({ auth: 'your-api-key' });
await client.connect();

const result = await client.use({ filepath: './pipeline.json' });

// Send some data
await client.send(result.token, 'Process this text');

// Terminate the pipeline
await client.terminate(result.token);
console.log('Pipeline terminated successfully');

await client.disconnect();
