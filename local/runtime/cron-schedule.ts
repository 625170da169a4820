/**
 * Fire times of EventBridge Scheduler cron expressions, `cron(minutes hours day-of-month month day-of-week year)`,
 * in UTC: what runs a schedule locally (the backup verifier). Syntax is checked by lib/config/cron-expression.ts
 * first; this evaluates every form it accepts: `*`, `?`, values, names, ranges, steps, lists, `L`, `W`, `LW`,
 * `nL` and `n#k`. https://docs.aws.amazon.com/scheduler/latest/UserGuide/schedule-types.html#cron-based
 */
import { cronExpressionProblem } from '../../lib/config/cron-expression';

const MONTHS = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
const DAYS = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];
/** The last year EventBridge accepts: no fire time is looked for beyond it. */
const LAST_YEAR = 2199;
const MINUTE_MS = 60_000;

/** A parsed schedule: `next(after)` is the first fire time strictly after `after`, or undefined if none is left. */
export interface CronSchedule {
  readonly expression: string;
  next(after: Date): Date | undefined;
}

type DayMatcher = (year: number, month: number, day: number) => boolean;

/** Parses a cron expression; throws an Error saying what is wrong when it is not one. */
export function parseCronSchedule(expression: string): CronSchedule {
  const problem = cronExpressionProblem(expression);
  if (problem !== undefined) throw new Error(`schedule '${expression}' ${problem}`);
  const fields = /^cron\((.*)\)$/.exec(expression)?.[1]?.trim().split(/\s+/) ?? [];
  const [minutesField, hoursField, domField, monthField, dowField, yearField] = fields as [
    string,
    string,
    string,
    string,
    string,
    string,
  ];
  const minutes = valueSet(minutesField, 0, 59);
  const hours = valueSet(hoursField, 0, 23);
  const months = valueSet(monthField, 1, 12, MONTHS);
  const years = valueSet(yearField, 1970, LAST_YEAR);
  const dayMatches: DayMatcher = domField === '?' ? dayOfWeekMatcher(dowField) : dayOfMonthMatcher(domField);

  return {
    expression,
    next(after) {
      // The first whole minute strictly after `after`.
      const start = new Date(Math.floor(after.getTime() / MINUTE_MS) * MINUTE_MS + MINUTE_MS);
      let year = start.getUTCFullYear();
      let month = start.getUTCMonth() + 1;
      let day = start.getUTCDate();
      let fromMinuteOfDay = start.getUTCHours() * 60 + start.getUTCMinutes();
      // Only the first day searched starts later than midnight.
      for (; year <= LAST_YEAR; year++, month = 1, day = 1, fromMinuteOfDay = 0) {
        if (!years.has(year)) continue;
        for (; month <= 12; month++, day = 1, fromMinuteOfDay = 0) {
          if (!months.has(month)) continue;
          const length = daysInMonth(year, month);
          for (; day <= length; day++, fromMinuteOfDay = 0) {
            if (!dayMatches(year, month, day)) continue;
            const minuteOfDay = firstTimeFrom(hours, minutes, fromMinuteOfDay);
            if (minuteOfDay !== undefined) {
              return new Date(Date.UTC(year, month - 1, day, Math.floor(minuteOfDay / 60), minuteOfDay % 60));
            }
          }
        }
      }
      return undefined;
    },
  };
}

/** The first `hour * 60 + minute` of the day at or after `from` that both sets allow. */
function firstTimeFrom(
  hours: ReadonlySet<number>,
  minutes: ReadonlySet<number>,
  from: number,
): number | undefined {
  for (let hour = Math.floor(from / 60); hour < 24; hour++) {
    if (!hours.has(hour)) continue;
    for (let minute = hour === Math.floor(from / 60) ? from % 60 : 0; minute < 60; minute++) {
      if (minutes.has(minute)) return hour * 60 + minute;
    }
  }
  return undefined;
}

/** Values of a plain field (`*`, values, names, ranges, steps, lists). */
function valueSet(field: string, min: number, max: number, names?: readonly string[]): Set<number> {
  const values = new Set<number>();
  for (const item of field.toUpperCase().split(',')) {
    const [range = '*', stepText] = item.split('/');
    const step = stepText === undefined ? 1 : Number(stepText);
    let from = min;
    let to = max;
    if (range !== '*') {
      const [low = '', high] = range.split('-');
      from = valueOf(low, min, names);
      // `a/step` runs from a to the end of the field, as in EventBridge.
      to = high !== undefined ? valueOf(high, min, names) : stepText !== undefined ? max : from;
    }
    if (from <= to) {
      for (let value = from; value <= to; value += step) values.add(value);
    } else {
      // A wrapping range, e.g. FRI-MON or 22-2.
      for (let offset = 0; offset <= max - from + (to - min) + 1; offset += step) {
        values.add(from + offset <= max ? from + offset : min + (from + offset - max - 1));
      }
    }
  }
  return values;
}

function valueOf(text: string, min: number, names?: readonly string[]): number {
  const named = names?.indexOf(text) ?? -1;
  return named >= 0 ? min + named : Number(text);
}

function dayOfMonthMatcher(field: string): DayMatcher {
  const items = field.toUpperCase().split(',');
  const plain = items.filter((item) => !/[LW]/.test(item));
  const values = plain.length > 0 ? valueSet(plain.join(','), 1, 31) : new Set<number>();
  const special = items.filter((item) => /[LW]/.test(item));
  return (year, month, day) => {
    if (values.has(day)) return true;
    const last = daysInMonth(year, month);
    return special.some((item) => {
      if (item === 'L') return day === last;
      if (item === 'LW') return day === nearestWeekday(year, month, last);
      const target = Number(item.slice(0, -1)); // nW
      return target <= last && day === nearestWeekday(year, month, target);
    });
  };
}

function dayOfWeekMatcher(field: string): DayMatcher {
  const items = field.toUpperCase().split(',');
  const plain = items.filter((item) => item !== 'L' && !/(L|#\d)$/.test(item));
  const values = plain.length > 0 ? valueSet(plain.join(','), 1, 7, DAYS) : new Set<number>();
  const special = items.filter((item) => item === 'L' || /(L|#\d)$/.test(item));
  return (year, month, day) => {
    const weekday = new Date(Date.UTC(year, month - 1, day)).getUTCDay() + 1; // 1 = SUN … 7 = SAT
    if (values.has(weekday)) return true;
    return special.some((item) => {
      if (item === 'L') return weekday === 7; // alone, L is the last day of the week: Saturday
      const hash = /^(.+)#([1-5])$/.exec(item);
      if (hash) {
        return weekday === valueOf(hash[1] as string, 1, DAYS) && Math.ceil(day / 7) === Number(hash[2]);
      }
      // nL: the last such weekday of the month.
      return weekday === valueOf(item.slice(0, -1), 1, DAYS) && day + 7 > daysInMonth(year, month);
    });
  };
}

/** The weekday (Mon-Fri) nearest to `day` within the same month (the `W` rule). */
function nearestWeekday(year: number, month: number, day: number): number {
  const weekday = new Date(Date.UTC(year, month - 1, day)).getUTCDay(); // 0 = Sunday
  const last = daysInMonth(year, month);
  if (weekday === 6) return day === 1 ? 3 : day - 1; // Saturday: Friday before, or Monday the 3rd
  if (weekday === 0) return day === last ? day - 2 : day + 1; // Sunday: Monday after, or Friday before
  return day;
}

function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}
