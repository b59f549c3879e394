/**
 * The client's address for limits, sessions and audit rows. With TRUST_PROXY the
 * address comes from X-Forwarded-For (Fastify's proxy-addr, configured in app.ts), and
 * proxy-addr hands back whatever text stands at the chosen position — a client that
 * writes `not-an-address` there when the hop count is larger than the real chain of
 * proxies must not get it stored or counted. Such text falls back to the socket's
 * address (the nearest proxy): always a valid IP.
 *
 * @example
 *   trustProxyOption(1);          // (address, hop) => hop < 1: the right-most entry
 *   clientAddress(request);       // '203.0.113.7'
 */
import { isIP } from 'node:net';
import type { FastifyRequest } from 'fastify';
import type { TrustProxy } from '../config.js';

export function clientAddress(request: FastifyRequest): string | null {
  if (isIP(request.ip)) return request.ip;
  const socket = request.socket?.remoteAddress;
  return socket && isIP(socket) ? socket : null;
}

/**
 * TRUST_PROXY as Fastify takes it. A hop count becomes a function (Fastify's types have
 * no number form): hop 0 is the socket's peer, hop 1 the right-most X-Forwarded-For entry.
 */
export function trustProxyOption(
  setting: TrustProxy,
): boolean | string[] | ((address: string, hop: number) => boolean) {
  if (typeof setting !== 'number') return setting;
  if (setting === 0) return false;
  return (_address, hop) => hop < setting;
}
