import { promises as fsp } from 'node:fs';
import { devNull } from 'node:os';

import { RESOURCE_REGISTRY, type ResourceRegistry } from '@ballast/core';
import { RESOURCE_TRACKER, type ResourceTracker } from '@ballast/tracker';
import {
  BadRequestException,
  Controller,
  Delete,
  HttpCode,
  Inject,
  Optional,
  Post,
  Query,
  type OnApplicationShutdown,
} from '@nestjs/common';

const KINDS = ['object', 'file'] as const;
const MODES = ['hold', 'abandon'] as const;
type LeakKind = (typeof KINDS)[number];
type LeakMode = (typeof MODES)[number];
const MAX_COUNT = 100;
const OWNER = 'LeakDemoController';

interface Held {
  close(): Promise<void>;
}

function oneOf<T extends string>(name: string, value: string | undefined, allowed: readonly T[], fallback: T): T {
  if (value === undefined || value === '') return fallback;
  if ((allowed as readonly string[]).includes(value)) return value as T;
  throw new BadRequestException(`${name} must be one of ${allowed.join(', ')}, got ${JSON.stringify(value)}`);
}

/**
 * Leaks on purpose so the tracker, the dashboard and the docs have something to show:
 * `hold` keeps resources open past their limit (held-too-long), `abandon` drops them unclosed
 * (collected-without-close), `DELETE` closes the held ones (the reports are retracted).
 */
@Controller('demo/leaks')
export class LeakDemoController implements OnApplicationShutdown {
  private held: Held[] = [];

  constructor(
    @Inject(RESOURCE_REGISTRY) private readonly registry: ResourceRegistry,
    @Optional() @Inject(RESOURCE_TRACKER) private readonly tracker?: ResourceTracker,
  ) {}

  @Post()
  async leak(@Query('kind') rawKind?: string, @Query('count') rawCount?: string, @Query('mode') rawMode?: string) {
    const kind: LeakKind = oneOf('kind', rawKind, KINDS, 'object');
    const mode: LeakMode = oneOf('mode', rawMode, MODES, 'hold');
    const count = rawCount === undefined || rawCount === '' ? 1 : Number(rawCount);
    if (!Number.isInteger(count) || count < 1 || count > MAX_COUNT) {
      throw new BadRequestException(
        `count must be a whole number from 1 to ${MAX_COUNT}, got ${JSON.stringify(rawCount)}`,
      );
    }
    const opened = await Promise.all(Array.from({ length: count }, () => this.open(kind)));
    if (mode === 'hold') this.held.push(...opened);
    return { kind, mode, count, held: this.held.length, tracking: this.registry.tracking };
  }

  @Delete()
  @HttpCode(200)
  async closeHeld() {
    const held = this.held;
    this.held = [];
    await Promise.all(held.map((h) => h.close()));
    return { closed: held.length };
  }

  async onApplicationShutdown(): Promise<void> {
    await this.closeHeld();
  }

  private async open(kind: LeakKind): Promise<Held> {
    if (kind === 'file') {
      // Opened under our name: the tracker's file-handle signal records it and sees it closed.
      const file = await (this.tracker ? this.tracker.runAs(OWNER, () => fsp.open(devNull)) : fsp.open(devNull));
      return { close: () => file.close() };
    }
    const resource = { openedAt: new Date().toISOString() };
    const handle = this.registry.register(resource, { type: 'demo-object', owner: OWNER });
    return { close: async () => handle.release() };
  }
}
