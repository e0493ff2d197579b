import { IANAZone } from 'luxon';

/**
 * A real IANA zone name ("Europe/London", "UTC"). Luxon's own zone parser also
 * accepts "local", "system" and fixed offsets, which are not zones a user lives in.
 */
export function isValidTimeZone(zone: string): boolean {
  return /^[A-Za-z][A-Za-z0-9_+-]*(\/[A-Za-z0-9_+-]+)*$/.test(zone) && IANAZone.isValidZone(zone);
}
