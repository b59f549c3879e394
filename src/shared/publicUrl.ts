/**
 * PUBLIC_URL's default: `http://localhost:PORT` on a loopback address (browsers refuse an IP
 * address as WebAuthn RP ID), else `http://HOST:PORT`.
 */
export function defaultPublicUrl(host: string, port: number): string {
  const loopback = host === 'localhost' || host === '::1' || /^127\./.test(host);
  return `http://${loopback ? 'localhost' : host.includes(':') ? `[${host}]` : host}:${port}`;
}
