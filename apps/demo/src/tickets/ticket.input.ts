import { BadRequestException } from '@nestjs/common';

import { TICKET_STATUSES, type TicketStatus } from './ticket.entity.js';

export interface TicketInput {
  title?: string;
  status?: TicketStatus;
  priority?: number;
}

/** Validates a ticket body; `partial` for PATCH. Unknown fields are a 400 too, so typos do not vanish. */
export function readTicketInput(body: unknown, partial: boolean): TicketInput {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new BadRequestException('body must be a JSON object');
  }
  const { title, status, priority, ...rest } = body as Record<string, unknown>;
  const unknown = Object.keys(rest);
  if (unknown.length)
    throw new BadRequestException(`unknown field(s): ${unknown.join(', ')}; allowed: title, status, priority`);
  const out: TicketInput = {};
  if (title !== undefined || !partial) {
    if (typeof title !== 'string' || title.trim() === '' || title.length > 200) {
      throw new BadRequestException('title must be a non-empty string of at most 200 characters');
    }
    out.title = title.trim();
  }
  if (status !== undefined) {
    if (!TICKET_STATUSES.includes(status as TicketStatus)) {
      throw new BadRequestException(`status must be one of ${TICKET_STATUSES.join(', ')}`);
    }
    out.status = status as TicketStatus;
  }
  if (priority !== undefined) {
    if (!Number.isInteger(priority) || (priority as number) < 1 || (priority as number) > 5) {
      throw new BadRequestException('priority must be a whole number from 1 to 5');
    }
    out.priority = priority as number;
  }
  if (partial && Object.keys(out).length === 0) throw new BadRequestException('nothing to change');
  return out;
}
