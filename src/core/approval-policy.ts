/**
 * Who counts toward an `approval` task's policy, and how far the approvals given so far
 * go. Pure: the same policy, approvals and triggerers always give the same progress.
 *
 * - `minApprovers` distinct identities must approve (default 1); a repeated approver
 *   counts once.
 * - `approvers`: rules `{names?, groups?, min}`; every rule needs `min` distinct
 *   approvers matching it (by token name or token group). With rules, only an identity
 *   matching at least one of them counts at all; one identity counts toward every rule it
 *   matches.
 * - `allowTriggerer` (default: false when minApprovers ≥ 2, else true): whether the
 *   identity that triggered the release, or promoted it into the stage, may count.
 * - A rejection by an identity that may approve (the triggerer included: anyone may stop
 *   their own release) ends the task at once.
 */

export interface ApproverRule {
  names: readonly string[];
  groups: readonly string[];
  min: number;
}

export interface ApprovalPolicy {
  minApprovers: number;
  approvers: readonly ApproverRule[];
  allowTriggerer: boolean;
}

export type ApprovalDecision = 'approve' | 'reject';

/** One approve or reject, as the log keeps it. */
export interface ApprovalRecord {
  /** The identity (`token:<name>`, `cli:…`). */
  by: string;
  /** The token's groups when it answered. */
  groups: readonly string[];
  decision: ApprovalDecision;
  /** UTC ms when it was given (for one given ahead: when it was given, not when it was counted). */
  at: number;
  comment?: string;
  /** Given before the run reached the stage (`slipway approve --release R --stage S`). */
  ahead?: boolean;
}

export interface PolicyProblem {
  field: string;
  message: string;
}

/** Why one approval does not count; undefined when it does. */
export type NotCounting = { by: string; why: string };

export interface PolicyProgress {
  /** The policy is met: the task passes. */
  met: boolean;
  /** The rejection that ends the task, if any. */
  rejectedBy?: ApprovalRecord;
  /** Distinct identities whose approval counts, in the order they approved. */
  counted: string[];
  /** What is still missing, in words (`1 more from group qa`); empty when met. */
  missing: string[];
  /** Approvals recorded that do not count, and why. */
  notCounting: NotCounting[];
  /** Who may still approve, in words. */
  mayApprove: string;
  /** Everything above in one line: `1 of 2 approvals (bob); needs 1 more from group qa; alice triggered the release and cannot count`. */
  summary: string;
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9._@:-]{0,199}$/;
const POLICY_FIELDS = ['minApprovers', 'approvers', 'allowTriggerer'] as const;

function show(value: unknown): string {
  if (value === undefined) return 'nothing';
  const text = JSON.stringify(value);
  return text === undefined ? String(value) : text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

/** `token:alice` → `alice`: rules and messages speak of token names. */
export function identityName(by: string): string {
  return by.startsWith('token:') ? by.slice('token:'.length) : by;
}

function isCount(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= 1 && v <= 100;
}

function nameList(value: unknown, field: string, what: string, problems: PolicyProblem[]): string[] {
  if (value === undefined) return [];
  if (!Array.isArray(value) || value.length === 0 || !value.every((v) => typeof v === 'string' && NAME.test(v))) {
    problems.push({ field, message: `${field} must be a non-empty list of ${what}, got ${show(value)}` });
    return [];
  }
  return [...new Set((value as string[]).map(identityName))];
}

/** Reads the policy from an approval task's properties, with a problem per bad field. */
export function parseApprovalPolicy(props: Readonly<Record<string, unknown>>): { policy: ApprovalPolicy; problems: PolicyProblem[] } {
  const problems: PolicyProblem[] = [];
  let minApprovers = 1;
  if (props.minApprovers !== undefined) {
    if (isCount(props.minApprovers)) minApprovers = props.minApprovers;
    else problems.push({ field: 'minApprovers', message: `minApprovers must be a whole number from 1 to 100, got ${show(props.minApprovers)}` });
  }
  const approvers: ApproverRule[] = [];
  if (props.approvers !== undefined) {
    if (!Array.isArray(props.approvers) || props.approvers.length === 0) {
      problems.push({ field: 'approvers', message: `approvers must be a non-empty list of rules like {groups: [qa], min: 2} or {names: [alice], min: 1}, got ${show(props.approvers)}` });
    } else {
      props.approvers.forEach((rule: unknown, i) => {
        const at = `approvers[${i}]`;
        if (typeof rule !== 'object' || rule === null || Array.isArray(rule)) {
          problems.push({ field: at, message: `${at} must be a rule like {groups: [qa], min: 2}, got ${show(rule)}` });
          return;
        }
        const r = rule as Record<string, unknown>;
        const unknown = Object.keys(r).filter((k) => !['names', 'groups', 'min'].includes(k));
        if (unknown.length > 0) problems.push({ field: `${at}.${unknown[0]}`, message: `${at} has unknown field '${unknown[0]}'; a rule has names, groups and min` });
        const names = nameList(r.names, `${at}.names`, 'token names', problems);
        const groups = nameList(r.groups, `${at}.groups`, 'token groups', problems);
        if (r.names === undefined && r.groups === undefined) problems.push({ field: at, message: `${at} needs names or groups (or both): who may approve under it` });
        let min = 1;
        if (r.min !== undefined) {
          if (isCount(r.min)) min = r.min;
          else problems.push({ field: `${at}.min`, message: `${at}.min must be a whole number from 1 to 100, got ${show(r.min)}` });
        }
        if (r.groups === undefined && names.length > 0 && min > names.length) {
          problems.push({ field: `${at}.min`, message: `${at}.min is ${min} but the rule names only ${names.length} identities (${names.join(', ')}); it could never be met` });
        }
        approvers.push({ names, groups, min });
      });
    }
  }
  let allowTriggerer = minApprovers < 2;
  if (props.allowTriggerer !== undefined) {
    if (typeof props.allowTriggerer === 'boolean') allowTriggerer = props.allowTriggerer;
    else problems.push({ field: 'allowTriggerer', message: `allowTriggerer must be true or false, got ${show(props.allowTriggerer)}` });
  }
  return { policy: { minApprovers, approvers, allowTriggerer }, problems };
}

/** True when the properties set any policy field (absent: one approval by anyone, as before policies). */
export function hasPolicy(props: Readonly<Record<string, unknown>>): boolean {
  return POLICY_FIELDS.some((f) => props[f] !== undefined);
}

function matches(rule: ApproverRule, r: Pick<ApprovalRecord, 'by' | 'groups'>): boolean {
  return rule.names.includes(identityName(r.by)) || r.groups.some((g) => rule.groups.includes(g));
}

function describeRule(rule: ApproverRule): string {
  const parts: string[] = [];
  if (rule.groups.length > 0) parts.push(`${rule.groups.length === 1 ? 'group' : 'groups'} ${rule.groups.join(' or ')}`);
  if (rule.names.length > 0) parts.push(rule.names.join(' or '));
  return parts.join(' or ');
}

/** Why this identity cannot count (triggerer, not an approver); undefined when it may. */
export function whyNotCounting(policy: ApprovalPolicy, r: Pick<ApprovalRecord, 'by' | 'groups' | 'decision'>, triggerers: readonly string[]): string | undefined {
  const who = identityName(r.by);
  if (policy.approvers.length > 0 && !policy.approvers.some((rule) => matches(rule, r))) {
    const groups = r.groups.length > 0 ? ` (groups: ${r.groups.join(', ')})` : ' (no groups)';
    return `${who}${groups} is not among the approvers (${policy.approvers.map(describeRule).join('; ')})`;
  }
  // Anyone who may approve may also stop the release, the triggerer included.
  if (r.decision === 'approve' && !policy.allowTriggerer && triggerers.includes(r.by)) {
    return `${who} triggered the release or promoted it into the stage and cannot count`;
  }
  return undefined;
}

const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;

/**
 * How far `records` (in the order given) go toward the policy. The first rejection that
 * counts decides; approvals after it change nothing. An identity counts once.
 */
export function evaluatePolicy(policy: ApprovalPolicy, records: readonly ApprovalRecord[], triggerers: readonly string[]): PolicyProgress {
  const counted: ApprovalRecord[] = [];
  const notCounting: NotCounting[] = [];
  const seen = new Set<string>();
  let rejectedBy: ApprovalRecord | undefined;
  for (const r of records) {
    const why = whyNotCounting(policy, r, triggerers);
    if (why !== undefined) {
      if (!notCounting.some((n) => n.by === r.by)) notCounting.push({ by: r.by, why });
      continue;
    }
    if (r.decision === 'reject') {
      rejectedBy = r;
      break;
    }
    if (seen.has(r.by)) continue;
    seen.add(r.by);
    counted.push(r);
  }
  const missing: string[] = [];
  const waiting: string[] = [];
  for (const rule of policy.approvers) {
    const have = counted.filter((r) => matches(rule, r)).length;
    if (have < rule.min) {
      missing.push(`${rule.min - have} more from ${describeRule(rule)}`);
      waiting.push(describeRule(rule));
    }
  }
  const short = policy.minApprovers - counted.length;
  if (short > 0 && missing.length === 0) missing.push(`${plural(short, 'more approver')}`);
  const met = rejectedBy === undefined && short <= 0 && missing.length === 0;
  const excluded = policy.allowTriggerer ? [] : [...new Set(triggerers.map(identityName))];
  const others = [...new Set(counted.map((r) => identityName(r.by)))];
  const except = [...new Set([...others, ...excluded])];
  const who = waiting.length > 0 ? waiting.join('; ') : policy.approvers.length > 0 ? policy.approvers.map(describeRule).join('; ') : 'anyone with approve scope for the stage';
  const mayApprove = met || rejectedBy ? 'nobody: the approval is decided' : `${who}${except.length > 0 ? `, except ${except.join(', ')}` : ''}`;
  const names = counted.map((r) => identityName(r.by));
  // Rules may ask for more than minApprovers: show the larger need.
  const need = Math.max(policy.minApprovers, ...policy.approvers.map((r) => r.min));
  const head = rejectedBy
    ? `rejected by ${identityName(rejectedBy.by)}${rejectedBy.comment ? `: ${rejectedBy.comment}` : ''}`
    : `${counted.length} of ${plural(need, 'approval')}${names.length > 0 ? ` (${names.join(', ')})` : ''}`;
  const parts = [head];
  if (!rejectedBy && missing.length > 0) parts.push(`needs ${missing.join(' and ')}`);
  for (const n of notCounting) parts.push(n.why);
  return {
    met,
    ...(rejectedBy ? { rejectedBy } : {}),
    counted: counted.map((r) => r.by),
    missing: rejectedBy ? [] : missing,
    notCounting,
    mayApprove,
    summary: parts.join('; '),
  };
}

/** What the policy asks for, in words, before anyone answered (the waiting task's message). */
export function describePolicy(policy: ApprovalPolicy): string {
  const parts = [`needs ${plural(policy.minApprovers, 'approval')}`];
  if (policy.approvers.length > 0) parts.push(policy.approvers.map((r) => `${r.min} from ${describeRule(r)}`).join(' and '));
  if (!policy.allowTriggerer) parts.push('the triggerer cannot count');
  return parts.join('; ');
}
