import { describe, expect, it } from '@jest/globals';

import { addSecretKeys, REDACTED, redact, redactString } from './redact.js';

describe('redactString', () => {
  it('removes the password from connection URLs and keeps the rest', () => {
    expect(redactString('connect postgres://app:s3cr3t@db.internal:5432/prod failed')).toBe(
      `connect postgres://app:${REDACTED}@db.internal:5432/prod failed`,
    );
    expect(redactString('redis://:hunter2@cache:6379/0')).toBe(`redis://:${REDACTED}@cache:6379/0`);
  });

  it('leaves URLs without credentials alone', () => {
    expect(redactString('http://example.com:8080/a?b=c')).toBe('http://example.com:8080/a?b=c');
  });

  it('removes key=value secrets and bearer tokens', () => {
    expect(redactString('host=db user=app password=abc123 sslmode=require')).toBe(
      `host=db user=app password=${REDACTED} sslmode=require`,
    );
    expect(redactString('GET /x?api_key=XYZ&page=2')).toBe(`GET /x?api_key=${REDACTED}&page=2`);
    expect(redactString('Authorization: Bearer eyJhbGciOi.abc.def')).toContain(`Bearer ${REDACTED}`);
    expect(redactString('Authorization: Bearer eyJhbGciOi.abc.def')).not.toContain('eyJ');
  });
});

describe('redact', () => {
  it('replaces values of secret keys at any depth, whatever their case or separators', () => {
    const input = {
      user: 'app',
      password: 'p',
      nested: { dbPassword: 'q', 'x-api-key': 'k', ClientSecret: 's', deeper: { refresh_token: 't', ok: 1 } },
      headers: { Authorization: 'Basic abc' },
    };
    expect(redact(input)).toEqual({
      user: 'app',
      password: REDACTED,
      nested: {
        dbPassword: REDACTED,
        'x-api-key': REDACTED,
        ClientSecret: REDACTED,
        deeper: { refresh_token: REDACTED, ok: 1 },
      },
      headers: { Authorization: REDACTED },
    });
  });

  it('walks arrays and redacts strings inside them', () => {
    expect(redact([{ token: 'a' }, 'postgres://u:pw@h/db', [{ secret: 'b' }], 3])).toEqual([
      { token: REDACTED },
      `postgres://u:${REDACTED}@h/db`,
      [{ secret: REDACTED }],
      3,
    ]);
  });

  it('does not modify the input', () => {
    const input = { password: 'p', list: [{ token: 't' }] };
    redact(input);
    expect(input).toEqual({ password: 'p', list: [{ token: 't' }] });
  });

  it('turns errors into plain objects with cleaned message, stack and cause', () => {
    const error = new Error('cannot reach postgres://a:b@h/db', { cause: { password: 'x' } });
    const out = redact({ error }) as unknown as { error: { message: string; stack: string; cause: unknown } };
    expect(out.error.message).toBe(`cannot reach postgres://a:${REDACTED}@h/db`);
    expect(out.error.stack).not.toContain(':b@');
    expect(out.error.cause).toEqual({ password: REDACTED });
  });

  it('survives cycles', () => {
    const a: Record<string, unknown> = { name: 'a', secret: 'x' };
    a.self = a;
    const out = redact(a) as Record<string, unknown>;
    expect(out.secret).toBe(REDACTED);
    expect(out.self).toBe(out);
  });

  it('honours keys added by the app', () => {
    addSecretKeys('ssn');
    expect(redact({ ssn: '123-45', name: 'n' })).toEqual({ ssn: REDACTED, name: 'n' });
  });

  it('keeps empty and null secret values visible, they reveal nothing', () => {
    expect(redact({ password: '', token: null })).toEqual({ password: '', token: null });
  });
});
