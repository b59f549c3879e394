/**
 * A real HTTP endpoint for webhooks, as a product's backend would run one: it checks
 * every request's Standard Webhooks signature with the `standardwebhooks` library and
 * keeps what it received. Tests switch it between answering (204), failing (500),
 * hanging (never answering) and being down (not listening: connection refused).
 *
 * @example
 *   const receiver = await startReceiver(SECRET);
 *   await vi.waitUntil(() => receiver.byType('user.created').length === 1);
 *   await receiver.close();
 */
import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import type { Socket } from 'node:net';
import { Webhook } from 'standardwebhooks';

/** A secret in the Standard Webhooks form (fixed: tests only). */
export const WEBHOOK_TEST_SECRET = `whsec_${Buffer.from('latchkey webhook test secret, 32b').toString('base64')}`;

export interface Delivery {
  id: string;
  timestamp: number;
  body: { type: string; timestamp: string; data: Record<string, any> };
  raw: string;
}

export type ReceiverMode = 'ok' | 'fail' | 'hang';

export interface Receiver {
  url: string;
  mode: ReceiverMode;
  /** Every request whose signature verified, in arrival order (retries included). */
  readonly requests: Delivery[];
  /** Requests refused for a bad or missing signature. */
  readonly forged: number;
  /** What a receiver that de-duplicates by `webhook-id` keeps: one per id. */
  unique(): Delivery[];
  byType(type: string): Delivery[];
  /** Stop listening (senders get "connection refused") / listen again on the same port. */
  down(): Promise<void>;
  up(): Promise<void>;
  close(): Promise<void>;
}

export async function startReceiver(secret = WEBHOOK_TEST_SECRET, port = 0): Promise<Receiver> {
  const verifier = new Webhook(secret);
  const requests: Delivery[] = [];
  const sockets = new Set<Socket>();
  const hanging = new Set<ServerResponse>();
  let forged = 0;
  let server: Server | undefined;

  const handle = (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      const headers = Object.fromEntries(
        ['webhook-id', 'webhook-timestamp', 'webhook-signature'].map((h) => [h, String(req.headers[h] ?? '')]),
      );
      let body: Delivery['body'];
      try {
        body = verifier.verify(raw, headers) as Delivery['body'];
      } catch {
        forged++;
        res.writeHead(400).end();
        return;
      }
      requests.push({ id: headers['webhook-id'], timestamp: Number(headers['webhook-timestamp']), body, raw });
      if (receiver.mode === 'hang') hanging.add(res);
      else res.writeHead(receiver.mode === 'ok' ? 204 : 500).end();
    });
  };

  const listen = async (on: number) => {
    server = createServer(handle);
    server.on('connection', (s) => {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
    });
    await new Promise<void>((resolve) => server!.listen(on, '127.0.0.1', resolve));
    return (server.address() as { port: number }).port;
  };
  const stop = async () => {
    if (!server) return;
    const closed = new Promise<void>((resolve) => server!.close(() => resolve()));
    for (const s of sockets) s.destroy();
    hanging.clear();
    server = undefined;
    await closed;
  };

  const bound = await listen(port);
  const receiver: Receiver = {
    url: `http://127.0.0.1:${bound}/hooks`,
    mode: 'ok',
    requests,
    get forged() {
      return forged;
    },
    unique: () => [...new Map(requests.map((d) => [d.id, d])).values()],
    byType: (type) => receiver.unique().filter((d) => d.body.type === type),
    down: stop,
    up: async () => {
      await listen(bound);
    },
    close: stop,
  };
  return receiver;
}
