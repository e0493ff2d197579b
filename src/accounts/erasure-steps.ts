import type { Knex } from 'knex';
import type { AccountErasure } from './model.js';
import type { WorkerContext } from '../shared/jobs/context.js';
import { cancelUserReminders } from '../reminders/erasure-step.js';
import { deleteUserImages } from '../photos/erasure-step.js';

/**
 * One part of erasing an account. Steps run in order, each at most once to completion
 * (the row records which are done), and each must be safe to re-run after a crash
 * midway. External data goes first (its references live in the rows), the rows last.
 */
export interface ErasureStep {
  name: string;
  run(erasure: AccountErasure, context: WorkerContext): Promise<void>;
}

/** Every row of the user: the user row cascades to everything keyed by user id. */
export const deleteUserRows: ErasureStep = {
  name: 'delete-user-rows',
  async run(erasure, { knex }) {
    await knex.transaction(async (trx: Knex.Transaction) => {
      await trx('idempotency_keys').where({ cognito_sub: erasure.cognito_sub }).delete();
      await trx('users').where({ id: erasure.user_id }).delete();
    });
  },
};

/** In order: external data first (its references live in the rows), the rows last. */
export const erasureSteps: readonly ErasureStep[] = [cancelUserReminders, deleteUserImages, deleteUserRows];
