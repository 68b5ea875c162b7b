import { BadRequestException, Injectable, type PipeTransform } from '@nestjs/common';

import { breakerStateBody, OPERATOR_STATE_REQUESTS, type BreakerStateBody } from './operator-state.js';

const ALLOWED = OPERATOR_STATE_REQUESTS.map((state) => `"${state}"`).join(', ');

/** Validates `{ "state": ... }`; a 400 names the allowed values and what was wrong. */
@Injectable()
export class BreakerStateBodyPipe implements PipeTransform<unknown, BreakerStateBody> {
  transform(raw: unknown): BreakerStateBody {
    const parsed = breakerStateBody.safeParse(raw);
    if (parsed.success) return parsed.data;
    const problems = parsed.error.issues
      .map((issue) => (issue.path.length === 0 ? issue.message : `${issue.path.join('.')}: ${issue.message}`))
      .join('; ');
    throw new BadRequestException(
      `The body must be JSON {"state": ...} with state one of ${ALLOWED} (closed resets the breaker); ${problems}`,
    );
  }
}
