import type { LocalDate } from '../shared/time/local-time.js';

/** One recorded switch of aligner (docs/resources.md#aligner-changes); the history is append-only. */
export interface AlignerChange {
  id: string;
  user_id: string;
  aligner_number: number;
  changed_on: LocalDate;
  created_at: Date;
}
