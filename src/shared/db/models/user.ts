import { Model } from 'objection';

/** A person using the app (SPEC §3 Profile). Identified by their Cognito `sub`. */
export class User extends Model {
  static override tableName = 'users';

  id!: string;
  cognito_sub!: string;
  email!: string;
  first_name!: string | null;
  last_name!: string | null;
  timezone!: string;
  locale!: string;
  created_at!: Date;
  updated_at!: Date;
}
