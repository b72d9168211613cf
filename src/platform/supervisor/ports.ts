/**
 * A free TCP port on 127.0.0.1, asked from the kernel (listen on 0, read it, close). Ports
 * this supervisor already gave out are skipped: an instance that is starting or restarting
 * may not be listening on its port at the moment the kernel is asked.
 */
import { freePort as askKernel } from '../free-port.js';
import { SlipwayError } from '../../core/index.js';


export async function freePort(taken: ReadonlySet<number>): Promise<number> {
  for (let i = 0; i < 50; i++) {
    const port = await askKernel();
    if (port > 0 && !taken.has(port)) return port;
  }
  throw new SlipwayError('INTERNAL', 'no free port on 127.0.0.1 after 50 tries', { taken: taken.size });
}
