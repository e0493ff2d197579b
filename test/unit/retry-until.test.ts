import { describe, expect, it } from '@jest/globals';
import { createLogger } from '../../src/shared/logger.js';
import { retryUntil } from '../../src/shared/process/retry-until.js';
import { LogCapture } from '../support/logs.js';

function capturedLogger() {
  const logs = new LogCapture();
  const logger = createLogger(
    { LOG_LEVEL: 'info', LOG_FORMAT: 'json', LOG_REDACT_SENSITIVE: true },
    {
      name: 'test',
      destination: logs,
    },
  );
  return { logs, logger };
}

describe('retryUntil', () => {
  it('retries until the attempt succeeds; an expected "not yet" is one info line, other failures a warning with the error', async () => {
    const { logs, logger } = capturedLogger();
    const failures = [Object.assign(new Error('no database'), { code: '3D000' }), new Error('boom')];
    const result = await retryUntil(
      logger,
      'waiting for it',
      async () => {
        const failure = failures.shift();
        if (failure) throw failure;
        return 'done';
      },
      10_000,
      (error) => ((error as { code?: string }).code === '3D000' ? 'not created yet' : undefined),
    );
    expect(result).toBe('done');
    const lines = logs.entries().map((line) => ({
      level: line.level,
      msg: line.msg,
      reason: line.reason,
      err: (line.err as { message?: string } | undefined)?.message,
    }));
    expect(lines).toEqual([
      { level: 'info', msg: 'waiting for it', reason: 'not created yet', err: undefined },
      { level: 'warn', msg: 'waiting for it failed; retrying', reason: undefined, err: 'boom' },
    ]);
  });

  it('throws the last error once the deadline would pass', async () => {
    const { logger } = capturedLogger();
    await expect(
      retryUntil(logger, 'never', () => Promise.reject(new Error('still down')), 100),
    ).rejects.toThrow('still down');
  });
});
