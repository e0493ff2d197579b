import type { Processor } from '../context.js';
import { sweep } from '../sweep.js';
import { sweepSources } from '../sweep-sources.js';

/** Runs every 30 s from a BullMQ job scheduler (worker/main.ts). */
export const processSweep: Processor = async (_job, { knex, dispatcher, logger }) => {
  const enqueued = await sweep(knex, dispatcher, sweepSources, logger);
  return { enqueued };
};
