import { failed, passed, type CheckResult } from './verification-report';

const HOUR_MS = 3_600_000;

/** Hours from `takenAt` to `at`, two decimals (negative when the backup claims a later time). */
export function ageHours(takenAt: Date, at: Date): number {
  return Math.round(((at.getTime() - takenAt.getTime()) / HOUR_MS) * 100) / 100;
}

/** The newest backup must be at most `maxAgeHours` old at `at`. */
export function checkFreshness(age: number, maxAgeHours: number): CheckResult {
  return age <= maxAgeHours
    ? passed('freshness', `${age} h old (max ${maxAgeHours} h)`)
    : failed('freshness', `stale: newest backup is ${age} h old (max ${maxAgeHours} h)`);
}
