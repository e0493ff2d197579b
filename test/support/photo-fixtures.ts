import { randomBytes } from 'node:crypto';
import sharp from 'sharp';
import type { TestApp } from './app.js';
import type { ImageBody, Patient } from './image-fixtures.js';
import { waitFor } from './jobs.js';

/** A phone's EXIF: where, with what and when the photo was taken, and how to turn it. */
export interface PhoneExif {
  orientation?: number;
  make?: string;
  model?: string;
  /** EXIF form, `YYYY:MM:DD hh:mm:ss`. */
  takenAt?: string;
  offset?: string;
  gps?: boolean;
}

/**
 * A real JPEG as a phone writes it: the stored pixels are `width` × `height`, the top half
 * red and the bottom half blue (so an orientation applied shows where the top went), with
 * the EXIF tags asked for.
 */
export async function makePhoneJpeg(width: number, height: number, exif: PhoneExif = {}): Promise<Buffer> {
  const pixels = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y += 1)
    for (let x = 0; x < width; x += 1)
      pixels.set(y < height / 2 ? [220, 20, 20] : [20, 20, 220], (y * width + x) * 3);
  let image = sharp(pixels, { raw: { width, height, channels: 3 } }).jpeg({ quality: 90 });
  if (exif.orientation) image = image.withMetadata({ orientation: exif.orientation });
  return image
    .withExif({
      IFD0: {
        ...(exif.make ? { Make: exif.make } : {}),
        ...(exif.model ? { Model: exif.model } : {}),
      },
      IFD2: {
        ...(exif.takenAt ? { DateTimeOriginal: exif.takenAt } : {}),
        ...(exif.offset ? { OffsetTimeOriginal: exif.offset } : {}),
      },
      ...(exif.gps
        ? {
            IFD3: {
              GPSLatitudeRef: 'N',
              GPSLatitude: '48/1 51/1 2406/100',
              GPSLongitudeRef: 'E',
              GPSLongitude: '2/1 21/1 789/100',
            },
          }
        : {}),
    })
    .toBuffer();
}

/** A photo of random pixels (does not compress): a realistic file size for its dimensions. */
export function makeNoiseJpeg(width: number, height: number, quality = 85): Promise<Buffer> {
  return sharp(randomBytes(width * height * 3), { raw: { width, height, channels: 3 } })
    .jpeg({ quality })
    .toBuffer();
}

/**
 * A decompression bomb: a valid 8 × 8 JPEG whose frame header claims `side` × `side`
 * pixels. A few hundred bytes that would decode to gigabytes.
 */
export async function makeJpegBomb(side = 65_000): Promise<Buffer> {
  const bytes = Buffer.from(
    await sharp({ create: { width: 8, height: 8, channels: 3, background: '#3366cc' } })
      .jpeg()
      .toBuffer(),
  );
  for (let at = 2; at + 4 < bytes.length; at += 2 + bytes.readUInt16BE(at + 2)) {
    const marker = bytes[at + 1]!;
    if (marker >= 0xc0 && marker <= 0xc2) {
      bytes.writeUInt16BE(side, at + 5); // height
      bytes.writeUInt16BE(side, at + 7); // width
      return bytes;
    }
  }
  throw new Error('no frame header found');
}

/** An animated WebP of `frames` different frames. */
export async function makeAnimatedWebp(frames = 3, side = 24): Promise<Buffer> {
  const raw = randomBytes(side * side * 3 * frames);
  return sharp(raw, { raw: { width: side, height: side * frames, channels: 3, pageHeight: side } })
    .webp({ loop: 0 })
    .toBuffer();
}

export async function getImage(app: TestApp, patient: Patient, id: string): Promise<ImageBody> {
  const response = await app.request(`${patient.base}/${id}`, { token: patient.token });
  if (response.status !== 200) throw new Error(`image ${id}: ${response.status} ${await response.text()}`);
  return (await response.json()) as ImageBody;
}

/** Waits for the worker to be done with an image (ready or failed), as the app polls. */
export function waitForProcessed(app: TestApp, patient: Patient, id: string, timeoutMs = 30_000) {
  return waitFor(
    () => getImage(app, patient, id),
    (image) => image.status !== 'processing',
    timeoutMs,
    `image ${id} processed`,
  );
}

/** Downloads a presigned GET. */
export async function fetchBytes(
  url: string,
): Promise<{ status: number; type: string | null; bytes: Buffer }> {
  const response = await fetch(url);
  return {
    status: response.status,
    type: response.headers.get('content-type'),
    bytes: Buffer.from(await response.arrayBuffer()),
  };
}
