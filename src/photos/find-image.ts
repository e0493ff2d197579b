import type { Knex } from 'knex';
import { Image, type ImageStatus } from './model.js';
import { notFound } from '../shared/errors.js';
import { findProfile } from '../users/profile.js';

/**
 * An image of this user only (docs/auth.md#object-ownership): another user's id, an unknown one and (where
 * a status is asked for) one in another state are the same 404.
 */
export async function findOwnImage(
  knex: Knex,
  cognitoSub: string,
  imageId: string,
  status?: ImageStatus,
): Promise<Image> {
  const user = await findProfile(knex, cognitoSub);
  const image = await knex<Image>('images')
    .where({ id: imageId, user_id: user.id })
    .first()
    .modify((query) => {
      if (status) void query.where({ status });
    });
  if (!image) throw notFound('No such image');
  return image;
}
