/**
 * A webhook endpoint for `npm run bench -- --webhooks`: answers 204 to every POST at once
 * (it does not verify: the bench measures the server's side, not a receiver's), and
 * counts what it got.
 */
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';

export async function startWebhookReceiver(): Promise<{
  url: string;
  secret: string;
  received(): number;
  close(): Promise<void>;
}> {
  let received = 0;
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      received++;
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}/hooks`,
    secret: `whsec_${randomBytes(32).toString('base64')}`,
    received: () => received,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
