import type { Job } from 'bullmq';
import type { JobData } from '../../src/shared/jobs/queues.js';

/** A job as a processor sees it, for calling processors directly on a given attempt. */
export function fakeJob(rowId: string, attemptsMade = 0, attempts = 8, rowIds?: string[]): Job<JobData> {
  return {
    id: `fake-${rowId}`,
    data: { rowId, ...(rowIds ? { rowIds } : {}) },
    attemptsMade,
    opts: { attempts },
  } as unknown as Job<JobData>;
}

/** Polls `read` until `done` holds; `what` names the wait in the error when it times out. */
export async function waitFor<T>(
  read: () => Promise<T>,
  done: (value: T) => boolean,
  timeoutMs = 15000,
  what = 'condition',
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline)
      throw new Error(`${what}: not met in ${timeoutMs} ms; last value: ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
