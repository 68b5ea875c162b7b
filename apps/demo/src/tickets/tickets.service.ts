import { toPage, type Page, type PageQuery } from '@ballast/core';
import { CacheEvict } from '@ballast/cache';
import { InjectPoolDataSource, PoolRegistry } from '@ballast/pool';
import { Injectable, NotFoundException } from '@nestjs/common';
import { DataSource, type Repository } from 'typeorm';

import { Ticket } from './ticket.entity.js';
import type { TicketInput } from './ticket.input.js';

export interface TicketStatistics {
  readonly total: number;
  readonly byStatus: Record<string, number>;
  readonly meanPriority: number | null;
}

const STATS_CACHE = 'ticket-stats';

@Injectable()
export class TicketsService {
  private readonly tickets: Repository<Ticket>;

  constructor(
    @InjectPoolDataSource('main') dataSource: DataSource,
    private readonly pools: PoolRegistry,
  ) {
    this.tickets = dataSource.getRepository(Ticket);
  }

  async list(query: PageQuery): Promise<Page<Ticket>> {
    const [items, total] = await this.tickets.findAndCount({
      skip: query.offset,
      take: query.size,
      order: { id: 'DESC' },
    });
    return toPage(items, total, query);
  }

  async get(id: number): Promise<Ticket> {
    const ticket = await this.tickets.findOneBy({ id });
    if (!ticket) throw new NotFoundException(`ticket ${id} does not exist`);
    return ticket;
  }

  @CacheEvict({ cache: STATS_CACHE, allEntries: true })
  async create(input: TicketInput): Promise<Ticket> {
    return this.tickets.save(this.tickets.create(input));
  }

  @CacheEvict({ cache: STATS_CACHE, allEntries: true })
  async update(id: number, input: TicketInput): Promise<Ticket> {
    const ticket = await this.get(id);
    return this.tickets.save(Object.assign(ticket, input));
  }

  @CacheEvict({ cache: STATS_CACHE, allEntries: true })
  async remove(id: number): Promise<void> {
    const { affected } = await this.tickets.delete({ id });
    if (!affected) throw new NotFoundException(`ticket ${id} does not exist`);
  }

  /** The analytics query, under its own budget (ANALYTICS_QUERY_TIMEOUT_MS) rather than the default. */
  async statistics(): Promise<TicketStatistics> {
    const rows: { status: string; n: number; mean: string | null }[] = await this.pools
      .database('main')
      .analytics((manager) =>
        manager.query('SELECT status, count(*)::int AS n, avg(priority)::text AS mean FROM ticket GROUP BY status'),
      );
    const total = rows.reduce((sum, r) => sum + r.n, 0);
    const weighted = rows.reduce((sum, r) => sum + Number(r.mean ?? 0) * r.n, 0);
    return {
      total,
      byStatus: Object.fromEntries(rows.map((r) => [r.status, r.n])),
      meanPriority: total ? Math.round((weighted / total) * 100) / 100 : null,
    };
  }
}
