import { describe, expect, it } from 'vitest';
import { serverNameFor, tlsSettings } from '../../src/transport/tls.js';

describe('TLS settings (one rule for the workers and the check request)', () => {
  it('names DNS hosts in SNI and no IP literal, bracketed or not', () => {
    expect(serverNameFor('gateway.hopsworks.ai')).toBe('gateway.hopsworks.ai');
    expect(serverNameFor('localhost')).toBe('localhost');
    expect(serverNameFor('10.0.0.7')).toBeUndefined();
    expect(serverNameFor('[::1]')).toBeUndefined();
    expect(serverNameFor('::1')).toBeUndefined();
    expect(serverNameFor('[fe80::1]')).toBeUndefined();
  });

  it('builds the options from the origin and target.tls', () => {
    expect(tlsSettings('https://gw.example.com:8443', { insecure: false, ca: 'PEM' })).toEqual({ rejectUnauthorized: true, ca: 'PEM', servername: 'gw.example.com' });
    expect(tlsSettings('https://[::1]:8443', { insecure: true })).toEqual({ rejectUnauthorized: false });
    expect(tlsSettings('https://127.0.0.1', { insecure: false })).toEqual({ rejectUnauthorized: true });
  });
});
