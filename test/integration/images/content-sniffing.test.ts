// Pure (no I/O): what `complete` believes a file is, from its first bytes.
import { describe, expect, it } from '@jest/globals';
import { sniffImageType } from '../../../src/photos/content-sniffing.js';
import { makePng } from '../../support/image-fixtures.js';

const bytes = (...parts: Array<string | number[]>) =>
  Uint8Array.from(
    parts.flatMap((part) => (typeof part === 'string' ? [...Buffer.from(part, 'latin1')] : part)),
  );

describe('sniffImageType', () => {
  it.each([
    ['a PNG', makePng(1, 1), 'image/png'],
    ['a JPEG (JFIF)', bytes([0xff, 0xd8, 0xff, 0xe0, 0, 0x10], 'JFIF'), 'image/jpeg'],
    ['a JPEG (Exif)', bytes([0xff, 0xd8, 0xff, 0xe1, 0x12, 0x34], 'Exif'), 'image/jpeg'],
    ['a WebP', bytes('RIFF', [0x24, 0, 0, 0], 'WEBPVP8 '), 'image/webp'],
    ['an iPhone HEIC', bytes([0, 0, 0, 0x18], 'ftypheic', [0, 0, 0, 0]), 'image/heic'],
    ['a generic HEIF', bytes([0, 0, 0, 0x1c], 'ftypmif1', [0, 0, 0, 0]), 'image/heic'],
  ])('recognises %s', (_name, data, type) => {
    expect(sniffImageType(data)).toBe(type);
  });

  it.each([
    ['nothing', bytes()],
    ['a GIF', bytes('GIF89a', [1, 0, 1, 0])],
    ['a PDF', bytes('%PDF-1.7\n')],
    ['HTML', bytes('<!doctype html>')],
    ['an MP4 (ftyp, not a HEIF brand)', bytes([0, 0, 0, 0x18], 'ftypisom', [0, 0, 0, 0])],
    ['a RIFF that is not WebP (WAV)', bytes('RIFF', [0x24, 0, 0, 0], 'WAVEfmt ')],
    ['a truncated PNG signature', bytes([0x89, 0x50, 0x4e, 0x47])],
    ['two bytes of a JPEG', bytes([0xff, 0xd8])],
  ])('recognises nothing in %s', (_name, data) => {
    expect(sniffImageType(data)).toBeUndefined();
  });
});
