import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { KoaAdapter } from '@bull-board/koa';
import type { Middleware } from 'koa';
import type { Config } from '../../shared/config.js';
import type { Queues } from '../../shared/jobs/queues.js';
import { underPrefix } from '../middleware/prefix.js';
import { basicAuth } from './basic-auth.js';

export const BULL_BOARD_PATH = '/admin/queues';

/**
 * Bull Board at /admin/queues (docs/operations.md#bull-board), every queue, behind HTTP Basic. Off — the
 * path is a plain 404 — unless ADMIN_USERNAME and ADMIN_PASSWORD are both set.
 */
export function bullBoard(config: Config, queues: Queues): Middleware[] {
  if (!config.ADMIN_USERNAME || !config.ADMIN_PASSWORD) return [];
  const serverAdapter = new KoaAdapter();
  serverAdapter.setBasePath(BULL_BOARD_PATH);
  createBullBoard({
    queues: queues.all().map((queue) => new BullMQAdapter(queue)),
    serverAdapter,
    options: { uiConfig: { boardTitle: 'Aligner Tracker queues' } },
  });
  return [
    underPrefix(
      BULL_BOARD_PATH,
      basicAuth(config.ADMIN_USERNAME, config.ADMIN_PASSWORD, 'Aligner Tracker queues'),
    ),
    serverAdapter.registerPlugin(),
  ];
}
