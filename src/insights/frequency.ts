/**
 * Deployment frequency: successful production deployments per day over the window, and the
 * Four Keys bucket (github.com/dora-team/fourkeys, the deployment frequency query):
 * - daily: the median of deploy days per week is at least 3
 * - weekly: in the median week there was a deployment (median of 0/1 per week is at least 1)
 * - monthly: the median of weeks with a deployment per month is at least 1
 * - yearly: otherwise
 * Weeks start on Monday (UTC) and are those holding a day of the window; a week belongs to
 * the month of its Monday, as the Four Keys query truncates a week to its month.
 */
import { DAY_MS, dayStart, median, monthOf, weekStart } from './stats.js';

export type FrequencyBucket = 'daily' | 'weekly' | 'monthly' | 'yearly';

export interface DeploymentFrequency {
  /** Successful deployments ÷ the window's length in days. */
  perDay: number;
  /** Null when there was no deployment. */
  bucket: FrequencyBucket | null;
  medianDeployDaysPerWeek: number;
  medianWeeksDeployedPerMonth: number;
  weeks: number;
  deployments: number;
}

/** `times`: when each successful deployment finished (UTC ms), within [from, to). */
export function deploymentFrequency(times: readonly number[], from: number, to: number): DeploymentFrequency {
  const days = new Set(times.map(dayStart));
  // Every week of the window, deployed or not: a quiet week counts as 0.
  const weekDays = new Map<number, number>();
  for (let d = dayStart(from); d < to; d += DAY_MS) {
    const w = weekStart(d);
    weekDays.set(w, (weekDays.get(w) ?? 0) + (days.has(d) ? 1 : 0));
  }
  const perWeek = [...weekDays.values()];
  const months = new Map<string, number>();
  for (const [w, n] of weekDays) months.set(monthOf(w), (months.get(monthOf(w)) ?? 0) + (n > 0 ? 1 : 0));
  const daysPerWeek = median(perWeek) ?? 0;
  const weekDeployed = median(perWeek.map((n) => (n > 0 ? 1 : 0))) ?? 0;
  const weeksPerMonth = median([...months.values()]) ?? 0;
  const bucket: FrequencyBucket | null = times.length === 0 ? null : daysPerWeek >= 3 ? 'daily' : weekDeployed >= 1 ? 'weekly' : weeksPerMonth >= 1 ? 'monthly' : 'yearly';
  return {
    perDay: times.length / ((to - from) / DAY_MS),
    bucket,
    medianDeployDaysPerWeek: daysPerWeek,
    medianWeeksDeployedPerMonth: weeksPerMonth,
    weeks: perWeek.length,
    deployments: times.length,
  };
}
