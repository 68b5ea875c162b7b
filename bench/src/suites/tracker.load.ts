/**
 * The load generator of the tracker benchmark, in a process of its own so the service's CPU is
 * measured alone: `node tracker.load.js <port> <requests>` (forked with IPC) sends `requests`
 * requests to warm up, messages 'warm', waits for 'go', sends `requests` more and messages
 * `{ ms }`, the time the measured ones took.
 */
import { Agent, request } from 'node:http';

import { CONCURRENCY } from './tracker.modes.js';

async function load(port: number, agent: Agent, requests: number): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < requests) {
      next += 1;
      await new Promise<void>((resolve, reject) => {
        const req = request({ host: '127.0.0.1', port, path: '/', agent }, (res) => {
          res.resume();
          res.on('end', resolve);
        });
        req.on('error', reject);
        req.end();
      });
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
}

const port = Number(process.argv[2]);
const requests = Number(process.argv[3]);
const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });
await load(port, agent, requests);
await new Promise<void>((resolve) => {
  process.once('message', () => resolve());
  process.send!('warm');
});
const started = performance.now();
await load(port, agent, requests);
process.send!({ ms: performance.now() - started });
agent.destroy();
process.disconnect();
