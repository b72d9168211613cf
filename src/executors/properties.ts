/**
 * Reading task properties. validate() and execute() share these so a pipeline that loaded
 * cleanly never meets a different rule at run time; execute() turns a problem into a
 * NonRetryableTaskError because retrying cannot fix a bad property.
 */
import { NonRetryableTaskError } from '../engine/executor.js';

export type Properties = Readonly<Record<string, unknown>>;

export interface Problem {
  field: string;
  message: string;
}

export function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  const text = JSON.stringify(value);
  return text === undefined ? String(value) : text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

export function isStringMap(value: unknown): value is Readonly<Record<string, string>> {
  return (
    typeof value === 'object' &&
    value !== null &&
    !Array.isArray(value) &&
    Object.values(value).every((v) => typeof v === 'string')
  );
}

/** A string holding a `${secret:NAME}` reference: its value is known only when the task runs. */
export function refersToSecret(value: unknown): boolean {
  return typeof value === 'string' && value.includes('${secret:');
}

/** Problems for an optional `{name: string}` property. */
export function stringMapProblems(props: Properties, field: string): Problem[] {
  const value = props[field];
  if (value === undefined || isStringMap(value)) return [];
  return [{ field, message: `${field} must be a map of strings, got ${describe(value)}` }];
}

/** Throws the first problem as a NonRetryableTaskError naming the task. */
export function assertValid(kind: string, taskName: string, problems: readonly Problem[]): void {
  const first = problems[0];
  if (first) {
    throw new NonRetryableTaskError(`${kind} task '${taskName}': properties.${first.field}: ${first.message}`);
  }
}
