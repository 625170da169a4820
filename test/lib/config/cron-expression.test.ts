import { cronExpressionProblem } from '../../../lib/config/cron-expression';

describe('cronExpressionProblem', () => {
  it.each([
    'cron(0 4 * * ? *)',
    'cron(30 2 ? * MON-FRI *)',
    'cron(0/15 * * * ? *)',
    'cron(0 4,16 1,15 * ? *)',
    'cron(0 4 L * ? *)',
    'cron(0 4 15W * ? *)',
    'cron(0 4 ? * 6L *)',
    'cron(0 4 ? * MON#1 *)',
    'cron(0 4 ? JAN-MAR,DEC sun 2026-2030)',
  ])('accepts %s', (expression) => {
    expect(cronExpressionProblem(expression)).toBeUndefined();
  });

  it.each([
    ['0 4 * * ? *', 'wrap the six fields in cron(…)'],
    ['rate(1 day)', 'wrap the six fields in cron(…)'],
    ['cron(0 4 * * ?)', 'expected 6 fields, found 5'],
    ['cron(60 4 * * ? *)', "minutes '60': '60' is not a value from 0 to 59"],
    ['cron(0 4 32 * ? *)', "day-of-month '32': '32' is not a value from 1 to 31"],
    ['cron(0 4 ? 13 MON *)', "month '13': '13' is not a value from 1 to 12"],
    ['cron(0 4 ? * FUN *)', "day-of-week 'FUN': 'FUN' is not a value from 1 to 7"],
    ['cron(0 4 * * ? 1969)', "year '1969': '1969' is not a value from 1970 to 2199"],
    ['cron(0/0 4 * * ? *)', "minutes '0/0': step '0' must be a positive whole number"],
    ['cron(0 ? * * ? *)', "hours '?': ? is only allowed in day-of-month and day-of-week"],
    ['cron(0 4 * * * *)', 'exactly one of day-of-month and day-of-week must be ?'],
    ['cron(0 4 ? * ? *)', 'exactly one of day-of-month and day-of-week must be ?'],
  ])('rejects %s: %s', (expression, problem) => {
    expect(cronExpressionProblem(expression)).toBe(
      `must be a cron expression such as cron(0 4 * * ? *) (minutes hours day-of-month month day-of-week year): ${problem}`,
    );
  });
});
