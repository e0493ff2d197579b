import { randomUUID } from 'node:crypto';
import type { PresignedUpload } from '../shared/clients/s3.js';
import { imageObjectKey } from './model.js';
import { AppError, notFound } from '../shared/errors.js';
import type { AppDeps } from '../api/deps.js';
import type { CreateImageBody } from './schema.js';
import { withStorage } from './storage.js';

/** A presigned POST is good for 10 minutes (docs/resources.md#photos). */
export const UPLOAD_WINDOW_SECONDS = 600;

/**
 * Starts an upload: a `pending` row and a presigned POST for a key only the server
 * chooses. The pending cap is counted under a lock on the user row, so two requests
 * racing for the last slot cannot both take it.
 */
export async function createUpload(
  deps: Pick<AppDeps, 'knex' | 's3' | 'config' | 'logger'>,
  cognitoSub: string,
  body: CreateImageBody,
): Promise<{ id: string; upload: PresignedUpload }> {
  const { knex, s3, config, logger } = deps;
  if (body.content_type === 'image/heic')
    // The prebuilt libvips decodes HEIF containers with AV1 only (AVIF), not HEVC: the app
    // converts an iPhone's HEIC to JPEG before uploading (docs/resources.md#photos).
    throw new AppError(
      422,
      'heic_not_supported',
      'HEIC photos are not accepted: convert the photo to JPEG on the device, then upload it',
    );
  const id = randomUUID();
  const key = imageObjectKey(cognitoSub, id, body.content_type);
  // Signing is local (no call to S3); done before the transaction takes its lock.
  const upload = await withStorage(logger, 'presign upload', () =>
    s3.presignUpload({
      key,
      contentType: body.content_type,
      maxBytes: config.IMAGE_MAX_BYTES,
      expiresInSeconds: UPLOAD_WINDOW_SECONDS,
    }),
  );

  await knex.transaction(async (trx) => {
    // NO KEY UPDATE: serialises this user's upload requests without blocking rows
    // elsewhere that merely reference the user (their foreign keys take KEY SHARE).
    const user = (await trx('users')
      .where({ cognito_sub: cognitoSub })
      .whereNull('deleted_at')
      .forNoKeyUpdate()
      .first('id')) as { id: string } | undefined;
    if (!user) throw notFound('No profile yet: create it with PUT first');

    const open = (await trx('images')
      .where({ user_id: user.id, status: 'pending' })
      .where('upload_expires_at', '>', trx.fn.now())
      .first(trx.raw('count(*)::int as pending'), trx.raw('min(upload_expires_at) as next_expiry'))) as {
      pending: number;
      next_expiry: Date | null;
    };
    if (open.pending >= config.IMAGE_PENDING_MAX) {
      const waitSeconds = open.next_expiry
        ? Math.max(1, Math.ceil((open.next_expiry.getTime() - Date.now()) / 1000))
        : UPLOAD_WINDOW_SECONDS;
      throw new AppError(
        429,
        'too_many_pending_uploads',
        `At most ${config.IMAGE_PENDING_MAX} uploads may be pending: complete or delete one, or wait for one to expire`,
        { headers: { 'retry-after': String(waitSeconds) } },
      );
    }

    await trx('images').insert({
      id,
      user_id: user.id,
      view: body.view,
      content_type: body.content_type,
      aligner_number: body.aligner_number ?? null,
      taken_at: body.taken_at ? new Date(body.taken_at) : null,
      object_key: key,
      upload_expires_at: upload.expiresAt,
    });
  });
  return { id, upload };
}
