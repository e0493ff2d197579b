import { Model } from 'objection';

/** A person using the app (docs/resources.md#profile). Identified by their Cognito `sub`. */
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
  /** Set when the account's erasure is requested: from then on the user is gone to every caller. */
  deleted_at!: Date | null;

  static override modifiers = {
    active(query: import('objection').QueryBuilder<User>) {
      void query.whereNull('users.deleted_at');
    },
  };
}

/** The stored columns, whether read through the model or by a plain query. */
export type UserRow = Omit<User, keyof Model>;

/** Users still active (not being erased), for every lookup the API and worker make. */
export const activeUsers = (knex: import('knex').Knex) => User.query(knex).modify('active');
