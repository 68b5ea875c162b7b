import { LoadGenerator, ReadinessProbe, scrapeGauges, type RequestKind } from './load-generator.js';
import {
  percentile,
  readinessDuring,
  secondsToFirstSuccess,
  slope,
  summarize,
  type TrafficSummary,
} from './summarize.js';
import { lostWrites, withStack, type SystemEnv, type SystemStack } from './system-stack.js';

/** One scenario's outcome; what does not apply is left out. */
export interface ScenarioResult {
  readonly scenario: string;
  readonly connections: number;
  readonly seconds: number;
  readonly traffic: TrafficSummary;
  /** The requests that started while the fault was on. */
  readonly duringFault?: TrafficSummary;
  /** Slowest non-2xx answer while the fault was on (how fast failures are). */
  readonly slowestFailureMs?: number | null;
  readonly acknowledgedWrites: number;
  readonly lostAcknowledgedWrites: number;
  /** Seconds from the fault's end to the first 2xx of the affected kind of request. */
  readonly recoverS?: number | null;
  /** Seconds from the fault's end to the first readiness 200 "ok". */
  readonly readinessRecoverS?: number | null;
  readonly readinessDuringFault?: Record<string, number>;
  readonly statsP99BeforeMs?: number | null;
  readonly statsP99DuringMs?: number | null;
  readonly exitS?: number | null;
  readonly exitCode?: number | null;
  readonly resetBeforeExit?: number;
  /**
   * What the demo's drain itself reported (its shutdown log): requests it cut at the end of the grace
   * and idle connections it closed. Resets beyond these were on connections the server never
   * accepted (still in the listen backlog when the listener closed).
   */
  readonly drainRequestsCut?: number | null;
  readonly drainIdleClosed?: number | null;
  readonly rssSlopeMbPerMin?: number | null;
  readonly heapSlopeMbPerMin?: number | null;
  /** Throughput of the demo and of the bare peer per round; ratio = demo / bare (medians). */
  readonly overhead?: { readonly oursPerSecond: number[]; readonly peerPerSecond: number[]; readonly ratio: number };
  /** Lines the demo logged during the scenario, and false alarms among them. */
  readonly logLines: number;
  readonly alarms: Record<string, number>;
  /** The first few alarm lines, shortened, to tell a real alarm from a false one. */
  readonly alarmLines?: readonly string[];
}

export interface Scenario {
  readonly name: string;
  readonly description: string;
  /** Part of `--quick` (the CI version). */
  readonly quick: boolean;
  run(env: SystemEnv): Promise<ScenarioResult>;
}

const MIX: Partial<Record<RequestKind, number>> = { read: 6, write: 2, stats: 2 };
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Log lines that raise an alarm, counted per scenario (a false one is an alarm with no fault behind it). */
const ALARMS: Record<string, RegExp> = {
  leak: /^(?!.*Health Check has failed).*(collected-without-close|\bleak)/i,
  breakerOpen: /^(?!.*Health Check has failed).*breaker[^\n]*\bopen(ed)?\b/i,
  // Terminus logs every failed check with its whole JSON: counted, not parsed.
  healthCheckFailed: /Health Check has failed/,
};

function alarmsIn(log: string, probe: ReadinessProbe): Record<string, number> {
  const lines = log.split('\n');
  return {
    ...Object.fromEntries(
      Object.entries(ALARMS).map(([name, pattern]) => [name, lines.filter((line) => pattern.test(line)).length]),
    ),
    // Readiness samples that named a Redis contributor down.
    redisDownSamples: probe.samples.filter((s) => s.down.some((key) => /redis/i.test(key))).length,
  };
}

async function loadWith(
  env: SystemEnv,
  stack: SystemStack,
  connections: number,
  mix: Partial<Record<RequestKind, number>>,
  during: (load: LoadGenerator, probe: ReadinessProbe) => Promise<void>,
  honourRetryAfter = false,
) {
  const logFrom = stack.demo.log.length;
  const linesFrom = stack.demo.linesWritten;
  const load = new LoadGenerator({
    url: stack.demo.url,
    connections,
    mix,
    readIds: stack.readIds,
    runTag: 'system',
    honourRetryAfter,
  });
  const probe = new ReadinessProbe(stack.demo.url, () => load.now());
  try {
    await during(load, probe);
  } finally {
    await load.stop();
    await probe.stop();
  }
  const lost = await lostWrites(env.databaseUrl, load.acknowledgedWrites);
  return {
    load,
    probe,
    seconds: Math.round(load.now() / 100) / 10,
    acknowledgedWrites: load.acknowledgedWrites.length,
    lostAcknowledgedWrites: lost,
    logLines: stack.demo.linesWritten - linesFrom,
    alarms: alarmsIn(stack.demo.log.slice(logFrom), probe),
    alarmLines: stack.demo.log
      .slice(logFrom)
      .split('\n')
      .filter((line) => Object.values(ALARMS).some((pattern) => pattern.test(line)))
      .slice(0, 5)
      .map((line) => line.slice(0, 240)),
  };
}

function baseline(connections: number, quick: boolean, polite = false): Scenario {
  const name = `baseline-${connections}${polite ? '-polite' : ''}`;
  return {
    name,
    description: polite
      ? `${connections} connections as baseline, each waiting Retry-After after a 503 (clients that back off)`
      : `${connections} connections sending reads, writes and stats without a fault`,
    quick,
    run: (env) =>
      withStack(env, async (stack) => {
        const seconds = env.quick ? 8 : 20;
        const run = await loadWith(env, stack, connections, MIX, () => sleep(seconds * 1000), polite);
        return {
          scenario: name,
          connections,
          seconds: run.seconds,
          traffic: summarize(run.load.records),
          acknowledgedWrites: run.acknowledgedWrites,
          lostAcknowledgedWrites: run.lostAcknowledgedWrites,
          logLines: run.logLines,
          alarms: run.alarms,
          alarmLines: run.alarmLines,
        };
      }),
  };
}

interface FaultSpec {
  readonly name: string;
  readonly description: string;
  readonly quick: boolean;
  readonly connections: number;
  readonly mix: Partial<Record<RequestKind, number>>;
  /** The request kind whose recovery is timed. */
  readonly recoverKind: RequestKind;
  inject(stack: SystemStack): Promise<void> | void;
  restore(stack: SystemStack): Promise<void> | void;
  /** Environment for the demo (e.g. exempting the suite's own control endpoint from shedding). */
  readonly demoEnv?: Record<string, string>;
}

function faultScenario(spec: FaultSpec): Scenario {
  return {
    name: spec.name,
    description: spec.description,
    quick: spec.quick,
    run: (env) =>
      withStack(
        env,
        async (stack) => {
          const [beforeMs, faultMs, afterMs] = env.quick ? [4_000, 6_000, 5_000] : [10_000, 10_000, 10_000];
          let faultAt = 0;
          let restoreAt = 0;
          const run = await loadWith(env, stack, spec.connections, spec.mix, async (load) => {
            await sleep(beforeMs);
            faultAt = load.now();
            await spec.inject(stack);
            await sleep(faultMs);
            restoreAt = load.now();
            await spec.restore(stack);
            await sleep(afterMs);
          });
          const records = run.load.records;
          const inFault = records.filter((r) => r.startMs >= faultAt && r.startMs < restoreAt);
          const failures = inFault.filter((r) => r.status >= 300);
          const stats = (from: number, to: number) =>
            percentile(
              records
                .filter((r) => r.kind === 'stats' && r.status === 200 && r.startMs >= from && r.startMs < to)
                .map((r) => r.latencyMs),
              99,
            );
          const readyAgain = run.probe.samples.find((s) => s.atMs >= restoreAt && s.status === 200 && s.state === 'ok');
          return {
            scenario: spec.name,
            connections: spec.connections,
            seconds: run.seconds,
            traffic: summarize(records),
            duringFault: summarize(records, faultAt, restoreAt),
            slowestFailureMs: failures.length ? Math.round(Math.max(...failures.map((r) => r.latencyMs))) : null,
            acknowledgedWrites: run.acknowledgedWrites,
            lostAcknowledgedWrites: run.lostAcknowledgedWrites,
            recoverS: secondsToFirstSuccess(records, restoreAt, spec.recoverKind),
            readinessRecoverS: readyAgain ? Math.round((readyAgain.atMs - restoreAt) / 100) / 10 : null,
            readinessDuringFault: readinessDuring(run.probe.samples, faultAt, restoreAt),
            statsP99BeforeMs: round1(stats(0, faultAt)),
            statsP99DuringMs: round1(stats(faultAt, restoreAt)),
            logLines: run.logLines,
            alarms: run.alarms,
            alarmLines: run.alarmLines,
          };
        },
        spec.demoEnv,
      ),
  };
}

/** The suite switches the stand-in upstream through the demo; that switch must not be shed under load. */
const UPSTREAM_CONTROL_ENV = { BALLAST_ADMISSION_EXEMPT_PATHS: '/health,/metrics,/upstream/mode' };

const round1 = (value: number | null) => (value === null ? null : Math.round(value * 10) / 10);

async function setUpstreamMode(stack: SystemStack, mode: 'ok' | 'unavailable' | 'slow'): Promise<void> {
  const response = await fetch(`${stack.demo.url}/upstream/mode?mode=${mode}`, { method: 'POST' });
  if (response.status !== 200) throw new Error(`setting the upstream mode answered ${response.status}`);
}

/** The graceful shutdown's own account of the drain, from its log lines (null when not logged). */
export function drainFigures(log: string): { requestsCut: number | null; idleClosed: number | null } {
  const idle = /GracefulShutdown\].*?(\d+) idle connections closed/.exec(log);
  const cut = /GracefulShutdown\].*?cut (\d+) requests in flight/.exec(log);
  const drained = /GracefulShutdown\] HTTP drained in/.test(log);
  return {
    requestsCut: cut ? Number(cut[1]) : drained ? 0 : null,
    idleClosed: idle ? Number(idle[1]) : null,
  };
}

const sigterm: Scenario = {
  name: 'sigterm-1000',
  description: 'SIGTERM while 1000 keep-alive connections keep sending',
  quick: true,
  run: (env) =>
    withStack(env, async (stack) => {
      let signalAt = 0;
      let exitAt = 0;
      let exitCode: number | null = null;
      const run = await loadWith(env, stack, 1000, MIX, async (load) => {
        await sleep(env.quick ? 5_000 : 10_000);
        signalAt = load.now();
        const t0 = performance.now();
        stack.demo.signal('SIGTERM');
        const exit = await Promise.race([stack.demo.exited, sleep(45_000).then(() => null)]);
        exitAt = load.now();
        exitCode = exit ? exit.code : null;
        if (!exit) env.log('sigterm: no exit within 45 s');
        else exitAt = exit.at - t0 + signalAt;
        await sleep(500);
      });
      const records = run.load.records;
      // A reset is a request the server dropped without an answer before it was gone; a refused
      // connection after the exit is the load generator knocking on a closed port.
      const resets = records.filter((r) => r.status === 0 && r.startMs < exitAt && r.error !== 'ECONNREFUSED').length;
      const drain = drainFigures(stack.demo.log);
      return {
        scenario: 'sigterm-1000',
        connections: 1000,
        seconds: run.seconds,
        traffic: summarize(records, 0, exitAt),
        duringFault: summarize(records, signalAt, exitAt),
        acknowledgedWrites: run.acknowledgedWrites,
        lostAcknowledgedWrites: run.lostAcknowledgedWrites,
        readinessDuringFault: readinessDuring(run.probe.samples, signalAt, exitAt + 1),
        exitS: Math.round((exitAt - signalAt) / 100) / 10,
        exitCode,
        resetBeforeExit: resets,
        drainRequestsCut: drain.requestsCut,
        drainIdleClosed: drain.idleClosed,
        logLines: run.logLines,
        alarms: run.alarms,
        alarmLines: run.alarmLines,
      };
    }),
};

const soak: Scenario = {
  name: 'soak',
  description: '100 connections for 5 minutes (30 s with --quick); RSS and heap slope',
  quick: false,
  run: (env) =>
    withStack(env, async (stack) => {
      const seconds = env.quick ? 30 : 300;
      const rss: Array<[number, number]> = [];
      const heap: Array<[number, number]> = [];
      const run = await loadWith(env, stack, 100, MIX, async (load) => {
        while (load.now() < seconds * 1000) {
          await sleep(5_000);
          const gauges = await scrapeGauges(stack.demo.url, [
            'process_resident_memory_bytes',
            'nodejs_heap_size_used_bytes',
          ]);
          const minutes = load.now() / 60_000;
          // The first 30 s are warm-up (JIT, pools filling, caches loading): not part of the slope.
          if (load.now() < 30_000 && !env.quick) continue;
          if (gauges.process_resident_memory_bytes) rss.push([minutes, gauges.process_resident_memory_bytes / 2 ** 20]);
          if (gauges.nodejs_heap_size_used_bytes) heap.push([minutes, gauges.nodejs_heap_size_used_bytes / 2 ** 20]);
        }
      });
      const perMin = (points: Array<[number, number]>) => round1(slope(points));
      return {
        scenario: 'soak',
        connections: 100,
        seconds: run.seconds,
        traffic: summarize(run.load.records),
        acknowledgedWrites: run.acknowledgedWrites,
        lostAcknowledgedWrites: run.lostAcknowledgedWrites,
        rssSlopeMbPerMin: perMin(rss),
        heapSlopeMbPerMin: perMin(heap),
        logLines: run.logLines,
        alarms: run.alarms,
        alarmLines: run.alarmLines,
      };
    }),
};

export const SCENARIOS: readonly Scenario[] = [
  baseline(100, true),
  baseline(1000, true),
  baseline(5000, false),
  baseline(1000, false, true),
  baseline(5000, false, true),
  faultScenario({
    name: 'postgres-cut',
    description: 'PostgreSQL connections reset and refused for 10 s, then restored',
    quick: true,
    connections: 300,
    mix: MIX,
    recoverKind: 'write',
    inject: (stack) => stack.postgres.cut(),
    restore: (stack) => stack.postgres.restore(),
  }),
  faultScenario({
    name: 'postgres-latency',
    description: 'PostgreSQL +200 ms each way for 10 s',
    quick: false,
    connections: 300,
    mix: MIX,
    recoverKind: 'write',
    inject: (stack) => stack.postgres.latency(200),
    restore: (stack) => stack.postgres.restore(),
  }),
  faultScenario({
    name: 'redis-cut',
    description: 'Redis connections reset and refused for 10 s, then restored',
    quick: true,
    connections: 300,
    mix: { read: 4, write: 2, stats: 4 },
    recoverKind: 'stats',
    inject: (stack) => stack.redis.cut(),
    restore: (stack) => stack.redis.restore(),
  }),
  faultScenario({
    name: 'upstream-unavailable',
    description: 'the upstream answers 503 for 10 s (resilient-quote: breaker + fallback)',
    quick: false,
    connections: 300,
    mix: { quote: 5, read: 5 },
    recoverKind: 'quote',
    demoEnv: UPSTREAM_CONTROL_ENV,
    inject: (stack) => setUpstreamMode(stack, 'unavailable'),
    restore: (stack) => setUpstreamMode(stack, 'ok'),
  }),
  faultScenario({
    name: 'upstream-slow',
    description: 'the upstream answers slowly for 10 s (resilient-quote: timeout + fallback)',
    quick: false,
    connections: 300,
    mix: { quote: 5, read: 5 },
    recoverKind: 'quote',
    demoEnv: UPSTREAM_CONTROL_ENV,
    inject: (stack) => setUpstreamMode(stack, 'slow'),
    restore: (stack) => setUpstreamMode(stack, 'ok'),
  }),
  sigterm,
  soak,
];
