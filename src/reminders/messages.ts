import type { Reminder } from './model.js';

/** What the push says. English only for now: the seed's headings are `{ en: … }`. */
export function reminderMessage(reminder: Pick<Reminder, 'type' | 'aligner_number'>): {
  heading: string;
  message: string;
} {
  if (reminder.type === 'wear')
    return { heading: 'Wear Reminder', message: 'Time to put your aligners back in' };
  return {
    heading: 'Progress Reminder',
    message: reminder.aligner_number
      ? `Today is the day to switch to aligner ${reminder.aligner_number}`
      : 'Today is the day to switch to your next aligner',
  };
}
