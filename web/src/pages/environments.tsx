/** Environments: the stage × service matrix of every project (or one), live. */
import { useEffect, useState } from 'preact/hooks';
import { LoadError, Loading } from '../components/errors.js';
import { Matrix } from '../components/matrix.js';
import { useLiveMatrix } from '../live-matrix.js';
import { links } from '../router.js';

export function EnvironmentsPage({ project }: { project?: string }) {
  const { data, error } = useLiveMatrix(project);
  const now = useNow(5_000);
  return (
    <section>
      <h1>{project ? `Environments: ${project}` : 'Environments'}</h1>
      <LoadError error={error} />
      {!data && !error && <Loading />}
      {data && data.length === 0 && <p>No projects yet. Load one with <code>slipway server slipway.yaml</code> or <code>PUT /api/v1/projects/NAME</code>.</p>}
      {data?.map((m) => (
        <section key={m.name} class="project" aria-labelledby={`p-${m.name}`}>
          <h2 id={`p-${m.name}`}>
            {project ? m.name : <a href={links.project(m.name)}>{m.name}</a>}
            <span class="sub">
              {' '}
              · <a href={links.pipeline(m.name)}>pipeline</a> · {m.stages.length} stages · {m.services.length} services
            </span>
          </h2>
          <Matrix m={m} now={now} />
        </section>
      ))}
    </section>
  );
}

/** The current time, refreshed every `ms`: "since" labels move on without new data. */
export function useNow(ms: number): number {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), ms);
    return () => clearInterval(t);
  }, [ms]);
  return now;
}
