import type { S3Storage } from '../shared/clients/s3.js';
import type { Image } from './model.js';
import type { ImageResponse } from './schema.js';

/** Download links last 15 minutes (docs/resources.md#photos): long enough to show a gallery, short if leaked. */
export const DOWNLOAD_URL_SECONDS = 15 * 60;

/** An uploaded image as the app sees it, with a fresh presigned GET URL. */
export async function presentImage(image: Image, s3: S3Storage): Promise<ImageResponse> {
  const download = await s3.presignDownload(image.object_key, DOWNLOAD_URL_SECONDS);
  return {
    id: image.id,
    status: 'uploaded',
    view: image.view,
    content_type: image.content_type,
    aligner_number: image.aligner_number,
    taken_at: image.taken_at ? image.taken_at.toISOString() : null,
    size_bytes: image.size_bytes ?? 0,
    created_at: image.created_at.toISOString(),
    uploaded_at: (image.uploaded_at ?? image.created_at).toISOString(),
    url: download.url,
    url_expires_at: download.expiresAt.toISOString(),
  };
}
