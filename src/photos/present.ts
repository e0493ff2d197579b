import type { S3Storage } from '../shared/clients/s3.js';
import type { Image } from './model.js';
import type { ImageResponse } from './schema.js';

/** Download links last 15 minutes (docs/resources.md#photos): long enough to show a gallery, short if leaked. */
export const DOWNLOAD_URL_SECONDS = 15 * 60;

/**
 * An uploaded image as the app sees it. Only processed bytes leave the service: once
 * `ready`, fresh presigned GET URLs for the display version and the thumbnail; while
 * `processing` or once `failed`, none (the original is never served).
 */
export async function presentImage(image: Image, s3: S3Storage): Promise<ImageResponse> {
  const state = image.processing_state ?? 'processing';
  const ready = state === 'ready' && image.display_key !== null && image.thumbnail_key !== null;
  const [display, thumbnail] = ready
    ? await Promise.all([
        s3.presignDownload(image.display_key!, DOWNLOAD_URL_SECONDS),
        s3.presignDownload(image.thumbnail_key!, DOWNLOAD_URL_SECONDS),
      ])
    : [undefined, undefined];
  return {
    id: image.id,
    status: ready ? 'ready' : state === 'failed' ? 'failed' : 'processing',
    view: image.view,
    content_type: image.content_type,
    aligner_number: image.aligner_number,
    taken_at: image.taken_at ? image.taken_at.toISOString() : null,
    size_bytes: image.size_bytes ?? 0,
    created_at: image.created_at.toISOString(),
    uploaded_at: (image.uploaded_at ?? image.created_at).toISOString(),
    processed_at: image.processed_at ? image.processed_at.toISOString() : null,
    width: ready ? image.width : null,
    height: ready ? image.height : null,
    failure_reason: state === 'failed' ? image.failure_reason : null,
    url: display?.url ?? null,
    thumbnail_url: thumbnail?.url ?? null,
    url_expires_at: display ? display.expiresAt.toISOString() : null,
  };
}
