/**
 * Encryption at rest with LATCHKEY_KEY_SECRET: AES-256-GCM with a key derived (HKDF-SHA256)
 * from the secret, one derived key per purpose (`info`), so a value sealed for one use cannot
 * be opened as another. Private signing keys and TOTP secrets are sealed this way.
 *
 * @example
 *   const sealer = await createSealer(secret, 'totp-v1', 'TOTP secrets');
 *   const stored = await sealer.seal('JBSWY3DPEHPK3PXP'); // 'enc:v1:…'
 *   await sealer.open(stored);                           // 'JBSWY3DPEHPK3PXP'
 */
import { createCipheriv, createDecipheriv, hkdf, randomBytes } from 'node:crypto';
import { promisify } from 'node:util';

export interface Sealer {
  seal(plain: string): Promise<string>;
  open(sealed: string): Promise<string>;
}

export const isSealedText = (text: string) => text.startsWith('enc:');

/** `what` names the sealed values in the error a wrong secret gives. */
export async function createSealer(secret: string, info: string, what: string): Promise<Sealer> {
  const raw = await promisify(hkdf)('sha256', secret, 'latchkey', info, 32);
  const key = Buffer.from(raw);
  return {
    async seal(plain) {
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', key, iv);
      const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final(), cipher.getAuthTag()]);
      return `enc:v1:${iv.toString('base64url')}:${body.toString('base64url')}`;
    },
    async open(sealed) {
      const [, , ivText, bodyText] = sealed.split(':');
      const body = Buffer.from(bodyText, 'base64url');
      const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(ivText, 'base64url'));
      decipher.setAuthTag(body.subarray(body.length - 16));
      try {
        return Buffer.concat([decipher.update(body.subarray(0, body.length - 16)), decipher.final()]).toString('utf8');
      } catch {
        throw new Error(
          `${what} could not be decrypted: LATCHKEY_KEY_SECRET is not the secret they were encrypted with`,
        );
      }
    },
  };
}
