import { BadRequestException, Injectable, type PipeTransform } from '@nestjs/common';

/** A time in epoch milliseconds: absent, or an integer from 0 to the year 2286. */
@Injectable()
export class EpochMsPipe implements PipeTransform<unknown, number | undefined> {
  transform(raw: unknown): number | undefined {
    if (raw === undefined || raw === '') return undefined;
    const text = Array.isArray(raw) ? raw[raw.length - 1] : raw;
    const value = typeof text === 'string' && /^\d{1,13}$/.test(text.trim()) ? Number(text) : NaN;
    if (!Number.isSafeInteger(value)) {
      throw new BadRequestException(
        `since must be a time in epoch milliseconds (digits only), got ${JSON.stringify(text)}`,
      );
    }
    return value;
  }
}
