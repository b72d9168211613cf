/** The stress part's server process: `slipway server` from the bench's own build (dist/bench), so `npm run bench` needs no `npm run build`. */
import '../src/cli/main.js';
