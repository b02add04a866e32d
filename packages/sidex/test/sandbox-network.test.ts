// The pieces of `network: { allow: [...] }`: the allowlist, the filtering proxy
// on a real Unix socket with real upstream servers on 127.0.0.1, and the
// in-sandbox bridge driven from a child node process.
import { describe, expect, it } from 'vitest';
import { Allowlist } from '../dist/engine/sandbox/network/allowlist.js';
import { SidexError } from '../dist/errors.js';

function refusal(entries: unknown): SidexError {
  try {
    Allowlist.parse(entries);
  } catch (err) {
    if (err instanceof SidexError) return err;
    throw err;
  }
  throw new Error(`accepted ${JSON.stringify(entries)}`);
}

describe('allowlist', () => {
  it('matches names exactly, on any port unless one is given', () => {
    const list = Allowlist.parse(['example.com', 'api.example.org:443']);
    expect(list.allows('example.com', 80)).toBe(true);
    expect(list.allows('example.com', 8443)).toBe(true);
    expect(list.allows('EXAMPLE.Com.', 443)).toBe(true);
    expect(list.allows('a.example.com', 443)).toBe(false);
    expect(list.allows('example.com.evil.net', 443)).toBe(false);
    expect(list.allows('notexample.com', 443)).toBe(false);
    expect(list.allows('api.example.org', 443)).toBe(true);
    expect(list.allows('api.example.org', 80)).toBe(false);
  });

  it('*.domain matches strict subdomains, not the apex, never an IP literal', () => {
    const list = Allowlist.parse(['*.example.com']);
    expect(list.allows('a.example.com', 443)).toBe(true);
    expect(list.allows('a.b.example.com', 80)).toBe(true);
    expect(list.allows('example.com', 443)).toBe(false);
    expect(list.allows('badexample.com', 443)).toBe(false);
    expect(list.allows('127.0.0.1', 443)).toBe(false);
    expect(Allowlist.parse(['*.example.com:8443']).allows('a.example.com', 443)).toBe(false);
  });

  it('matches IP literals by address, however the request spells it, and never by name', () => {
    const list = Allowlist.parse(['127.0.0.1:8080', '[::1]:9000', '10.1.2.3', '[2001:DB8::1]']);
    expect(list.allows('127.0.0.1', 8080)).toBe(true);
    expect(list.allows('127.1', 8080)).toBe(true);
    expect(list.allows('[::ffff:127.0.0.1]', 8080)).toBe(true);
    expect(list.allows('127.0.0.1', 8081)).toBe(false);
    expect(list.allows('localhost', 8080)).toBe(false);
    expect(list.allows('[::1]', 9000)).toBe(true);
    expect(list.allows('[0:0:0:0:0:0:0:1]', 9000)).toBe(true);
    expect(list.allows('[::1]', 9001)).toBe(false);
    expect(list.allows('10.1.2.3', 5432)).toBe(true);
    expect(list.allows('10.1.2.4', 5432)).toBe(false);
    expect(list.allows('[2001:db8:0::1]', 443)).toBe(true);
    // A name is not resolved to match an address entry.
    expect(Allowlist.parse(['localhost']).allows('127.0.0.1', 80)).toBe(false);
  });

  it('compares international names in punycode', () => {
    const list = Allowlist.parse(['bücher.example']);
    expect(list.allows('xn--bcher-kva.example', 443)).toBe(true);
    expect(list.allows('BÜCHER.example', 443)).toBe(true);
  });

  it('an empty list allows nothing', () => {
    expect(Allowlist.parse([]).allows('example.com', 443)).toBe(false);
  });

  it.each([
    ['http://x', 'is not a host pattern (use host, host:port or *.domain)'],
    ['example.com/path', 'is not a host pattern'],
    ['user@example.com', 'is not a host pattern'],
    ['exa mple.com', 'is not a host pattern'],
    ['', 'is not a host pattern'],
    [42, 'is not a host pattern'],
    ['*', 'would allow every host'],
    ['*.com', 'is too broad'],
    ['a.*.example.com', 'has a wildcard that is not a leading "*." (write *.example.com)'],
    ['*example.com', 'has a wildcard that is not a leading "*." (write *.example.com)'],
    ['*.10.0.0.1', 'puts a wildcard on an IP address'],
    ['example.com:0', 'has an invalid port (a port is a number from 1 to 65535)'],
    ['example.com:65536', 'has an invalid port (a port is a number from 1 to 65535)'],
    ['example.com:https', 'has an invalid port (a port is a number from 1 to 65535)'],
    ['example.com:', 'has an invalid port (a port is a number from 1 to 65535)'],
    ['[::1]x', 'has an invalid port (a port is a number from 1 to 65535)'],
    ['::1', 'is an IPv6 address without brackets (write [::1] or [::1]:443)'],
    ['2001:db8::1:443', 'is an IPv6 address without brackets (write [::1] or [::1]:443)'],
    ['[::1', 'is not a valid host'],
    ['[example.com]', 'is not a valid host'],
    ['-bad-.com', 'is not a valid host'],
    ['foo.123', 'is not a valid host'],
    ['a..b.com', 'is not a valid host'],
  ])('refuses %j naming it and its index', (entry, why) => {
    const err = refusal(['example.com', '*.example.org', entry]);
    expect(err.code).toBe('INVALID_NETWORK');
    expect(err.message).toContain(`network.allow[2]: ${JSON.stringify(entry)} ${why}`);
    expect(err.details).toMatchObject({ field: 'network.allow', index: 2 });
  });

  it('says exactly what is wrong, under the field it was given', () => {
    expect(refusal(['example.com', 'ok.example.net', 'http://x']).message).toBe('network.allow[2]: "http://x" is not a host pattern (use host, host:port or *.domain)');
    expect(() => Allowlist.parse(['http://x'], 'executions[3].network.allow')).toThrow('executions[3].network.allow[0]: "http://x"');
    expect(refusal('example.com').message).toBe('network.allow must be a list of host patterns (use host, host:port or *.domain)');
  });
});
