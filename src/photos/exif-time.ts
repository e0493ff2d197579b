import { DateTime } from 'luxon';

const EXIF_IFD_POINTER = 0x8769;
const DATE_TIME_ORIGINAL = 0x9003;
const OFFSET_TIME_ORIGINAL = 0x9011;

type Reader = { u16(at: number): number; u32(at: number): number };

/** The ASCII value of `tag` in the IFD at `ifd`, or undefined (values of 4 bytes or fewer sit in the entry). */
function asciiTag(tiff: Buffer, read: Reader, ifd: number, tag: number): string | undefined {
  if (ifd + 2 > tiff.length) return undefined;
  const count = read.u16(ifd);
  for (let index = 0; index < count; index += 1) {
    const entry = ifd + 2 + index * 12;
    if (entry + 12 > tiff.length) return undefined;
    if (read.u16(entry) !== tag) continue;
    const length = read.u32(entry + 4);
    const start = length <= 4 ? entry + 8 : read.u32(entry + 8);
    if (start + length > tiff.length) return undefined;
    return tiff.toString('latin1', start, start + length).replace(/\0+$/, '');
  }
  return undefined;
}

function pointerTag(tiff: Buffer, read: Reader, ifd: number, tag: number): number | undefined {
  if (ifd + 2 > tiff.length) return undefined;
  const count = read.u16(ifd);
  for (let index = 0; index < count; index += 1) {
    const entry = ifd + 2 + index * 12;
    if (entry + 12 > tiff.length) return undefined;
    if (read.u16(entry) === tag) return read.u32(entry + 8);
  }
  return undefined;
}

/**
 * When the photo was taken, from its EXIF block as sharp hands it over (`Exif\0\0` and a
 * TIFF structure): DateTimeOriginal, in OffsetTimeOriginal's offset when the camera wrote
 * one, else in `zone` (the patient's time zone: phones write local time). Undefined when
 * absent or unreadable; a malformed block is never an error, only no date.
 */
export function exifCaptureTime(exif: Buffer | undefined, zone: string): Date | undefined {
  if (!exif || exif.length < 14) return undefined;
  const tiff = exif.subarray(0, 6).toString('latin1') === 'Exif\0\0' ? exif.subarray(6) : exif;
  const order = tiff.toString('latin1', 0, 2);
  if (order !== 'II' && order !== 'MM') return undefined;
  const little = order === 'II';
  const read: Reader = {
    u16: (at) => (little ? tiff.readUInt16LE(at) : tiff.readUInt16BE(at)),
    u32: (at) => (little ? tiff.readUInt32LE(at) : tiff.readUInt32BE(at)),
  };
  try {
    const exifIfd = pointerTag(tiff, read, read.u32(4), EXIF_IFD_POINTER);
    if (exifIfd === undefined) return undefined;
    const taken = asciiTag(tiff, read, exifIfd, DATE_TIME_ORIGINAL);
    const match = taken?.match(/^(\d{4}):(\d{2}):(\d{2}) (\d{2}):(\d{2}):(\d{2})$/);
    if (!match) return undefined;
    const offset = asciiTag(tiff, read, exifIfd, OFFSET_TIME_ORIGINAL);
    const iso = `${match[1]}-${match[2]}-${match[3]}T${match[4]}:${match[5]}:${match[6]}`;
    const when = /^[+-]\d{2}:\d{2}$/.test(offset ?? '')
      ? DateTime.fromISO(`${iso}${offset}`, { setZone: true })
      : DateTime.fromISO(iso, { zone });
    return when.isValid ? when.toJSDate() : undefined;
  } catch {
    return undefined; // a pointer past the end: no date
  }
}
