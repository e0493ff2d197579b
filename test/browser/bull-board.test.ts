import { accountsQueue, eraseAccountJob } from '../../src/accounts/jobs.js';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Browser } from 'playwright-core';
import { startTestApp, type TestApp } from '../support/app.js';
import { launchChromium } from '../support/browser.js';
import { waitFor } from '../support/jobs.js';
import { startTestWorker } from '../support/worker.js';
import { QUEUES } from '../../src/queues.js';

// A real browser on the real board (issue 8): what ops see when a job has failed.
const ADMIN = { ADMIN_USERNAME: 'ops', ADMIN_PASSWORD: 'board-password-1' };
let app: TestApp;
let browser: Browser;
const failedRow = randomUUID();

beforeAll(async () => {
  app = await startTestApp({ env: ADMIN });
  browser = await launchChromium();
  // A job that fails for good, as a broken integration would leave one.
  const worker = await startTestWorker(app.config, [
    {
      job: eraseAccountJob,

      process: async () => {
        throw new Error('simulated failure for the board');
      },
    },
  ]);
  await app.deps.queues
    .of(accountsQueue)
    .add('erase-account', { rowId: failedRow }, { jobId: `erase-account-${failedRow}`, attempts: 1 });
  await waitFor(
    async () => (await app.deps.queues.of(accountsQueue).getJob(`erase-account-${failedRow}`))?.failedReason,
    (reason) => reason !== undefined,
  );
  await worker.stop();
}, 60000);

afterAll(async () => {
  await browser?.close();
  await app?.close();
});

describe('Bull Board in Chromium', () => {
  it('answers 401 without credentials', async () => {
    // Chromium turns a navigation's 401 into an auth prompt (an error, headless), so the
    // browser context's own request API shows the status.
    const context = await browser.newContext();
    const response = await context.request.get(`${app.url}/admin/queues`);
    expect(response.status()).toBe(401);
    expect(response.headers()['www-authenticate']).toContain('Basic');
    await context.close();
  });

  it('renders every queue with credentials, and shows the failed job', async () => {
    const context = await browser.newContext({
      httpCredentials: { username: ADMIN.ADMIN_USERNAME, password: ADMIN.ADMIN_PASSWORD },
    });
    const page = await context.newPage();
    const response = await page.goto(`${app.url}/admin/queues`);
    expect(response?.status()).toBe(200);
    for (const { name: queue } of QUEUES) {
      await page.getByText(queue, { exact: true }).first().waitFor({ timeout: 15000 });
    }
    await page.goto(`${app.url}/admin/queues/queue/accounts?status=failed`);
    await page.getByText('simulated failure for the board').first().waitFor({ timeout: 15000 });
    await page.getByText(`erase-account-${failedRow}`).first().waitFor({ timeout: 15000 });
    await page.screenshot({ path: 'test/browser/.last-bull-board.png', fullPage: true });
    expect(await page.getByText(`erase-account-${failedRow}`).count()).toBeGreaterThan(0);
    await context.close();
  }, 60000);
});
