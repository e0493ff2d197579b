import { DateTime } from 'luxon';
import type { Answer } from './patients.js';

export { call, newPatient, type Answer, type Patient } from './patients.js';

/** The user's local date `offset` days from today, as the server computes "today". */
export function localDay(zone: string, offset = 0): string {
  return DateTime.now().setZone(zone).plus({ days: offset }).toISODate()!;
}

/** The field paths of a 422. */
export function errorPaths(answer: Answer): string[] {
  return ((answer.body?.errors ?? []) as Array<{ path: string }>).map((error) => error.path);
}
