import { describe, expect, it } from 'vitest';
import { loadPipeline } from '../../src/spec/index.js';

const pipeline = (tasks: string): string => `apiVersion: slipway/v1
kind: Pipeline
metadata: {name: shop}
spec:
  services: [web]
  stages:
    - name: dev
      tasks:
${tasks}`;

describe('literal credentials in a pipeline', () => {
  it('load with a warning naming file:line:col and the ${secret:NAME} to write instead', () => {
    const text = pipeline(`        - name: notify
          kind: webhook
          properties:
            url: https://hooks.example.com/x?token=abc
            headers:
              Authorization: Bearer abc123
              Content-Type: application/json
        - name: deploy
          kind: shell
          properties:
            run: ./deploy.sh
            env:
              API_TOKEN: literal-token
              DB_PASSWORD: hunter22
              REGION: eu-west-1
`);
    const { warnings } = loadPipeline(text, 'slipway.yaml');
    expect(warnings).toStrictEqual([
      'slipway.yaml:12:18: spec.stages[0].tasks[0].properties.url: carries a password or token in the URL; put it in a secret and write ${secret:NAME} in its place (docs/secrets.md)',
      "slipway.yaml:14:30: spec.stages[0].tasks[0].properties.headers.Authorization: holds a literal value where a credential usually goes; write Authorization: 'Bearer ${secret:NAME}' and set it with `slipway secret set NAME` (docs/secrets.md)",
      "slipway.yaml:21:26: spec.stages[0].tasks[1].properties.env.API_TOKEN: holds a literal value where a credential usually goes; write API_TOKEN: '${secret:API_TOKEN}' and set it with `slipway secret set API_TOKEN` (docs/secrets.md)",
      "slipway.yaml:22:28: spec.stages[0].tasks[1].properties.env.DB_PASSWORD: holds a literal value where a credential usually goes; write DB_PASSWORD: '${secret:DB_PASSWORD}' and set it with `slipway secret set DB_PASSWORD` (docs/secrets.md)",
    ]);
  });

  it('references load without warnings; a reference that names no secret is warned about', () => {
    const text = pipeline(`        - name: deploy
          kind: shell
          properties:
            run: ./deploy.sh
            env: {API_TOKEN: '\${secret:API_TOKEN}', AUTH: 'Bearer \${secret:API_TOKEN}', OTHER: '\${secret:not-a-name}'}
`);
    const { warnings } = loadPipeline(text, 'p.yaml');
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/^p\.yaml:13:\d+: spec\.stages\[0\]\.tasks\[0\]\.properties\.env\.OTHER: \$\{secret:not-a-name\} does not name a secret/);
  });
});
