/**
 * A free TCP port on 127.0.0.1, asked from the kernel (listen on 0, read it, close). Ports
 * this supervisor already gave out are skipped: an instance that is starting or restarting
 * may not be listening on its port at the moment the kernel is asked.
 */
import { createServer } from 'node:net';
import { SlipwayError } from '../../core/index.js';

function askKernel(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export async function freePort(taken: ReadonlySet<number>): Promise<number> {
  for (let i = 0; i < 50; i++) {
    const port = await askKernel();
    if (port > 0 && !taken.has(port)) return port;
  }
  throw new SlipwayError('INTERNAL', 'no free port on 127.0.0.1 after 50 tries', { taken: taken.size });
}
