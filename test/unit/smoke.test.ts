import { describe, expect, it } from '@jest/globals';
import { DateTime } from 'luxon';

describe('toolchain', () => {
  it('runs TypeScript ESM tests with luxon', () => {
    expect(DateTime.fromISO('2026-03-29T12:00', { zone: 'Europe/London' }).offset).toBe(60);
  });
});
