/**
 * A dentist of the directory (docs/dentists.md#directory). The id is Jarvis's: a positive
 * integer, sent back to Jarvis as a JSON number.
 */
export interface Dentist {
  id: number;
  name: string;
  practice_name: string | null;
  city: string | null;
  /** Inactive dentists cannot be asked for; users already with them keep them. */
  active: boolean;
  created_at: Date;
  updated_at: Date;
}

/** Largest id Postgres `integer` holds: a larger one cannot be a dentist of ours. */
export const MAX_DENTIST_ID = 2_147_483_647;
