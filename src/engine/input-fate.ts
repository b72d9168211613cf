/**
 * One input, one fate: an input that cannot be applied (deciding throws, its events cannot
 * be encoded, the store refuses what it wrote) fails alone, with an error naming it; the
 * inputs batched with it are applied as if it had never been there. Here: the checks and
 * the errors; the engine's loop does the isolating.
 */
import type { Decision, Input } from '../core/index.js';
import { SlipwayError, httpStatusOf, isSlipwayError } from '../core/index.js';
import { eventJson } from '../store/index.js';

/** `task.finished input api:…:finished:… for task r1.deploy.1`: enough to find it in the log and the client's request. */
export function describeInput(input: Input): string {
  const task = 'taskId' in input && typeof input.taskId === 'string' ? ` for task ${input.taskId}` : '';
  const project = !task && 'project' in input && typeof input.project === 'string' ? ` of project ${input.project}` : '';
  return `${input.type} input ${input.id}${task}${project}`;
}

/** The field of an input that carries free-form data, where a client's hostile value would sit. */
function freeField(input: Input): string | undefined {
  if ('output' in input && input.output !== undefined) return 'output';
  if ('payload' in input && input.payload !== undefined) return 'payload';
  return undefined;
}

const reasonOf = (e: unknown): string => (e instanceof Error ? e.message : String(e));
/** A full disk keeps its own code (507), so clients and operators see it is not a passing failure. */
const storeCode = (e: unknown): 'STORE' | 'STORE_FULL' => (isSlipwayError(e) && e.code === 'STORE_FULL' ? 'STORE_FULL' : 'STORE');

/**
 * Encodes a decision's events as the store will (once: the store reuses the text), so a
 * value that cannot be serialized (nested too deep, a cycle, a BigInt) fails this input
 * now instead of the whole batch's commit later. Whatever free-form data an input brings
 * (an output, a signal's payload) is in its events; anything else that fails to encode
 * fails the commit, whose retry in halves finds the input.
 */
export function assertEncodable(input: Input, d: Decision): void {
  try {
    for (const ev of d.events) eventJson(ev);
  } catch (e) {
    const field = freeField(input);
    const where = field ? `its ${field}` : 'what it changes';
    throw new SlipwayError('INVALID_INPUT', `${describeInput(input)} cannot be stored: ${where} cannot be encoded as JSON (${reasonOf(e)}); send plain JSON, nested at most a few dozen levels`, field ? { field } : {}, { cause: e });
  }
}

/** Deciding threw (a bug, not a rule the core reports as `error`). */
export function decideFailure(input: Input, e: unknown): SlipwayError {
  if (isSlipwayError(e)) return e;
  return new SlipwayError('INTERNAL', `applying ${describeInput(input)} failed: ${reasonOf(e)}; the input was not applied and nothing else was affected`, {}, { cause: e });
}

/** The store refused a commit (or a read) for this input alone. The input's fault (4xx) when the store says so; else the store's (STORE). */
export function commitFailure(input: Input, e: unknown, doing = 'commit'): SlipwayError {
  if (isSlipwayError(e) && httpStatusOf(e.code) < 500) {
    const field = freeField(input);
    return new SlipwayError(e.code, `${describeInput(input)} cannot be stored: ${e.message}`, { ...e.fields, ...(field ? { field } : {}) }, { cause: e });
  }
  return new SlipwayError(storeCode(e), `the store could not ${doing}: ${reasonOf(e)} (${describeInput(input)})`, isSlipwayError(e) ? { ...e.fields } : {}, { cause: e });
}

/** Every part of a batch failed to commit: the store is down, not one input bad. */
export function storeFailure(e: unknown, doing = 'commit'): SlipwayError {
  return new SlipwayError(storeCode(e), `the store could not ${doing}: ${reasonOf(e)}`, isSlipwayError(e) ? { ...e.fields } : {}, { cause: e });
}

/**
 * How many failed commits a batch of `n` may spend finding its bad inputs by halving: a
 * bad input costs about log2(n) of them, so this finds a few; a store that refuses
 * everything runs out of it quickly and every input gets STORE.
 */
export function splitBudget(n: number): number {
  return 3 * Math.ceil(Math.log2(Math.max(2, n)));
}
