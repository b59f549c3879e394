/**
 * Start the example app of one layout and print how to start Latchkey for it:
 *   npx tsx examples/run.ts same-origin|sibling-hosts|other-site
 */
import { startExampleApp } from './app/serve.js';
import { layouts } from './layouts.js';

const name = process.argv[2] as keyof typeof layouts;
if (!layouts[name]) {
  console.error(`usage: npx tsx examples/run.ts ${Object.keys(layouts).join('|')}`);
  process.exit(2);
}
const layout = layouts[name]({ app: 5173, latchkey: 4000 });
await startExampleApp(layout.app);
const env = Object.entries(layout.latchkeyEnv)
  .map(([k, v]) => `${k}=${v}`)
  .join(' ');
console.log(`The example app is at ${layout.appOrigin}/`);
console.log(`Start Latchkey for it with: PORT=4000 ${env} npm start`);
