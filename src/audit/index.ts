/** The audit folder's only public door: which actions are recorded, direct records, chain verification. */
export { AuditActions, auditOf, type AuditAction } from './actions.js';
export { auditDraft, recordAudit, type DirectAction } from './record.js';
export { ChainVerifier, verifyRows, verifyStore, type BrokenRow, type Difference, type VerifyResult } from './verify.js';
