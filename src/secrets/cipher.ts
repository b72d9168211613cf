/**
 * Values at rest: AES-256-GCM with a fresh 96-bit nonce per value. The secret's name is
 * authenticated with it, so a stored value moved under another name does not decrypt.
 * Each value records the id of the key that sealed it: a wrong key is named as such.
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';

export interface Sealed {
  /** Short fingerprint of the key (not the key). */
  keyId: string;
  iv: string;
  data: string;
  tag: string;
}

export const KEY_BYTES = 32;

export function keyIdOf(key: Buffer): string {
  return createHash('sha256').update('slipway-secret-key-id\0').update(key).digest('hex').slice(0, 16);
}

const aad = (name: string): Buffer => Buffer.from(`slipway-secret:${name}`, 'utf8');

export function seal(key: Buffer, name: string, value: string): Sealed {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(aad(name));
  const data = Buffer.concat([cipher.update(value, 'utf8'), cipher.final()]);
  return { keyId: keyIdOf(key), iv: iv.toString('base64'), data: data.toString('base64'), tag: cipher.getAuthTag().toString('base64') };
}

/** The value, or a reason it cannot be read (never throws). */
export function unseal(key: Buffer, name: string, sealed: Sealed): { value: string } | { problem: 'wrong-key' | 'damaged' } {
  if (sealed.keyId !== keyIdOf(key)) return { problem: 'wrong-key' };
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(sealed.iv, 'base64'));
    decipher.setAAD(aad(name));
    decipher.setAuthTag(Buffer.from(sealed.tag, 'base64'));
    const value = Buffer.concat([decipher.update(Buffer.from(sealed.data, 'base64')), decipher.final()]).toString('utf8');
    return { value };
  } catch {
    return { problem: 'damaged' };
  }
}
