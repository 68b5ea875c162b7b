import { efficiencyScore, type ComponentReport, type Recommendation } from '@ballast/core';

import { breakersHealth, type SharedStateHealth } from './resilience.health.js';
import type { ResilienceRuntime } from './resilience.runtime.js';

const FLAP_WINDOW_MS = 10 * 60_000;
const FLAP_OPENS = 3;
const MIN_VOLUME = 20;

const pct = (part: number, whole: number) => (whole === 0 ? 0 : (part * 100) / whole);
const round1 = (n: number) => Math.round(n * 10) / 10;

function breakerAdvice(runtime: ResilienceRuntime, now: number, out: Recommendation[]): number {
  let penalty = 0;
  for (const breaker of runtime.breakers.list()) {
    const { config, stats } = breaker;
    const opens = stats.opensSince(now - FLAP_WINDOW_MS);
    const snapshot = breaker.snapshot();
    if (opens >= FLAP_OPENS) {
      penalty += 15;
      out.push({
        severity: 'warning',
        message: `breaker ${breaker.name} opened ${opens} times in 10 min (flapping): raise openDurationMs from ${config.openDurationMs} to ${config.openDurationMs * 2} so the dependency gets time to recover, or minimumCalls from ${config.minimumCalls} to ${config.minimumCalls * 2} so a short burst does not trip it`,
        evidence: { breaker: breaker.name, opensIn10Min: opens, openDurationMs: config.openDurationMs },
        setting: {
          name: `breaker.openDurationMs (${breaker.name})`,
          current: config.openDurationMs,
          suggested: config.openDurationMs * 2,
        },
      });
    } else if (snapshot.state === 'open') {
      penalty += 10;
      out.push({
        severity: 'warning',
        message: `breaker ${breaker.name} is open: its dependency is failing; calls are rejected for another ${snapshot.retryAfterMs} ms`,
        evidence: { breaker: breaker.name, retryAfterMs: snapshot.retryAfterMs, opens: stats.opens },
      });
    }
    const calls = stats.calls;
    if (calls >= MIN_VOLUME && stats.slowCalls > 0 && config.slowCallRateThreshold >= 100) {
      const slowShare = pct(stats.slowCalls, calls);
      if (slowShare >= 20) {
        out.push({
          severity: 'info',
          message: `breaker ${breaker.name}: ${round1(slowShare)}% of calls are slow but slowCallRateThreshold is 100: lower it to 50 to shed load before timeouts pile up`,
          evidence: { breaker: breaker.name, slowCallShare: round1(slowShare) },
          setting: { name: `breaker.slowCallRateThreshold (${breaker.name})`, current: 100, suggested: 50 },
        });
      }
    }
  }
  for (const group of runtime.breakers.listKeyed()) {
    if (group.evictions > 0 && group.size >= group.maxKeys) {
      out.push({
        severity: 'info',
        message: `keyed breakers ${group.name} evicted ${group.evictions} keys at maxKeys ${group.maxKeys}: an evicted key forgets it was open; raise keyed.maxKeys to ${group.maxKeys * 2} if keys are not one-off`,
        evidence: { breaker: group.name, evictions: group.evictions, keys: group.size },
        setting: { name: 'keyed.maxKeys', current: group.maxKeys, suggested: group.maxKeys * 2 },
      });
    }
  }
  return penalty;
}

function retryAdvice(runtime: ResilienceRuntime, out: Recommendation[]): number {
  let penalty = 0;
  for (const [name, policy] of runtime.retries) {
    const s = policy.stats;
    if (s.calls < MIN_VOLUME) continue;
    const exhausted = pct(s.failedWithRetry, s.calls);
    const retried = pct(s.successWithRetry, s.calls);
    if (exhausted >= 20) {
      penalty += 15;
      const suggested = Math.max(1, Math.min(2, policy.config.maxAttempts - 1));
      out.push({
        severity: 'warning',
        message: `retries of ${name} give up in ${round1(exhausted)}% of calls: the dependency is down rather than flaky; lower maxAttempts from ${policy.config.maxAttempts} to ${suggested} and let a breaker shed the load`,
        evidence: { retry: name, calls: s.calls, exhaustedPercent: round1(exhausted) },
        setting: { name: `retry.maxAttempts (${name})`, current: policy.config.maxAttempts, suggested },
      });
    } else if (retried >= 30) {
      out.push({
        severity: 'info',
        message: `${round1(retried)}% of calls of ${name} needed a retry to succeed: the dependency is flaky; keep jitter on and look at why`,
        evidence: { retry: name, calls: s.calls, retriedPercent: round1(retried) },
      });
    }
  }
  return penalty;
}

function bulkheadAdvice(runtime: ResilienceRuntime, out: Recommendation[]): number {
  let penalty = 0;
  for (const [name, bulkhead] of runtime.bulkheads) {
    const s = bulkhead.stats;
    const rejected = s.rejectedQueueFull + s.rejectedQueueTimeout;
    const total = s.admitted + rejected;
    if (total < MIN_VOLUME || rejected === 0) continue;
    const rate = pct(rejected, total);
    if (rate < 1) continue;
    penalty += Math.min(20, rate);
    const { maxConcurrent, maxQueue, queueTimeoutMs } = bulkhead.config;
    const suggested = Math.ceil(maxConcurrent * 1.5);
    out.push({
      severity: rate >= 5 ? 'warning' : 'info',
      message:
        s.rejectedQueueTimeout > s.rejectedQueueFull
          ? `bulkhead ${name} rejected ${round1(rate)}% of calls after waiting ${queueTimeoutMs} ms (peak ${s.peakActive}/${maxConcurrent} running): raise maxConcurrent from ${maxConcurrent} to ${suggested} if the dependency has room, or queueTimeoutMs`
          : `bulkhead ${name} rejected ${round1(rate)}% of calls with a full queue (${maxQueue}) (peak ${s.peakActive}/${maxConcurrent} running): raise maxConcurrent from ${maxConcurrent} to ${suggested} if the dependency has room, or maxQueue`,
      evidence: {
        bulkhead: name,
        admitted: s.admitted,
        rejected,
        rejectedPercent: round1(rate),
        peakActive: s.peakActive,
      },
      setting: { name: `bulkhead.maxConcurrent (${name})`, current: maxConcurrent, suggested },
    });
  }
  return penalty;
}

function deadLetterAdvice(runtime: ResilienceRuntime, out: Recommendation[]): number {
  const max = runtime.options.deadLetter.maxEntries;
  let penalty = 0;
  for (const queue of runtime.deadLetters.known()) {
    const size = queue.stats.size;
    if (size >= max * 0.8) {
      penalty += 10;
      out.push({
        severity: 'warning',
        message: `dead-letter queue ${queue.name} holds ${size} letters, ${round1(pct(size, max))}% of maxEntries: replay or purge it before the oldest are dropped`,
        evidence: { queue: queue.name, size, maxEntries: max },
      });
    } else if (queue.stats.replayFailed > 0 && queue.stats.replayFailed >= queue.stats.replaySucceeded) {
      out.push({
        severity: 'info',
        message: `replays of ${queue.name} fail as often as they succeed (${queue.stats.replayFailed} failed): fix the cause before replaying again`,
        evidence: {
          queue: queue.name,
          replayFailed: queue.stats.replayFailed,
          replaySucceeded: queue.stats.replaySucceeded,
        },
      });
    }
  }
  return penalty;
}

/** The performance report of the module: counts, health and what to change. */
export function resilienceReport(
  runtime: ResilienceRuntime,
  sharedState?: SharedStateHealth,
  now = Date.now(),
): ComponentReport {
  const breakers = runtime.breakers.list();
  const states = breakers.map((b) => b.state);
  let calls = 0;
  let failures = 0;
  let timeouts = 0;
  let shortCircuited = 0;
  for (const b of [...breakers.map((x) => x.stats), ...runtime.breakers.listKeyed().map((g) => g.stats)]) {
    calls += b.calls;
    failures += b.failures;
    timeouts += b.timeouts;
    shortCircuited += b.shortCircuited;
  }
  let retries = 0;
  let retryExhausted = 0;
  for (const policy of runtime.retries.values()) {
    retries += policy.stats.retries;
    retryExhausted += policy.stats.failedWithRetry;
  }
  let bulkheadRejections = 0;
  for (const bulkhead of runtime.bulkheads.values()) {
    bulkheadRejections += bulkhead.stats.rejectedQueueFull + bulkhead.stats.rejectedQueueTimeout;
  }
  let fallbacks = 0;
  for (const fallback of runtime.fallbacks.values()) fallbacks += fallback.stats.calls;
  let deadLetters = 0;
  for (const queue of runtime.deadLetters.known()) deadLetters += queue.stats.sent;

  const recommendations: Recommendation[] = [];
  const penalty =
    breakerAdvice(runtime, now, recommendations) +
    retryAdvice(runtime, recommendations) +
    bulkheadAdvice(runtime, recommendations) +
    deadLetterAdvice(runtime, recommendations);
  return {
    metrics: {
      breakers: breakers.length,
      open: states.filter((s) => s === 'open').length,
      halfOpen: states.filter((s) => s === 'half-open').length,
      keyedGroups: runtime.breakers.listKeyed().length,
      calls,
      failures,
      timeouts,
      shortCircuited,
      retries,
      retryExhausted,
      bulkheadRejections,
      fallbacks,
      deadLetters,
      deadLetterStore: runtime.deadLetters.store.kind,
      timerWheelPending: runtime.wheel.pending,
    },
    efficiencyScore: efficiencyScore(100 - penalty),
    health: breakersHealth(runtime, sharedState),
    recommendations,
  };
}
