/** The `slipway` command, built with the bench (`npm run bench` builds only bench/ and what it imports): failover-bench.ts starts replicas with it. */
import '../src/cli/main.js';
