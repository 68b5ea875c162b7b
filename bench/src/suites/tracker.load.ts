/**
 * The load generator of the tracker benchmark, in a process of its own so that a service's CPU is
 * measured alone. Forked with IPC, it serves bursts: `{ port, requests }` sends that many requests
 * at concurrency CONCURRENCY over keep-alive connections to the service on `port` and replies
 * `{ ms }`, the time they took. It keeps one agent per port, so a service sees the same
 * connections burst after burst (no connect cost in the measured window).
 */
import { Agent, request } from 'node:http';

import { CONCURRENCY, type BurstReply, type BurstRequest } from './tracker.modes.js';

const agents = new Map<number, Agent>();

async function burst(port: number, requests: number): Promise<void> {
  let agent = agents.get(port);
  if (!agent) {
    agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });
    agents.set(port, agent);
  }
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

process.on('message', (message: BurstRequest) => {
  const started = performance.now();
  burst(message.port, message.requests).then(
    () => process.send!({ ms: performance.now() - started } satisfies BurstReply),
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
});
process.on('disconnect', () => {
  for (const agent of agents.values()) agent.destroy();
});
