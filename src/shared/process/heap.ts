/**
 * The V8 flag every API and worker process runs with (Dockerfiles, `npm start`,
 * `npm run start:api|start:worker`, the benchmarks, the end-to-end tests; a unit
 * test keeps the files that cannot import this in step).
 *
 * V8 sizes the heap's growth from its limit, which by default is a share of the
 * machine's memory (4 GB on a 24 GB host): under load a process then carries
 * 100+ MB of garbage it has no reason to collect yet, and sat at 250–270 MB
 * resident. The live set is ~50 MB; with a 256 MB limit the same load leaves it
 * at ~150 MB resident, at the same throughput, with 5× headroom before the limit.
 * Ops can raise it per deployment through NODE_OPTIONS, which comes later on the
 * command line and wins.
 */
export const HEAP_LIMIT_FLAG = '--max-old-space-size=256';
