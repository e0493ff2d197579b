import type { Knex } from 'knex';
import { Dentist } from './dentist-model.js';
import { notFound } from '../shared/errors.js';
import { decodeCursor, toPage } from '../api/pagination.js';
import { presentDentist, presentDentistSummary, type DentistRow } from './present.js';
import { type DentistSearchQuery, type PutDentistBody } from './schema.js';

/** `q` as a literal substring for ILIKE: `%`, `_` and the escape character itself match only themselves. */
export function containsPattern(q: string): string {
  return `%${q.replace(/[\\%_]/g, (character) => `\\${character}`)}%`;
}

/**
 * The app's directory (docs/dentists.md#directory): active dentists whose name, practice or city contains
 * `q`, by name. Keyset pagination on (name, id): stable while Jarvis edits the directory.
 */
export async function searchDentists(knex: Knex, query: DentistSearchQuery) {
  const after = decodeCursor(query.cursor, ['text', 'int4']);
  const pattern = query.q ? containsPattern(query.q) : undefined;
  const rows = await knex<Dentist>('dentists')
    .where({ active: true })
    .modify((q) => {
      if (pattern)
        void q.where((match) =>
          match
            .whereRaw(`name ilike ? escape '\\'`, [pattern])
            .orWhereRaw(`practice_name ilike ? escape '\\'`, [pattern])
            .orWhereRaw(`city ilike ? escape '\\'`, [pattern]),
        );
      if (after) void q.whereRaw('(name, id) > (?::text, ?::integer)', after);
    })
    .orderBy([
      { column: 'name', order: 'asc' },
      { column: 'id', order: 'asc' },
    ])
    .limit(query.limit + 1);
  return toPage(rows, query.limit, (row) => [row.name, row.id], presentDentistSummary);
}

/**
 * Jarvis's upsert (docs/internal-api.md#dentists). Fields left out keep their current value, so a partial
 * sync never reactivates a dentist nor wipes a practice; a new dentist is active.
 */
export async function upsertDentist(knex: Knex, id: number, body: PutDentistBody) {
  const given = Object.fromEntries(
    (['name', 'practice_name', 'city', 'active'] as const)
      .filter((field) => body[field] !== undefined)
      .map((field) => [field, body[field]]),
  );
  const [row] = (await knex('dentists')
    .insert({ id, ...given })
    .onConflict('id')
    .merge({ ...given, updated_at: knex.fn.now() })
    // xmax = 0 only on a freshly inserted tuple: tells 201 from 200 in one statement.
    .returning(['*', knex.raw('(xmax = 0) as inserted')])) as Array<DentistRow & { inserted: boolean }>;
  const { inserted, ...dentist } = row!;
  return { dentist: presentDentist(dentist), created: inserted };
}

/** DELETE deactivates (docs/internal-api.md#dentists): users and requests keep pointing at the row. */
export async function deactivateDentist(knex: Knex, id: number): Promise<void> {
  const updated = await knex('dentists')
    .where({ id })
    .update({ active: false, updated_at: knex.raw('case when active then now() else updated_at end') });
  if (updated === 0) throw notFound('No such dentist');
}
