import { describe, expect, it } from '@jest/globals';
import sharp from 'sharp';
import { exifCaptureTime } from '../../../src/photos/exif-time.js';
import { ProcessingRefused, renderPhoto } from '../../../src/photos/render.js';

async function exifOf(tags: Record<string, string>): Promise<Buffer | undefined> {
  const jpeg = await sharp({ create: { width: 8, height: 8, channels: 3, background: '#808080' } })
    .jpeg()
    .withExif({ IFD2: tags })
    .toBuffer();
  return (await sharp(jpeg).metadata()).exif;
}

describe('taken_at from EXIF (src/photos/exif-time.ts)', () => {
  it("reads DateTimeOriginal in the camera's offset when it wrote one, else in the patient's zone", async () => {
    const withOffset = await exifOf({
      DateTimeOriginal: '2026:11:20 08:30:00',
      OffsetTimeOriginal: '-05:00',
    });
    expect(exifCaptureTime(withOffset, 'Europe/Paris')?.toISOString()).toBe('2026-11-20T13:30:00.000Z');
    const local = await exifOf({ DateTimeOriginal: '2026:07:01 08:30:00' });
    expect(exifCaptureTime(local, 'Europe/Paris')?.toISOString()).toBe('2026-07-01T06:30:00.000Z');
  });

  it('gives no date, never an error, for a missing, malformed or truncated block', async () => {
    const good = await exifOf({ DateTimeOriginal: '2026:07:01 08:30:00' });
    expect(exifCaptureTime(undefined, 'UTC')).toBeUndefined();
    expect(exifCaptureTime(await exifOf({ DateTimeOriginal: 'yesterday' }), 'UTC')).toBeUndefined();
    expect(exifCaptureTime(await exifOf({ DateTimeOriginal: '2026:13:45 99:00:00' }), 'UTC')).toBeUndefined();
    expect(exifCaptureTime(Buffer.from('Exif\0\0MM\0*\xff\xff\xff\xff', 'latin1'), 'UTC')).toBeUndefined();
    for (let length = 0; length < good!.length; length += 7)
      expect(exifCaptureTime(good!.subarray(0, length), 'UTC')).toBeUndefined();
  });
});

describe('one processing deadline per photo (IMAGE_PROCESSING_TIMEOUT_SECONDS)', () => {
  it('fails a photo whose two renderings together outlast the timeout, with reason timeout', async () => {
    // 49 MP, turned by its orientation tag: about 2–4 s of work on 2 cores, over a 1 s limit.
    const photo = await sharp({
      create: {
        width: 700,
        height: 700,
        channels: 3,
        background: '#888888',
        noise: { type: 'gaussian', mean: 128, sigma: 50 },
      },
    })
      .png()
      .toBuffer()
      .then((small) =>
        sharp(small).resize(7000, 7000).jpeg({ quality: 80 }).withMetadata({ orientation: 6 }).toBuffer(),
      );
    const started = Date.now();
    const outcome = await renderPhoto(
      photo,
      'image/jpeg',
      { maxPixels: 50_000_000, timeoutSeconds: 1 },
      'UTC',
    ).catch((error: unknown) => error);
    expect(outcome).toBeInstanceOf(ProcessingRefused);
    expect(outcome).toMatchObject({ reason: 'timeout' });
    expect(Date.now() - started).toBeLessThan(10_000);
  }, 60_000);
});
