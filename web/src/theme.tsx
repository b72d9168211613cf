/** Light and dark: the system's preference by default, a toggle that overrides it (kept in localStorage). */
import { useState } from 'preact/hooks';

type Theme = 'light' | 'dark' | 'system';
const KEY = 'slipway.theme';

export function applyTheme(t: Theme): void {
  if (t === 'system') delete document.documentElement.dataset['theme'];
  else document.documentElement.dataset['theme'] = t;
}

export function savedTheme(): Theme {
  const v = localStorage.getItem(KEY);
  return v === 'light' || v === 'dark' ? v : 'system';
}

export function ThemeToggle() {
  const [t, setT] = useState<Theme>(savedTheme());
  const next: Theme = t === 'system' ? (matchMedia('(prefers-color-scheme: dark)').matches ? 'light' : 'dark') : t === 'dark' ? 'light' : 'dark';
  return (
    <button
      type="button"
      class="btn small"
      aria-label={`Switch to the ${next} theme`}
      onClick={() => {
        localStorage.setItem(KEY, next);
        applyTheme(next);
        setT(next);
      }}
    >
      {next === 'dark' ? '☾' : '☀'}
    </button>
  );
}
