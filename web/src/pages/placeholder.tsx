/** Insights (DORA) and Audit: their APIs are being built; the pages say so. */
export function ComingPage({ title, what }: { title: string; what: string }) {
  return (
    <section>
      <h1>{title}</h1>
      <p>{what}</p>
      <p class="muted">This page comes next: it will read the API once it is released.</p>
    </section>
  );
}
