/**
 * Audit: who did what and when (GET /api/v1/audit, scope `audit`), newest first,
 * searchable and filterable, with the hash chain's verification (GET /api/v1/audit/verify).
 */
import { useState } from 'preact/hooks';
import { get, url } from '../api.js';
import { LoadError, Loading } from '../components/errors.js';
import { time } from '../format.js';
import { useLoad } from '../use-load.js';

interface Entry {
  seq: number;
  at: number;
  actor: string;
  action: string;
  project: string | null;
  target: string | null;
  details: Record<string, unknown> | null;
  hash: string;
}
interface Verify {
  ok: boolean;
  rows: number;
  headSeq: number;
  headHash: string;
  broken: { seq: number; problem: string; message: string } | null;
}

export function AuditPage() {
  const [filters, setFilters] = useState({ q: '', actor: '', action: '', project: '' });
  const [draft, setDraft] = useState(filters);
  const [pages, setPages] = useState(1);
  const query = Object.fromEntries(Object.entries(filters).filter(([, v]) => v !== ''));
  const rows = useLoad(
    async () => {
      const out: Entry[] = [];
      let cursor: string | null | undefined;
      let more = false;
      for (let i = 0; i < pages; i++) {
        const page = await get<{ entries: Entry[]; nextCursor: string | null }>(url('/api/v1/audit', { ...query, limit: '100', ...(cursor ? { cursor } : {}) }));
        out.push(...page.entries);
        cursor = page.nextCursor;
        more = cursor !== null;
        if (!more) break;
      }
      return { entries: out, more };
    },
    [JSON.stringify(filters), pages],
    () => true,
  );
  const verify = useLoad(() => get<Verify>('/api/v1/audit/verify'), [], () => false);
  const field = (name: keyof typeof draft, label: string) => (
    <label>
      {label} <input value={draft[name]} onInput={(e) => setDraft({ ...draft, [name]: (e.target as HTMLInputElement).value })} />
    </label>
  );
  const v = verify.data;
  return (
    <section>
      <h1>Audit</h1>
      {v && (
        <p class={v.ok ? 'pill good' : 'error'} role="status" data-testid="audit-verify">
          {v.ok ? `Chain verified: ${v.rows} rows, head ${v.headHash.slice(0, 16)}…` : `Chain broken at row ${v.broken?.seq ?? '?'} (${v.broken?.problem ?? ''}): ${v.broken?.message ?? ''}`}
        </p>
      )}
      <LoadError error={verify.error ?? rows.error} />
      <form
        class="filters"
        onSubmit={(e) => {
          e.preventDefault();
          setPages(1);
          setFilters(draft);
        }}
      >
        {field('q', 'Search')}
        {field('actor', 'Who')}
        {field('action', 'Action')}
        {field('project', 'Project')}
        <button class="btn" type="submit">
          Filter
        </button>
      </form>
      {!rows.data && !rows.error && <Loading />}
      {rows.data && (
        <div class="table-scroll" tabIndex={0} role="region" aria-label="Audit rows">
          <table class="list small">
            <thead>
              <tr>
                <th scope="col">#</th>
                <th scope="col">When</th>
                <th scope="col">Who</th>
                <th scope="col">Action</th>
                <th scope="col">Project</th>
                <th scope="col">Target</th>
                <th scope="col">Details</th>
              </tr>
            </thead>
            <tbody>
              {rows.data.entries.map((r) => (
                <tr key={r.seq}>
                  <td>{r.seq}</td>
                  <td>{time(r.at)}</td>
                  <td>{r.actor}</td>
                  <td>{r.action}</td>
                  <td>{r.project ?? '—'}</td>
                  <td class="mono">{r.target ?? '—'}</td>
                  <td class="mono">{r.details ? JSON.stringify(r.details).slice(0, 160) : ''}</td>
                </tr>
              ))}
            </tbody>
          </table>
          {rows.data.entries.length === 0 && <p>No row matches.</p>}
          {rows.data.more && (
            <button class="btn" type="button" onClick={() => setPages(pages + 1)}>
              Older rows
            </button>
          )}
        </div>
      )}
    </section>
  );
}
