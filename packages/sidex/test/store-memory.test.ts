import { MemoryStore } from '../dist/index.js';
import { storeContract } from './store-contract.js';

storeContract('memory', { open: async () => new MemoryStore() });
