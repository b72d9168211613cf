/**
 * What a name may be. Names end up in URLs, task ids (`<run>.<task>.<attempt>`) and event
 * types, so they follow Keptn's and Kubernetes' habit: lowercase letters, digits, `-`, `_`
 * (and `.` where no id or event type is split on dots), starting and ending with a letter or
 * digit, at most 63 characters. The longest task id is then 24 + 1 + 63 + 1 + 3 = 92
 * characters (run id, task name, attempt up to 101), which fits every route.
 */

export const NAME_MAX = 63;

/** Project and service names: dots allowed. */
export const DOTTED_NAME = /^[a-z0-9](?:[-a-z0-9_.]*[a-z0-9])?$/;
/** Stage, sequence and task names and task kinds: no dots, since ids and event types are split on them. */
export const PLAIN_NAME = /^[a-z0-9](?:[-a-z0-9_]*[a-z0-9])?$/;

/** Why a kind of name cannot contain a dot, for the messages that refuse one. */
const NO_DOTS: Readonly<Record<string, string>> = {
  task: 'task ids are <run>.<task>.<attempt> and event types sh.slipway.task.<task>.<phase>',
  'task kind': 'a Keptn task kind is its task name, which is part of task ids',
  stage: 'stages are named in events as <stage>.<sequence>.finished',
  sequence: 'sequences are named in events as <stage>.<sequence>.finished',
};

/** A name close to `input` that follows the rules, or undefined when none is evident. */
export function suggestName(input: string, dots: boolean): string | undefined {
  const bad = dots ? /[^a-z0-9_.-]+/g : /[^a-z0-9_-]+/g;
  const trim = (s: string) => s.replace(/^[^a-z0-9]+/, '').replace(/[^a-z0-9]+$/, '');
  const out = trim(trim(input.toLowerCase().replace(bad, '-')).slice(0, NAME_MAX));
  return out === '' || out === input ? undefined : out;
}

/** Why `input` is not a valid `what` name, with the fix; undefined when it is valid. */
export function nameProblem(input: string, what: string, dots: boolean): string | undefined {
  const shown = `'${input}'`;
  const hint = (s: string | undefined) => (s === undefined ? '' : `, e.g. '${s}'`);
  if (input.length > NAME_MAX) {
    return `${shown} is ${input.length} characters long; a ${what} name has at most ${NAME_MAX} (names are part of ids and URLs)${hint(suggestName(input, dots))}`;
  }
  if ((dots ? DOTTED_NAME : PLAIN_NAME).test(input)) return undefined;
  if (!dots && DOTTED_NAME.test(input)) {
    const why = NO_DOTS[what] ?? 'it is part of ids that are split on dots';
    return `${shown} is not a valid ${what} name: it cannot contain '.' (${why}); use '-' or '_' instead${hint(suggestName(input, dots))}`;
  }
  const chars = dots ? "lowercase letters, digits, '-', '_' and '.'" : "lowercase letters, digits, '-' and '_'";
  return `${shown} is not a valid ${what} name; use ${chars}, starting and ending with a letter or digit${hint(suggestName(input, dots))}`;
}
