import sharp, { type Metadata } from 'sharp';
import type { ImageContentType, ProcessingFailure } from './model.js';
import { exifCaptureTime } from './exif-time.js';

// No operation cache: the worker decodes each photo once, and the cache would keep
// decoded pixels of past photos in native memory the V8 heap limit does not see.
sharp.cache(false);

/** The thumbnail's long side, in pixels (docs/resources.md#photos). */
export const THUMBNAIL_SIZE = 320;
const JPEG = { quality: 85, progressive: true } as const;

/** libvips' name for each accepted type; HEIC is refused before upload (no HEVC decoder). */
const SHARP_FORMATS: Record<ImageContentType, string> = {
  'image/jpeg': 'jpeg',
  'image/png': 'png',
  'image/webp': 'webp',
  'image/heic': 'heif',
};

/** A file that will never become a photo, and why, in the words the app is given. */
export class ProcessingRefused extends Error {
  constructor(
    readonly reason: ProcessingFailure,
    message: string,
  ) {
    super(message);
    this.name = 'ProcessingRefused';
  }
}

export interface RenderLimits {
  maxPixels: number;
  timeoutSeconds: number;
}

export interface RenderedPhoto {
  /** JPEG, upright, the picture's own dimensions, no metadata but the colour profile. */
  display: Buffer;
  thumbnail: Buffer;
  width: number;
  height: number;
  /** From EXIF DateTimeOriginal, when the file has one. */
  takenAt: Date | undefined;
}

function decodeFailure(error: unknown): ProcessingRefused {
  const message = error instanceof Error ? error.message : String(error);
  if (/pixel limit/i.test(message))
    return new ProcessingRefused('too_many_pixels', 'The picture is too large');
  if (/timeout/i.test(message))
    return new ProcessingRefused('timeout', 'The picture took too long to process');
  return new ProcessingRefused('corrupt', 'The file is damaged or incomplete');
}

/**
 * Turns an uploaded file into what is served (decision 017): the header is read first, so a
 * file of the wrong type, an animation or a decompression bomb (huge dimensions in a small
 * file) is refused before any pixel is decoded; then the pixels are decoded once per
 * output with the pixel limit and the timeout, turned upright by the EXIF orientation and
 * written as JPEG with no metadata block other than the ICC profile. Every refusal is a
 * ProcessingRefused; anything else thrown is not the file's fault (retried).
 */
export async function renderPhoto(
  input: Uint8Array,
  declared: ImageContentType,
  limits: RenderLimits,
  zone: string,
): Promise<RenderedPhoto> {
  const options = { limitInputPixels: limits.maxPixels, failOn: 'truncated' } as const;
  let metadata: Metadata;
  try {
    metadata = await sharp(input, options).metadata();
  } catch (error) {
    throw decodeFailure(error);
  }
  if (metadata.format !== SHARP_FORMATS[declared])
    throw new ProcessingRefused('type_mismatch', `The file is not ${declared} as declared`);
  if ((metadata.pages ?? 1) > 1)
    throw new ProcessingRefused('animated', 'Animated pictures are not accepted: send a still photo');
  const pixels = (metadata.width ?? 0) * (metadata.pageHeight ?? metadata.height ?? 0);
  if (pixels > limits.maxPixels)
    throw new ProcessingRefused(
      'too_many_pixels',
      `The picture has ${pixels} pixels; at most ${limits.maxPixels} are accepted`,
    );

  // One deadline for the whole photo: sharp's timeout is per pipeline, and there are two.
  const deadline = Date.now() + limits.timeoutSeconds * 1000;
  const pipeline = () => {
    const left = deadline - Date.now();
    if (left <= 0) throw new ProcessingRefused('timeout', 'The picture took too long to process');
    return sharp(input, options)
      .timeout({ seconds: Math.max(1, Math.ceil(left / 1000)) })
      .rotate() // EXIF orientation into the pixels; the tag goes with the rest
      .flatten({ background: '#ffffff' }) // JPEG has no alpha
      .keepIccProfile();
  };
  try {
    const display = await pipeline().jpeg(JPEG).toBuffer({ resolveWithObject: true });
    const thumbnail = await pipeline()
      .resize({ width: THUMBNAIL_SIZE, height: THUMBNAIL_SIZE, fit: 'inside', withoutEnlargement: true })
      .jpeg(JPEG)
      .toBuffer();
    return {
      display: display.data,
      thumbnail,
      width: display.info.width,
      height: display.info.height,
      takenAt: exifCaptureTime(metadata.exif, zone),
    };
  } catch (error) {
    throw error instanceof ProcessingRefused ? error : decodeFailure(error);
  }
}
