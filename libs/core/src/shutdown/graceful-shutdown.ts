import type { Server } from 'node:http';

import type { INestApplication } from '@nestjs/common';

import { mergeOptions } from '../options/env-options.js';
import { processEnv, type EnvSource } from '../options/option-spec.js';
import { RedactingLogger } from '../redaction/redacting.logger.js';
import { HttpDrain, type HttpDrainSummary } from './http-drain.js';
import {
  shutdownOptions,
  type GracefulShutdownOptions,
  type ResolvedGracefulShutdownOptions,
} from './shutdown.options.js';

export type GracefulShutdownState = 'running' | 'draining' | 'closing' | 'closed';

/** How a shutdown ended. */
export interface ShutdownOutcome {
  readonly signal: string | undefined;
  readonly drain: HttpDrainSummary;
  /** Time app.close() took, or undefined when it failed or timed out. */
  readonly closeMs: number | undefined;
  /** What `process.exit` is (or would be, with `exitProcess: false`) called with. */
  readonly exitCode: 0 | 1;
}

export interface GracefulShutdown {
  readonly state: GracefulShutdownState;
  readonly options: ResolvedGracefulShutdownOptions;
  /** Runs the shutdown as a signal would; a second call returns the same outcome. */
  shutdown(signal?: string): Promise<ShutdownOutcome>;
  /** Removes the signal handlers and gives the HTTP server back untouched (for tests). */
  dispose(): void;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Drains the app on SIGTERM/SIGINT the way a load balancer needs, then closes it:
 *
 * 1. readiness answers 503 `{"status":"shutting_down"}` at once, from the HTTP layer (before any
 *    guard, and long before Nest's own close marks Terminus as shutting down);
 * 2. after `preStopDelayMs` (0 by default) the server stops accepting, every further answer carries
 *    `Connection: close`, idle kept-alive connections are closed;
 * 3. requests in flight get `graceMs`; what is still open then is destroyed, and counted;
 * 4. `app.close()` runs the shutdown hooks (pools, caches, breakers close in reverse dependency
 *    order), bounded by `closeTimeoutMs`; then the process exits 0 (1 if the close failed or hung).
 *
 * A second signal during all this exits 1 at once. Call it instead of `app.enableShutdownHooks()`,
 * before `app.listen()`. Works with the Express and the Fastify adapter. Environment variables
 * (`BALLAST_SHUTDOWN_*`) override `options`.
 */
export function enableGracefulShutdown(
  app: INestApplication,
  options: GracefulShutdownOptions = {},
  env: EnvSource = processEnv,
): GracefulShutdown {
  const resolved = shutdownOptions.parse(mergeOptions(options, shutdownOptions.fromEnv(env)));
  const logger = new RedactingLogger('GracefulShutdown');
  const server = app.getHttpServer() as Server;
  const drain = new HttpDrain(server, { readinessPaths: resolved.readinessPaths });
  let state: GracefulShutdownState = 'running';
  let outcome: Promise<ShutdownOutcome> | undefined;

  const exit = (code: 0 | 1) => {
    if (resolved.exitProcess) process.exit(code);
  };

  const onSignal = (signal: NodeJS.Signals) => {
    if (state === 'running') {
      void handle.shutdown(signal);
      return;
    }
    const { connections, inFlight } = drain.counts();
    logger.warn(
      `Second ${signal} while ${state}: exiting with 1 now (${connections} connections open, ${inFlight} requests in flight)`,
    );
    exit(1);
  };

  async function run(signal: string | undefined): Promise<ShutdownOutcome> {
    state = 'draining';
    drain.failReadiness();
    const { connections, inFlight } = drain.counts();
    logger.log(
      `${signal ?? 'Shutdown'} received: readiness answers 503 shutting_down; ${connections} connections open, ` +
        `${inFlight} requests in flight; draining after ${resolved.preStopDelayMs} ms, grace ${resolved.graceMs} ms`,
    );
    if (resolved.preStopDelayMs > 0) await sleep(resolved.preStopDelayMs);
    const summary = await drain.drain(resolved.graceMs);
    logDrain(logger, summary, resolved.graceMs);

    state = 'closing';
    const closeStarted = performance.now();
    let timer: NodeJS.Timeout | undefined;
    const closed = await Promise.race([
      // Nest's close takes the signal (typed without it) and hands it to the shutdown hooks.
      (app.close as (signal?: string) => Promise<void>).call(app, signal).then(
        () => 'closed' as const,
        (error: unknown) => error,
      ),
      new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), resolved.closeTimeoutMs))),
    ]);
    clearTimeout(timer);
    state = 'closed';
    drain.dispose();
    for (const name of resolved.signals) process.off(name, onSignal);

    let closeMs: number | undefined;
    let exitCode: 0 | 1 = 1;
    if (closed === 'closed') {
      closeMs = Math.round(performance.now() - closeStarted);
      exitCode = 0;
      logger.log(`Application closed in ${closeMs} ms (shutdown hooks: pools, caches, breakers); exit code 0`);
    } else if (closed === 'timeout') {
      logger.error(`app.close() did not finish within ${resolved.closeTimeoutMs} ms; exit code 1`);
    } else {
      logger.error(`app.close() failed: ${(closed as Error)?.message ?? String(closed)}; exit code 1`);
      if (closed instanceof Error && closed.stack) logger.debug(closed.stack);
    }
    return { signal, drain: summary, closeMs, exitCode };
  }

  const handle: GracefulShutdown = {
    get state() {
      return state;
    },
    options: resolved,
    shutdown(signal) {
      outcome ??= run(signal).then((result) => {
        exit(result.exitCode);
        return result;
      });
      return outcome;
    },
    dispose() {
      for (const name of resolved.signals) process.off(name, onSignal);
      drain.dispose();
    },
  };
  for (const name of resolved.signals) process.on(name, onSignal);
  return handle;
}

function logDrain(logger: RedactingLogger, summary: HttpDrainSummary, graceMs: number): void {
  const done =
    `${summary.completed} requests completed (${summary.answeredWithClose} answered with Connection: close), ` +
    `${summary.idleClosed} idle connections closed, ${summary.readinessAnswered} readiness probes answered 503`;
  if (summary.drained) {
    logger.log(`HTTP drained in ${summary.durationMs} ms: ${done}; nothing cut`);
    return;
  }
  const samples = summary.cutSamples.length ? ` (${summary.cutSamples.join(', ')})` : '';
  logger.warn(
    `Grace of ${graceMs} ms over after ${summary.durationMs} ms: cut ${summary.requestsCut} requests in flight on ` +
      `${summary.connectionsCut} connections${samples}; ${done}`,
  );
}
