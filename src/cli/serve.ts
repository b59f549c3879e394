/** `latchkey serve`: start the server (what npm start runs). */
import type { Config } from '../config.js';

export async function run(_argv: string[], config: Config): Promise<string | undefined> {
  // Loaded here: the other commands never need the HTTP stack.
  const { handleSignals, startServer } = await import('../main.js');
  if (!process.stdout.isTTY) {
    handleSignals(await startServer(config));
    return undefined;
  }
  // A person at a terminal: plain lines, the facts they need first.
  const { humanLogStream, startupFacts } = await import('../terminal.js');
  const server = await startServer(config, { logStream: humanLogStream(process.stdout) });
  handleSignals(server);
  const webServed = server.app.hasRoute({ method: 'GET', url: '/index.html' });
  return startupFacts(config, process.env, server.url, webServed).join('\n');
}
