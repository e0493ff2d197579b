// The worker's entry point (docs/operations.md#tracing: tracing starts before the rest loads).
import { startProcess } from '../shared/tracing/entry.js';

await startProcess('worker', () => import('./worker-process.js'));
