import type { Knex } from 'knex';
import { decodeCursor, toPage } from '../api/pagination.js';
import type { AdherenceFigures } from './figures.js';
import type { AdherenceWindow } from './refresh.js';

export interface AtRiskQuery {
  days: AdherenceWindow;
  below_percent: number;
  dentist_id?: number | undefined;
  limit: number;
  cursor?: string | undefined;
}

interface AtRiskRow {
  user_id: string;
  email: string;
  dentist_id: number | null;
  silent: boolean;
  risk_rank: number;
  through: string;
  computed_at: Date;
  figures: AdherenceFigures;
}

/**
 * `GET /internal/adherence/at-risk` (docs/internal-api.md#at-risk): active treatments
 * whose window's average wear is below `below_percent` of the goal, or whose app was
 * silent for the whole window, worst first. One range scan of `adherence_windows_risk`
 * (or `…_dentist_risk`) from the worst row, stopped by the page's limit: its cost grows
 * with the page, not with the number of users. The cursor is the last row's
 * `(risk_rank, user_id)`, so pages stay stable while rows change around them.
 */
export async function atRiskPage(knex: Knex, query: AtRiskQuery) {
  const after = decodeCursor(query.cursor, ['real', 'uuid']);
  // The page is taken from the windows alone (rows exist only for active treatments, by
  // trigger), then its users are read by key: the join never sees more than the page.
  const page = knex('adherence_windows')
    .where('window_days', query.days)
    .where('risk_rank', '<', knex.raw('?::real', [query.below_percent / 100]))
    .modify((q) => {
      if (query.dentist_id !== undefined) void q.where('dentist_id', query.dentist_id);
      if (after) void q.whereRaw('(risk_rank, user_id) > (?::real, ?::uuid)', after);
    })
    .orderBy([
      { column: 'risk_rank', order: 'asc' },
      { column: 'user_id', order: 'asc' },
    ])
    .limit(query.limit + 1)
    .select('user_id', 'dentist_id', 'silent', 'risk_rank', 'through', 'computed_at', 'figures');
  const rows = (await knex
    .from(page.as('a'))
    .join('users as u', 'u.id', 'a.user_id')
    .whereNull('u.deleted_at')
    .orderBy([
      { column: 'a.risk_rank', order: 'asc' },
      { column: 'a.user_id', order: 'asc' },
    ])
    .select(
      'a.user_id',
      'u.email',
      'a.dentist_id',
      'a.silent',
      'a.risk_rank',
      knex.raw(`to_char(a.through, 'YYYY-MM-DD') as through`),
      'a.computed_at',
      'a.figures',
    )) as AtRiskRow[];
  return toPage(
    rows,
    query.limit,
    (row) => [row.risk_rank, row.user_id],
    (row) => ({
      email: row.email,
      dentist_id: row.dentist_id,
      app_silent: row.silent,
      through: row.through,
      computed_at: row.computed_at.toISOString(),
      ...row.figures,
    }),
  );
}
