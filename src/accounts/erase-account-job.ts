import { AccountErasure } from './model.js';
import type { Processor } from '../shared/jobs/context.js';
import { errorMessage, isLastAttempt } from '../shared/jobs/attempts.js';
import { erasureSteps, type ErasureStep } from './erasure-steps.js';

/**
 * Erases an account step by step (docs/resources.md#account-erasure). Re-reads the row and skips steps
 * already done, so a retry, a duplicate job or a sweeper re-enqueue resumes rather
 * than repeats; the last failed attempt leaves the row `failed` with the reason.
 */
export function eraseAccountProcessor(steps: readonly ErasureStep[] = erasureSteps): Processor {
  return async (job, context) => {
    const { knex, logger } = context;
    const erasure = await knex<AccountErasure>('account_erasures').where({ id: job.data.rowId }).first();
    if (!erasure || erasure.status !== 'pending') return { skipped: erasure?.status ?? 'missing' };
    await knex('account_erasures').where({ id: erasure.id }).increment('attempts', 1);
    try {
      for (const step of steps) {
        if (erasure.completed_steps.includes(step.name)) continue;
        await step.run(erasure, context);
        erasure.completed_steps = [...erasure.completed_steps, step.name];
        await knex('account_erasures')
          .where({ id: erasure.id })
          .update({ completed_steps: erasure.completed_steps });
      }
      await knex('account_erasures')
        .where({ id: erasure.id })
        .update({ status: 'completed', completed_at: new Date(), last_error: null });
      logger.info({ erasure_id: erasure.id, steps: erasure.completed_steps }, 'account erased');
      return { erased: true };
    } catch (error) {
      const last = isLastAttempt(job);
      await knex('account_erasures')
        .where({ id: erasure.id })
        .update({ last_error: errorMessage(error), ...(last ? { status: 'failed' as const } : {}) });
      throw error;
    }
  };
}

export const processEraseAccount = eraseAccountProcessor();
