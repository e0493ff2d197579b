/** Days added to the wear of one aligner (docs/resources.md#extensions). */
export interface TreatmentExtension {
  id: string;
  user_id: string;
  /** The aligner that was current when the extension was asked for. */
  aligner_number: number;
  days: number;
  reason: string | null;
  created_at: Date;
}
