import { describe, expect, it } from 'vitest';
import type { ApprovalRecord } from '../../src/core/index.js';
import { describePolicy, evaluatePolicy, hasPolicy, parseApprovalPolicy } from '../../src/core/index.js';

const at = Date.UTC(2026, 11, 1);
const approve = (by: string, groups: string[] = [], comment?: string): ApprovalRecord => ({ by: `token:${by}`, groups, decision: 'approve', at, ...(comment ? { comment } : {}) });
const reject = (by: string, groups: string[] = [], comment?: string): ApprovalRecord => ({ by: `token:${by}`, groups, decision: 'reject', at, ...(comment ? { comment } : {}) });
const policy = (props: Record<string, unknown>) => {
  const { policy: p, problems } = parseApprovalPolicy(props);
  expect(problems).toEqual([]);
  return p;
};
const ALICE = ['token:alice'];

describe('approval policy: parsing', () => {
  it('defaults to one approval by anyone, the triggerer included', () => {
    expect(policy({})).toEqual({ minApprovers: 1, approvers: [], allowTriggerer: true });
    expect(hasPolicy({})).toBe(false);
    expect(hasPolicy({ pass: 'manual' })).toBe(false);
    expect(hasPolicy({ minApprovers: 1 })).toBe(true);
  });

  it('refuses the triggerer by default from two approvers on, unless allowTriggerer says otherwise', () => {
    expect(policy({ minApprovers: 2 }).allowTriggerer).toBe(false);
    expect(policy({ minApprovers: 2, allowTriggerer: true }).allowTriggerer).toBe(true);
    expect(policy({ minApprovers: 1, allowTriggerer: false }).allowTriggerer).toBe(false);
  });

  it('reads rules of names and groups, token names with or without the token: prefix', () => {
    expect(policy({ approvers: [{ groups: ['release-managers'] }, { groups: ['qa'], min: 2 }, { names: ['token:alice', 'bob'], min: 2 }] }).approvers).toEqual([
      { names: [], groups: ['release-managers'], min: 1 },
      { names: [], groups: ['qa'], min: 2 },
      { names: ['alice', 'bob'], groups: [], min: 2 },
    ]);
  });

  it('names the field of every bad property', () => {
    const { problems } = parseApprovalPolicy({
      minApprovers: 0,
      allowTriggerer: 'no',
      approvers: [{ groups: 'qa' }, { min: 1 }, { names: ['alice'], min: 2 }, { groups: ['qa'], min: 1.5, who: 1 }, 'qa'],
    });
    expect(problems.map((p) => p.field)).toEqual([
      'minApprovers',
      'approvers[0].groups',
      'approvers[1]',
      'approvers[2].min',
      'approvers[3].who',
      'approvers[3].min',
      'approvers[4]',
      'allowTriggerer',
    ]);
    expect(problems[0]!.message).toBe('minApprovers must be a whole number from 1 to 100, got 0');
    expect(problems[3]!.message).toContain('names only 1 identities (alice); it could never be met');
    expect(parseApprovalPolicy({ approvers: [] }).problems[0]!.field).toBe('approvers');
  });

  it('describes itself before anyone answered', () => {
    expect(describePolicy(policy({ minApprovers: 3, approvers: [{ groups: ['release-managers'] }, { groups: ['qa'], min: 2 }] }))).toBe(
      'needs 3 approvals; 1 from group release-managers and 2 from group qa; the triggerer cannot count',
    );
  });
});

describe('approval policy: who counts', () => {
  it('one approval by anyone meets the default policy, the triggerer included', () => {
    const p = evaluatePolicy(policy({}), [approve('alice')], ALICE);
    expect(p).toMatchObject({ met: true, counted: ['token:alice'], missing: [] });
  });

  it('minApprovers 2: the triggerer is recorded but does not count, a repeated approver counts once', () => {
    const pol = policy({ minApprovers: 2 });
    const p = evaluatePolicy(pol, [approve('alice'), approve('bob'), approve('bob')], ALICE);
    expect(p.met).toBe(false);
    expect(p.counted).toEqual(['token:bob']);
    expect(p.summary).toBe('1 of 2 approvals (bob); needs 1 more approver; alice triggered the release or promoted it into the stage and cannot count');
    expect(p.mayApprove).toBe('anyone with approve scope for the stage, except bob, alice');
    expect(evaluatePolicy(pol, [approve('alice'), approve('bob'), approve('carol')], ALICE)).toMatchObject({ met: true, counted: ['token:bob', 'token:carol'] });
  });

  it('every rule must be met: one from release-managers and two from qa', () => {
    const pol = policy({ approvers: [{ groups: ['release-managers'] }, { groups: ['qa'], min: 2 }] });
    const rm = approve('rita', ['release-managers']);
    const q1 = approve('quinn', ['qa']);
    const q2 = approve('quentin', ['qa', 'ops']);
    expect(evaluatePolicy(pol, [q1, q2], []).summary).toBe('2 of 2 approvals (quinn, quentin); needs 1 more from group release-managers');
    const one = evaluatePolicy(pol, [rm, q1], []);
    expect(one).toMatchObject({ met: false, missing: ['1 more from group qa'], mayApprove: 'group qa, except rita, quinn' });
    expect(evaluatePolicy(pol, [rm, q1, q2], []).met).toBe(true);
  });

  it('with rules, an identity matching none is recorded as not among the approvers', () => {
    const pol = policy({ approvers: [{ groups: ['qa'] }] });
    const p = evaluatePolicy(pol, [approve('dave', ['dev'])], []);
    expect(p.met).toBe(false);
    expect(p.notCounting).toEqual([{ by: 'token:dave', why: 'dave (groups: dev) is not among the approvers (group qa)' }]);
    expect(evaluatePolicy(pol, [approve('dave', ['dev']), approve('quinn', ['qa'])], []).met).toBe(true);
  });

  it('a named identity counts under a rule of names', () => {
    const pol = policy({ approvers: [{ names: ['alice', 'bob'], min: 2 }], allowTriggerer: true });
    expect(evaluatePolicy(pol, [approve('alice'), approve('bob')], ALICE).met).toBe(true);
    expect(evaluatePolicy(pol, [approve('alice'), approve('carol')], ALICE).missing).toEqual(['1 more from alice or bob']);
  });

  it('one identity counts toward every rule it matches, but once toward minApprovers', () => {
    const pol = policy({ minApprovers: 2, approvers: [{ groups: ['release-managers'] }, { groups: ['qa'] }] });
    const both = approve('rita', ['qa', 'release-managers']);
    expect(evaluatePolicy(pol, [both], []).summary).toBe('1 of 2 approvals (rita); needs 1 more approver');
    expect(evaluatePolicy(pol, [both, approve('quinn', ['qa'])], []).met).toBe(true);
  });

  it('one rejection that counts decides, with its comment; the triggerer may reject', () => {
    const pol = policy({ minApprovers: 2 });
    const p = evaluatePolicy(pol, [approve('bob'), reject('alice', [], 'wrong build')], ALICE);
    expect(p.met).toBe(false);
    expect(p.rejectedBy).toMatchObject({ by: 'token:alice', comment: 'wrong build' });
    expect(p.summary).toBe('rejected by alice: wrong build');
    expect(p.mayApprove).toBe('nobody: the approval is decided');
  });

  it('a rejection by someone who is not among the approvers does not count', () => {
    const pol = policy({ approvers: [{ groups: ['qa'] }] });
    const p = evaluatePolicy(pol, [reject('dave', ['dev'], 'no')], []);
    expect(p.rejectedBy).toBeUndefined();
    expect(p.notCounting.map((n) => n.by)).toEqual(['token:dave']);
  });

  it('shows the larger need when a rule asks for more than minApprovers', () => {
    const pol = policy({ approvers: [{ groups: ['qa'], min: 3 }] });
    expect(evaluatePolicy(pol, [approve('quinn', ['qa'])], []).summary).toBe('1 of 3 approvals (quinn); needs 2 more from group qa');
  });
});
