import { parseCronSchedule } from '../../../local/runtime/cron-schedule';

/** The next `count` fire times after `from`, as ISO strings. */
function fireTimes(expression: string, from: string, count = 3): string[] {
  const schedule = parseCronSchedule(expression);
  const times: string[] = [];
  let after = new Date(from);
  for (let i = 0; i < count; i++) {
    const next = schedule.next(after);
    if (!next) break;
    times.push(next.toISOString());
    after = next;
  }
  return times;
}

describe('parseCronSchedule', () => {
  it.each([
    [
      'the default verify schedule: 04:00 UTC every day',
      'cron(0 4 * * ? *)',
      '2026-11-23T15:30:00.000Z',
      ['2026-11-24T04:00:00.000Z', '2026-11-25T04:00:00.000Z', '2026-11-26T04:00:00.000Z'],
    ],
    [
      'later the same day',
      'cron(0 4 * * ? *)',
      '2026-11-23T03:59:59.999Z',
      ['2026-11-23T04:00:00.000Z', '2026-11-24T04:00:00.000Z', '2026-11-25T04:00:00.000Z'],
    ],
    [
      'strictly after a fire time',
      'cron(0 4 * * ? *)',
      '2026-11-23T04:00:00.000Z',
      ['2026-11-24T04:00:00.000Z', '2026-11-25T04:00:00.000Z', '2026-11-26T04:00:00.000Z'],
    ],
    [
      'steps and ranges',
      'cron(0/15 9-10 * * ? *)',
      '2026-11-23T10:40:00.000Z',
      ['2026-11-23T10:45:00.000Z', '2026-11-24T09:00:00.000Z', '2026-11-24T09:15:00.000Z'],
    ],
    [
      'a list of named week days',
      'cron(30 2 ? * MON,FRI *)',
      '2026-11-23T03:00:00.000Z', // a Monday
      ['2026-11-27T02:30:00.000Z', '2026-11-30T02:30:00.000Z', '2026-12-04T02:30:00.000Z'],
    ],
    [
      'the last day of the month',
      'cron(0 0 L * ? *)',
      '2027-01-31T00:00:00.000Z',
      ['2027-02-28T00:00:00.000Z', '2027-03-31T00:00:00.000Z', '2027-04-30T00:00:00.000Z'],
    ],
    [
      'the weekday nearest the 1st (W), which may be Monday the 3rd',
      'cron(0 8 1W * ? *)',
      '2026-07-31T00:00:00.000Z', // 2026-08-01 is a Saturday
      ['2026-08-03T08:00:00.000Z', '2026-09-01T08:00:00.000Z', '2026-10-01T08:00:00.000Z'],
    ],
    [
      'the last weekday of the month (LW)',
      'cron(0 8 LW * ? *)',
      '2026-05-01T00:00:00.000Z', // 2026-05-31 is a Sunday
      ['2026-05-29T08:00:00.000Z', '2026-06-30T08:00:00.000Z', '2026-07-31T08:00:00.000Z'],
    ],
    [
      'the third Friday (#)',
      'cron(0 12 ? * 6#3 *)',
      '2026-11-01T00:00:00.000Z',
      ['2026-11-20T12:00:00.000Z', '2026-12-18T12:00:00.000Z', '2027-01-15T12:00:00.000Z'],
    ],
    [
      'the last Friday (nL)',
      'cron(0 12 ? * FRIL *)',
      '2026-11-01T00:00:00.000Z',
      ['2026-11-27T12:00:00.000Z', '2026-12-25T12:00:00.000Z', '2027-01-29T12:00:00.000Z'],
    ],
    [
      'a wrapping week-day range',
      'cron(0 6 ? * FRI-MON *)',
      '2026-11-24T00:00:00.000Z', // a Tuesday
      ['2026-11-27T06:00:00.000Z', '2026-11-28T06:00:00.000Z', '2026-11-29T06:00:00.000Z'],
    ],
    [
      'named months and years',
      'cron(0 0 1 JAN,JUL ? 2027-2028)',
      '2026-11-23T00:00:00.000Z',
      ['2027-01-01T00:00:00.000Z', '2027-07-01T00:00:00.000Z', '2028-01-01T00:00:00.000Z'],
    ],
    [
      'February 29th only in leap years',
      'cron(0 0 29 2 ? *)',
      '2026-03-01T00:00:00.000Z',
      ['2028-02-29T00:00:00.000Z', '2032-02-29T00:00:00.000Z', '2036-02-29T00:00:00.000Z'],
    ],
  ])('fires on %s', (_name, expression, from, expected) => {
    // Act / Assert
    expect(fireTimes(expression, from)).toEqual(expected);
  });

  it('has no fire time after the last year of the schedule', () => {
    // Arrange
    const schedule = parseCronSchedule('cron(0 0 1 1 ? 2027)');

    // Act / Assert
    expect(schedule.next(new Date('2027-01-01T00:00:00Z'))).toBeUndefined();
  });

  it('finds no fire time, quickly, for a date that never exists', () => {
    // Arrange
    const schedule = parseCronSchedule('cron(0 0 30 2 ? *)');
    const started = Date.now();

    // Act
    const next = schedule.next(new Date('2026-01-01T00:00:00Z'));

    // Assert
    expect(next).toBeUndefined();
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it('refuses an expression that is not an EventBridge cron expression, saying why', () => {
    // Act / Assert
    expect(() => parseCronSchedule('0 4 * * *')).toThrow(
      "schedule '0 4 * * *' must be a cron expression such as cron(0 4 * * ? *)",
    );
    expect(() => parseCronSchedule('cron(0 4 * * * *)')).toThrow(
      'exactly one of day-of-month and day-of-week must be ?',
    );
  });
});
