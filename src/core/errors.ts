/**
 * Every error Slipway reports has a stable code from this registry. The message names the
 * thing, the bad value and the fix; structured fields travel beside it; the HTTP status
 * comes from the code here and nowhere else.
 */
export const ErrorCodes = {
  SPEC_YAML: { status: 400, summary: 'the file is not valid YAML' },
  SPEC_FIELD: { status: 400, summary: 'a field of the pipeline file is missing or invalid' },
  SPEC_REFERENCE: { status: 400, summary: 'the pipeline file refers to something it does not define' },
  SPEC_FILE: { status: 400, summary: 'the pipeline file cannot be read' },
  UNKNOWN_PROJECT: { status: 404, summary: 'no such project' },
  UNKNOWN_STAGE: { status: 404, summary: 'no such stage in the project' },
  UNKNOWN_SEQUENCE: { status: 404, summary: 'no such sequence in the stage' },
  UNKNOWN_SERVICE: { status: 400, summary: 'the service is not declared by the project' },
  UNKNOWN_RELEASE: { status: 404, summary: 'no such release' },
  UNKNOWN_RUN: { status: 404, summary: 'no such run' },
  UNKNOWN_TASK: { status: 404, summary: 'no such task' },
  INVALID_ARTIFACT: { status: 400, summary: 'the artifact reference is invalid' },
  UPSTREAM_NOT_PASSED: { status: 409, summary: 'an artifact has not passed a stage upstream' },
  INVALID_STATE: { status: 409, summary: 'the run or task is not in a state that allows this' },
  NOT_PROMOTABLE: { status: 409, summary: 'the release cannot be promoted to that stage yet' },
  INVALID_INPUT: { status: 400, summary: 'the request is malformed' },
  UNAUTHORIZED: { status: 401, summary: 'no token, or a token the server does not know' },
  FORBIDDEN: { status: 403, summary: 'the token lacks the scope the route needs' },
  BUILTIN_TASK: { status: 403, summary: 'Slipway runs the task itself: no executor may start, heartbeat or finish it' },
  NOT_CLAIM_HOLDER: { status: 409, summary: 'the task is not claimed by this executor, or the lease token does not match its claim' },
  NOT_FOUND: { status: 404, summary: 'no such route' },
  UNKNOWN_TOKEN: { status: 404, summary: 'no such token' },
  UNKNOWN_SUBSCRIPTION: { status: 404, summary: 'no such subscription' },
  UNKNOWN_SECRET: { status: 404, summary: 'no such secret' },
  UNKNOWN_SINK: { status: 404, summary: 'no such notification sink in the project' },
  UNKNOWN_FLAG: { status: 404, summary: 'no such feature flag in the project' },
  SECRET_KEY: { status: 500, summary: 'the secret key is malformed, missing, or not the key the secrets were stored with' },
  ALREADY_EXISTS: { status: 409, summary: 'something with that name exists already' },
  PAYLOAD_TOO_LARGE: { status: 413, summary: 'the request body is larger than the server accepts' },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, summary: 'the request body has a content type the route does not accept' },
  URI_TOO_LONG: { status: 414, summary: 'a path parameter is longer than the server accepts' },
  HEADERS_TOO_LARGE: { status: 431, summary: 'the request line and headers are larger than the server accepts' },
  REQUEST_TIMEOUT: { status: 408, summary: 'the request did not arrive in time' },
  NO_EXECUTOR: { status: 422, summary: 'no executor serves the task kind' },
  STORE: { status: 503, summary: 'the store failed' },
  STORE_FULL: { status: 507, summary: 'the disk holding the store is full' },
  NOT_SUPPORTED: { status: 501, summary: 'this server (its store) cannot do that' },
  INTERNAL: { status: 500, summary: 'a bug: the server failed on a valid request' },
  SHUTTING_DOWN: { status: 503, summary: 'the engine is stopping' },
  INSTANCE_START_FAILED: { status: 422, summary: 'a deployed version did not become healthy' },
  UNKNOWN_INSTANCE: { status: 404, summary: 'no such supervised instance' },
  DATA_DIR_LOCKED: { status: 409, summary: 'another Slipway process holds the data directory' },
  BAD_SIGNATURE: { status: 401, summary: 'a webhook signature (or token) is missing or does not match the project secret' },
  STALE_WEBHOOK: { status: 401, summary: 'a webhook timestamp is more than 5 minutes away from the server clock' },
  WEBHOOK_NOT_CONFIGURED: { status: 409, summary: 'the project has no webhook secret (spec.webhook), or the secret it names is not set' },
  UNMAPPABLE_PAYLOAD: { status: 422, summary: 'a webhook payload maps to no release under the project trigger rules' },
  UNKNOWN_PULL_REQUEST: { status: 404, summary: 'no environment for that pull request' },
  SCHEMA_CONTRACTED: { status: 409, summary: 'a rollback would run a release older than a database contract that ran in the stage' },
  LEASE_LOST: { status: 503, summary: 'this replica is no longer the active one (its lease expired or another replica took it over)' },
  NO_ACTIVE_REPLICA: { status: 503, summary: 'no replica holds the engine lease right now; a standby takes it over within the lease time' },
  IDEMPOTENCY_KEY_REUSED: { status: 422, summary: 'the Idempotency-Key was first used for another request (method, path or body); send this one with a new key' },
  IDEMPOTENCY_KEY_IN_FLIGHT: { status: 409, summary: 'the first request sent with that Idempotency-Key is still being handled; send it again in a moment' },
  IDEMPOTENT_ANSWER_WITHHELD: { status: 409, summary: 'the change first sent with that Idempotency-Key was applied; its answer held a secret shown once, so it is not sent again' },
  PULL_REQUESTS_OFF: { status: 409, summary: 'the project has no pull-request environments (spec.pullRequests)' },
} as const satisfies Record<string, { status: number; summary: string }>;

export type ErrorCode = keyof typeof ErrorCodes;

export function httpStatusOf(code: ErrorCode): number {
  return ErrorCodes[code].status;
}

export interface ErrorFields {
  /** The field path or parameter at fault (`spec.stages[1].after[0]`, `artifacts.frontend`). */
  field?: string;
  file?: string;
  line?: number;
  column?: number;
  [key: string]: unknown;
}

export class SlipwayError extends Error {
  override readonly name: string = 'SlipwayError';
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly fields: ErrorFields = {},
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }

  toJSON(): { code: ErrorCode; message: string } & ErrorFields {
    return { ...this.fields, code: this.code, message: this.message };
  }
}

export function isSlipwayError(e: unknown): e is SlipwayError {
  return e instanceof SlipwayError;
}
