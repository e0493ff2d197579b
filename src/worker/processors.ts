import type { ProcessorRegistry } from './context.js';
import { processEraseAccount } from './jobs/erase-account.js';
import { processSweep } from './jobs/sweep.js';

/**
 * Job name → processor, for every job in shared/queues.ts. The type makes a missing
 * processor a compile error; `assertComplete` makes it a start-up error too.
 */
export const processors: ProcessorRegistry = {
  sweep: processSweep,
  eraseAccount: processEraseAccount,
};
