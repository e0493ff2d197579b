// The API's entry point (docs/operations.md#tracing: tracing starts before the rest loads).
import { startProcess } from '../shared/tracing/entry.js';

await startProcess('api', () => import('./api-process.js'));
