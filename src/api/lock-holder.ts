// Kept until src/watch imports liveLockHolder from the store, where the lock lives.
export { liveLockHolder } from '../adapters/store/lock.js';
