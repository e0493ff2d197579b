export type ErasureStatus = 'pending' | 'completed' | 'failed';

/** An account erasure in progress or done (docs/resources.md#account-erasure); outlives the user row. */
export interface AccountErasure {
  id: string;
  user_id: string;
  cognito_sub: string;
  status: ErasureStatus;
  completed_steps: string[];
  attempts: number;
  last_error: string | null;
  requested_at: Date;
  completed_at: Date | null;
}
