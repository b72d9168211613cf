/** The dashboard's entry: theme first (no flash), then the app. */
import { render } from 'preact';
import { App } from './app.js';
import { startLive } from './live.js';
import { applyTheme, savedTheme } from './theme.js';
import './styles.css';

applyTheme(savedTheme());
// The event stream opens first: each page loads its data once it is open, so no update falls between.
startLive();
render(<App />, document.getElementById('app')!);
