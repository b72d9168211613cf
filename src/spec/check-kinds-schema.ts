/**
 * JSON Schema of the properties of the check task kinds (gate, approval, evaluation, wait,
 * alarm-check), for editors: a task whose `kind` is one of them gets its `properties` described
 * and completed. The executors' own checks stay the rule at load time (they give file:line:col
 * errors); this is their picture for an editor, kept beside the schema that validates the rest.
 */
type Json = Record<string, unknown>;

const duration: Json = {
  anyOf: [{ type: 'string', pattern: '^(\\d+(ms|s|m|h|d))+$' }, { type: 'integer', minimum: 0 }],
  description: 'A duration such as 30s, 5m, 1h30m, 2d, or a number of ms.',
};
const stringMap: Json = { type: 'object', additionalProperties: { type: 'string' } };
const url: Json = { type: 'string', format: 'uri' };

const alarmSource: Json = {
  type: 'object',
  properties: {
    prometheus: { ...url, description: 'A Prometheus server: firing alerts from /api/v1/alerts.' },
    alertmanager: { ...url, description: 'An Alertmanager: active alerts from /api/v2/alerts.' },
    labels: { ...stringMap, description: 'Labels a firing alert must have; empty: any.' },
  },
  oneOf: [{ required: ['prometheus'] }, { required: ['alertmanager'] }],
  additionalProperties: false,
};

const signal: Json = {
  type: 'object',
  required: ['name'],
  properties: {
    name: { type: 'string', description: 'Named in messages and in each sample.' },
    http: {
      type: 'object',
      required: ['url'],
      additionalProperties: false,
      description: 'Passes on the expected status and, with a condition, when the JSON body meets it.',
      properties: {
        url,
        method: { enum: ['GET', 'HEAD', 'POST'] },
        headers: stringMap,
        body: {},
        expectStatus: { description: "A status (200), a class ('2xx') or a list; default 2xx." },
        jsonPath: { type: 'string', description: 'e.g. $.errors, with condition `< 5`.' },
        condition: { type: 'string', description: 'e.g. `$.status == "green"`.' },
      },
    },
    prometheus: {
      type: 'object',
      required: ['url', 'query', 'condition'],
      additionalProperties: false,
      properties: { url, query: { type: 'string' }, condition: { type: 'string', description: 'e.g. `result < 0.01`.' } },
    },
    alarm: { ...alarmSource, description: 'Passes while no firing alert matches the labels.' },
    businessHours: {
      type: 'object',
      required: ['timeZone'],
      additionalProperties: false,
      properties: {
        timeZone: { type: 'string', description: 'IANA zone, e.g. Europe/Berlin.' },
        days: { type: 'array', items: { enum: ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] }, description: 'Default mon-fri.' },
        from: { type: 'string', pattern: '^([01]\\d|2[0-3]):[0-5]\\d$' },
        to: { type: 'string', pattern: '^(([01]\\d|2[0-3]):[0-5]\\d|24:00)$' },
      },
    },
    stage: {
      type: 'object',
      required: ['name', 'noFailedRunsFor'],
      additionalProperties: false,
      properties: { name: { type: 'string' }, noFailedRunsFor: duration },
    },
  },
  oneOf: ['http', 'prometheus', 'alarm', 'businessHours', 'stage'].map((t) => ({ required: [t] })),
  additionalProperties: false,
};

const stageAlarm: Json = {
  ...alarmSource,
  required: ['name'],
  properties: { name: { type: 'string' }, ...(alarmSource.properties as Json), interval: duration },
};

export const checkKindProperties: Record<string, { id: string; schema: Json }> = {
  gate: {
    id: 'GateProperties',
    schema: {
      type: 'object',
      required: ['signals'],
      additionalProperties: false,
      description: "A release gate: signals sampled every interval that must pass in the same sample, then for `steady`; see docs/checks.md.",
      properties: {
        delay: { ...duration, description: 'Wait before the first sample (default 0).' },
        interval: { ...duration, description: 'Between samples (default 1m, at least 1s).' },
        steady: { ...duration, description: 'How long every signal must keep passing (default 0).' },
        timeout: { ...duration, description: 'Fail this long after the gate started (default 1h).' },
        signals: { type: 'array', minItems: 1, maxItems: 20, items: signal },
      },
    },
  },
  approval: {
    id: 'ApprovalProperties',
    schema: {
      type: 'object',
      additionalProperties: false,
      description: 'A manual approval, with Keptn modes and an approval policy; see docs/pipeline.md#approval-policies.',
      properties: {
        pass: { enum: ['automatic', 'manual'], description: 'When the result so far is pass (default manual).' },
        warning: { enum: ['automatic', 'manual'], description: 'When the result so far is warning (default manual).' },
        minApprovers: { type: 'integer', minimum: 1, description: 'Distinct identities needed (default 1).' },
        approvers: {
          type: 'array',
          description: 'Rules that must all be met.',
          items: {
            type: 'object',
            required: ['min'],
            additionalProperties: false,
            properties: { names: { type: 'array', items: { type: 'string' } }, groups: { type: 'array', items: { type: 'string' } }, min: { type: 'integer', minimum: 1 } },
          },
        },
        allowTriggerer: { type: 'boolean', description: 'Whether the triggerer counts (default: false from 2 approvers).' },
        timeout: duration,
        onTimeout: { enum: ['fail', 'pass'] },
      },
    },
  },
  evaluation: {
    id: 'EvaluationProperties',
    schema: {
      type: 'object',
      additionalProperties: false,
      description: "A Keptn SLO quality gate; see docs/evaluation.md.",
      properties: {
        slo: { type: 'string', description: 'Path to a Keptn slo.yaml (relative to the pipeline file).' },
        sli: { type: 'string', description: 'Path to a Keptn sli.yaml (Prometheus queries).' },
        prometheus: { type: 'object', required: ['url'], additionalProperties: false, properties: { url: { type: 'string' } } },
        provider: { enum: ['prometheus', 'router'] },
        window: duration,
        timeframe: duration,
        service: { type: 'string' },
        deployment: { type: 'string' },
        labels: stringMap,
      },
    },
  },
  wait: {
    id: 'WaitProperties',
    schema: {
      type: 'object',
      required: ['duration'],
      additionalProperties: false,
      description: 'A soak; with alarms it polls them and a firing one fails it.',
      properties: { duration, alarms: { type: 'array', items: stageAlarm, description: "Default: the stage's alarms; [] turns watching off." } },
    },
  },
  'alarm-check': {
    id: 'AlarmCheckProperties',
    schema: {
      type: 'object',
      required: ['alarms'],
      additionalProperties: false,
      description: 'Waits until none of the alarms fires (requireNoAlarms makes one for you).',
      properties: { alarms: { type: 'array', items: stageAlarm }, stage: { type: 'string' }, timeout: duration },
    },
  },
};

/** Adds each check kind's properties to `$defs` and ties them to `Task` (and the stage's `gates`) by kind. */
export function withCheckKinds(schema: Record<string, unknown>): Record<string, unknown> {
  const defs = { ...(schema.$defs as Record<string, Json>) };
  for (const { id, schema: s } of Object.values(checkKindProperties)) defs[id] = s;
  const task = defs.Task;
  if (task) {
    defs.Task = {
      ...task,
      allOf: Object.entries(checkKindProperties).map(([kind, { id }]) => ({
        if: { properties: { kind: { const: kind } }, required: ['kind'] },
        then: { properties: { properties: { $ref: `#/$defs/${id}` } } },
      })),
    };
  }
  if (defs.Gate) defs.Gate = { ...defs.Gate, $ref: '#/$defs/GateProperties' };
  return { ...schema, $defs: defs };
}
