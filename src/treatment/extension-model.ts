import { Model } from 'objection';

/** Days added to the wear of one aligner (docs/resources.md#extensions). */
export class TreatmentExtension extends Model {
  static override tableName = 'treatment_extensions';

  id!: string;
  user_id!: string;
  /** The aligner that was current when the extension was asked for. */
  aligner_number!: number;
  days!: number;
  reason!: string | null;
  created_at!: Date;
}
