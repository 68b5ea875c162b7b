import { BadRequestException, Injectable, type PipeTransform } from '@nestjs/common';

const MAX_SECONDS = 10 * 365 * 24 * 3600;

/** `max_lifetime_seconds`: absent, or a number of seconds from 0 to ten years. */
@Injectable()
export class LifetimeSecondsPipe implements PipeTransform<unknown, number | undefined> {
  transform(raw: unknown): number | undefined {
    if (raw === undefined || raw === '') return undefined;
    const text = Array.isArray(raw) ? raw[raw.length - 1] : raw;
    const value = typeof text === 'string' && /^\d+(\.\d+)?$/.test(text.trim()) ? Number(text) : NaN;
    if (!Number.isFinite(value) || value > MAX_SECONDS) {
      throw new BadRequestException(
        `max_lifetime_seconds must be a number of seconds from 0 to ${MAX_SECONDS}, got ${JSON.stringify(text)}`,
      );
    }
    return value;
  }
}
