import type { Reminder, WeeklySummaryFigures } from './model.js';

/** Hours to one decimal, without a trailing ".0": 1170 minutes is "19.5", 1200 is "20". */
const hours = (minutes: number) => String(Math.round(minutes / 6) / 10);

/**
 * What the push says. English only for now: the seed's headings are `{ en: … }`. A
 * progress reminder whose readiness check found a deficit says how the aligner was worn
 * and how many more days to consider (docs/reminders.md#readiness-check).
 */
export function reminderMessage(
  reminder: Pick<Reminder, 'type' | 'aligner_number' | 'suggested_extra_days' | 'average_wear_minutes'> &
    Partial<Pick<Reminder, 'summary'>>,
): {
  heading: string;
  message: string;
} {
  if (reminder.type === 'weekly_summary')
    return {
      heading: 'Your week',
      // Never without figures: the schedule job fixes them before the call.
      message: reminder.summary ? weeklySummaryMessage(reminder.summary) : 'Your weekly summary is ready',
    };
  if (reminder.type === 'wear')
    return { heading: 'Wear Reminder', message: 'Time to put your aligners back in' };
  const extra = reminder.suggested_extra_days ?? 0;
  if (extra > 0 && reminder.aligner_number && reminder.average_wear_minutes !== null) {
    const days = extra === 1 ? '1 more day' : `${extra} more days`;
    return {
      heading: 'Progress Reminder',
      message:
        `You wore aligner ${reminder.aligner_number - 1} for ${hours(reminder.average_wear_minutes)} h a day ` +
        `on average; consider ${days} before switching — check with your dentist`,
    };
  }
  return {
    heading: 'Progress Reminder',
    message: reminder.aligner_number
      ? `Today is the day to switch to aligner ${reminder.aligner_number}`
      : 'Today is the day to switch to your next aligner',
  };
}

const plural = (count: number, one: string) => (count === 1 ? `1 ${one}` : `${count} ${one}s`);

/**
 * The weekly summary's text (docs/reminders.md#weekly-summary), made of its fixed figures
 * only: "21.5 h a day on average, goal met on 5 of 7 days, 12-day streak. Aligner 5: on
 * track". A part without a figure (no complete day yet, no streak, no treatment) is left out.
 */
export function weeklySummaryMessage(figures: WeeklySummaryFigures): string {
  const week = [
    ...(figures.average_wear_minutes === null
      ? []
      : [`${hours(figures.average_wear_minutes)} h a day on average`]),
    `goal met on ${figures.days_goal_met} of ${plural(figures.tracked_days, 'day')}`,
    ...(figures.current_streak_days > 0 ? [`${figures.current_streak_days}-day streak`] : []),
  ].join(', ');
  const text = week.charAt(0).toUpperCase() + week.slice(1);
  const { aligner } = figures;
  if (!aligner) return `${text}.`;
  if (aligner.suggested_extra_days === 0 || aligner.average_wear_minutes === null)
    return `${text}. Aligner ${aligner.number}: on track`;
  return (
    `${text}. Aligner ${aligner.number}: ${hours(aligner.average_wear_minutes)} h a day so far; ` +
    `consider ${plural(aligner.suggested_extra_days, 'more day')} before switching — check with your dentist`
  );
}
