/** Keptn sli.yaml: the conformance files load as Keptn wrote them; mistakes name file:line:col and the field. */
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { SlipwayError } from '../../src/core/index.js';
import { fillPlaceholders } from '../../src/evaluation/index.js';
import { loadKeptnSli, loadKeptnSliFile } from '../../src/spec/index.js';

const conformance = (name: string) => fileURLToPath(new URL(`../conformance/keptn/slo/${name}`, import.meta.url));

function failure(text: string): SlipwayError {
  try {
    loadKeptnSli(text, 'sli.yaml');
  } catch (e) {
    expect(e).toBeInstanceOf(SlipwayError);
    return e as SlipwayError;
  }
  throw new Error('expected the SLI file to be refused');
}

describe('Keptn sli.yaml', () => {
  it('loads the quickstart SLI file and fills its placeholders as Keptn does', () => {
    const sli = loadKeptnSliFile(conformance('02_examples_quickstart_demo_prometheus_sli.yaml'));
    expect(sli.specVersion).toBe('1.0');
    expect(Object.keys(sli.indicators)).toEqual(['http_response_time_seconds_main_page_sum', 'failing_request', 'http_requests_total_sucess', 'go_routines', 'request_throughput']);
    const q = { project: 'sockshop', stage: 'dev', service: 'carts', deployment: 'direct', start: 0, end: 300_000, labels: {} };
    expect(fillPlaceholders(sli.indicators.request_throughput!, q)).toBe('sum(rate(http_requests_total{status="success",job="carts-sockshop-dev"}[300s]))');
  });

  it('loads the podtato-head SLI file', () => {
    const sli = loadKeptnSliFile(conformance('05_keptn_test_podtato-head_prometheus_sli.yaml'));
    expect(sli.indicators.go_routines).toBe('go_goroutines{job="$SERVICE-$PROJECT-$STAGE"}');
  });

  it('names the line and field of a query that is not text, and of a missing indicators map', () => {
    const e = failure("spec_version: '1.0'\nindicators:\n  ok: up\n  bad: [1, 2]\n");
    expect(e.code).toBe('SPEC_FIELD');
    expect(e.message).toMatch(/^sli\.yaml:4:\d+: indicators\.bad: expected the query as text/);
    expect(failure("spec_version: '1.0'\n").message).toMatch(/^sli\.yaml:1:1: indicators: is required/);
    expect(failure("indicators:\n  empty: '  '\n").message).toMatch(/sli\.yaml:2:\d+: indicators\.empty: the query is empty/);
  });

  it('names a YAML syntax error, and a file that cannot be read', () => {
    expect(failure('indicators:\n  a: "unclosed\n').code).toBe('SPEC_YAML');
    expect(() => loadKeptnSliFile('/nonexistent/sli.yaml')).toThrow(/\/nonexistent\/sli\.yaml: cannot read the SLI file/);
  });
});
