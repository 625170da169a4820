/**
 * Validation of EventBridge Scheduler cron expressions, `cron(minutes hours day-of-month month day-of-week year)`,
 * so that a bad schedule fails config validation with a message instead of a failed deployment.
 * https://docs.aws.amazon.com/scheduler/latest/UserGuide/schedule-types.html#cron-based
 */

const MONTHS = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
const DAYS = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];

interface CronField {
  readonly name: string;
  readonly min: number;
  readonly max: number;
  /** Names accepted for values min, min+1, … (months, week days). */
  readonly names?: readonly string[];
  /** `?`: "no specific value" (day-of-month and day-of-week only). */
  readonly question?: boolean;
  /** Field-specific forms (L, W, #) matched as a whole item. */
  readonly special?: RegExp;
}

const FIELDS: readonly CronField[] = [
  { name: 'minutes', min: 0, max: 59 },
  { name: 'hours', min: 0, max: 23 },
  { name: 'day-of-month', min: 1, max: 31, question: true, special: /^(L|LW|([1-9]|[12]\d|3[01])W)$/ },
  { name: 'month', min: 1, max: 12, names: MONTHS },
  {
    name: 'day-of-week',
    min: 1,
    max: 7,
    names: DAYS,
    question: true,
    special: /^(L|([1-7]|SUN|MON|TUE|WED|THU|FRI|SAT)(L|#[1-5]))$/,
  },
  { name: 'year', min: 1970, max: 2199 },
];

/** An example shown with every problem. */
export const CRON_EXAMPLE = 'cron(0 4 * * ? *)';

/**
 * Why `expression` is not an EventBridge Scheduler cron expression, or undefined when it is one. Checks the
 * shape, the six fields and their values, and that exactly one of day-of-month and day-of-week is `?`.
 */
export function cronExpressionProblem(expression: string): string | undefined {
  const problem = findProblem(expression);
  return problem === undefined
    ? undefined
    : `must be a cron expression such as ${CRON_EXAMPLE} (minutes hours day-of-month month day-of-week year): ${problem}`;
}

function findProblem(expression: string): string | undefined {
  const match = /^cron\((.*)\)$/.exec(expression);
  if (!match) return 'wrap the six fields in cron(…)';
  const parts = match[1].trim().split(/\s+/);
  if (parts.length !== FIELDS.length) return `expected 6 fields, found ${parts.length}`;
  for (const [i, field] of FIELDS.entries()) {
    const problem = fieldProblem(field, parts[i]);
    if (problem !== undefined) return `${field.name} '${parts[i]}': ${problem}`;
  }
  const [dayOfMonth, dayOfWeek] = [parts[2], parts[4]];
  if ((dayOfMonth === '?') === (dayOfWeek === '?')) {
    return 'exactly one of day-of-month and day-of-week must be ?';
  }
  return undefined;
}

function fieldProblem(field: CronField, text: string): string | undefined {
  if (text === '?') return field.question ? undefined : '? is only allowed in day-of-month and day-of-week';
  for (const item of text.split(',')) {
    const problem = itemProblem(field, item.toUpperCase());
    if (problem !== undefined) return problem;
  }
  return undefined;
}

function itemProblem(field: CronField, item: string): string | undefined {
  if (field.special?.test(item)) return undefined;
  const [range, step, ...rest] = item.split('/');
  if (rest.length > 0) return 'more than one /';
  if (step !== undefined && !/^[1-9]\d*$/.test(step)) return `step '${step}' must be a positive whole number`;
  if (range === '*') return undefined;
  const bounds = range.split('-');
  if (bounds.length > 2) return `'${range}' is not a value or a range`;
  const values = bounds.map((b) => valueOf(field, b));
  const bad = bounds.find((_, i) => values[i] === undefined);
  if (bad !== undefined) return `'${bad}' is not a value from ${field.min} to ${field.max}`;
  return undefined;
}

function valueOf(field: CronField, text: string): number | undefined {
  const named = field.names?.indexOf(text) ?? -1;
  if (named >= 0) return field.min + named;
  if (!/^\d+$/.test(text)) return undefined;
  const value = Number(text);
  return value >= field.min && value <= field.max ? value : undefined;
}
