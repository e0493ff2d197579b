import type { StoredObject } from '../shared/clients/s3.js';
import { Image, deletionsForImage, recordObjectDeletions } from './model.js';
import { processImageJob } from './jobs.js';
import { commitThenDispatch } from '../shared/db/transaction.js';
import { AppError } from '../shared/errors.js';
import type { AppDeps } from '../api/deps.js';
import { SNIFF_BYTES, sniffImageType } from './content-sniffing.js';
import { findOwnImage } from './find-image.js';
import { withStorage } from './storage.js';

type Deps = Pick<AppDeps, 'knex' | 's3' | 'config' | 'logger' | 'dispatcher'>;

/**
 * Why an object may not become this image, or undefined when it may. Real S3 already
 * enforced the policy's size and type; S3-compatible servers may not (s3rver does
 * not), and a declared type says nothing of the bytes, so both are checked here.
 */
async function objectProblem(deps: Deps, image: Image, stored: StoredObject): Promise<string | undefined> {
  const max = deps.config.IMAGE_MAX_BYTES;
  if (stored.size < 1) return 'the file is empty';
  if (stored.size > max) return `the file is ${stored.size} bytes; at most ${max} are accepted`;
  const storedType = (stored.contentType ?? '').split(';')[0]!.trim().toLowerCase();
  if (storedType !== image.content_type)
    return `the file was sent as ${JSON.stringify(storedType.slice(0, 100))}, not ${image.content_type} as declared`;
  const start = await withStorage(deps.logger, 'read object start', () =>
    deps.s3.readStart(image.object_key, SNIFF_BYTES),
  );
  if (sniffImageType(start) !== image.content_type) return `the file's content is not ${image.content_type}`;
  return undefined;
}

/**
 * A refused object is deleted at once, and the image discarded (the app starts a new
 * upload). Should S3 refuse the delete, the worker owes it; either way a late upload
 * with the old presigned POST is deleted once that POST has expired.
 */
async function discard(deps: Deps, image: Image): Promise<void> {
  let deletedNow = true;
  try {
    await deps.s3.deleteObject(image.object_key);
  } catch (error) {
    deletedNow = false;
    deps.logger.warn(
      { err: error, image_id: image.id },
      'could not delete a refused upload; the worker will',
    );
  }
  await commitThenDispatch(deps.knex, deps.dispatcher, async (trx, jobs) => {
    await trx('images').where({ id: image.id, status: 'pending' }).delete();
    const owed = deletionsForImage(image, 'object_invalid').filter(
      (deletion) => !deletedNow || deletion.notBefore !== undefined,
    );
    await recordObjectDeletions(trx, jobs, owed);
  });
}

/**
 * `POST /images/{id}/complete` (docs/resources.md#photos): checks the uploaded object with HEAD (and
 * its first bytes), marks the image uploaded and `processing`, and asks the worker to
 * process it (./process-image-job.ts). Completing an uploaded image again
 * answers it again.
 */
export async function completeUpload(deps: Deps, cognitoSub: string, imageId: string): Promise<Image> {
  const image = await findOwnImage(deps.knex, cognitoSub, imageId);
  if (image.status === 'uploaded') return image;

  const stored = await withStorage(deps.logger, 'head object', () => deps.s3.head(image.object_key));
  if (!stored)
    throw new AppError(
      422,
      'object_missing',
      'Nothing has been uploaded for this image yet: send the file with the presigned POST, then complete',
    );
  const problem = await objectProblem(deps, image, stored);
  if (problem) {
    await discard(deps, image);
    throw new AppError(
      422,
      'object_invalid',
      `The upload was refused and deleted (${problem}); start a new upload`,
    );
  }

  // The row first, the processing job after the commit (docs/dispatch.md#jobs-after-commit).
  const updated = await commitThenDispatch(deps.knex, deps.dispatcher, async (trx, jobs) => {
    const [row] = (await trx<Image>('images')
      .where({ id: image.id, status: 'pending' })
      .update({
        status: 'uploaded',
        processing_state: 'processing',
        size_bytes: stored.size,
        uploaded_at: new Date(),
      })
      .returning('*')) as unknown as Image[];
    if (row) jobs.push({ job: processImageJob, rowId: row.id });
    return row;
  });
  // Nothing updated: a concurrent complete won (answer its result) or a DELETE did (404).
  return updated ?? (await findOwnImage(deps.knex, cognitoSub, imageId, 'uploaded'));
}
