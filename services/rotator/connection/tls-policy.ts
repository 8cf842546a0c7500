import { RotationError } from '../../../shared/errors/rotation-error.ts';
import type { Transport } from '../types.ts';

/**
 * The `ssl` key: `true` requires verified TLS, `false` forbids TLS, absent tries verified TLS
 * first and falls back to plaintext only when the server does not offer TLS at all (never when
 * its certificate fails verification). The fallback is reported through the transport.
 */
export async function connectWithTlsPolicy<T>(
  ssl: boolean | undefined,
  where: string,
  connect: (tls: boolean) => Promise<T>,
  tlsRefused: (err: unknown) => boolean,
): Promise<{ value: T; transport: Transport }> {
  if (ssl === false) return { value: await connect(false), transport: 'plaintext' };
  try {
    return { value: await connect(true), transport: 'verified-tls' };
  } catch (err) {
    if (!tlsRefused(err)) throw err;
    if (ssl === true) throw new RotationError('TlsRefused', `${where}: the server refused TLS, and the secret requires it ("ssl": true)`);
  }
  return { value: await connect(false), transport: 'plaintext-fallback' };
}
