/** File names for instance ids, which hold slashes: readable, and distinct where sanitising would collide. */
import { createHash } from 'node:crypto';

export function logFileName(id: string): string {
  const readable = id.replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 100);
  const hash = createHash('sha256').update(id).digest('hex').slice(0, 10);
  return `${readable}-${hash}.log`;
}
