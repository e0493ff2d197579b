import type { SweepSource } from './sweep.js';

/** Every kind of row the sweeper watches; each feature adds its own here. */
export const sweepSources: SweepSource[] = [];
