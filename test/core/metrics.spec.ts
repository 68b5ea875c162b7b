import { describe, expect, it } from '@jest/globals';
import { BallastCoreModule, counterOf, gaugeOf, InjectMetricsRegistry, type MetricsRegistry } from '@ballast/core';
import { Injectable, Module } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { Registry, collectDefaultMetrics } from 'prom-client';
import request from 'supertest';

@Injectable()
class OrdersMetrics {
  readonly placed;

  constructor(@InjectMetricsRegistry() readonly registry: MetricsRegistry) {
    this.placed = counterOf(registry, { name: 'orders_placed_total', help: 'Orders placed.' });
  }
}

@Module({ providers: [OrdersMetrics] })
class OrdersModule {}

describe('the shared metrics registry', () => {
  it("uses the app's own registry when handed one, without registering default metrics twice", async () => {
    const registry = new Registry();
    collectDefaultMetrics({ register: registry });
    const moduleRef = await Test.createTestingModule({
      imports: [BallastCoreModule.forRoot({ metrics: { registry } }), OrdersModule],
    }).compile();
    const app = moduleRef.createNestApplication({ logger: false });
    await app.init();
    try {
      const orders = app.get(OrdersMetrics);
      expect(orders.registry).toBe(registry);
      orders.placed.inc(3);
      const res = await request(app.getHttpServer()).get('/metrics').expect(200);
      expect(res.text).toContain('orders_placed_total 3');
      expect(res.text.match(/^# TYPE process_cpu_user_seconds_total/gm)).toHaveLength(1);
    } finally {
      await app.close();
    }
  });

  it('shares a family registered twice and refuses one of another type', () => {
    const registry = new Registry();
    const first = counterOf(registry, { name: 'x_total', help: 'x' });
    expect(counterOf(registry, { name: 'x_total', help: 'x' })).toBe(first);
    expect(() => gaugeOf(registry, { name: 'x_total', help: 'x' })).toThrow('already registered as another type');
  });
});
