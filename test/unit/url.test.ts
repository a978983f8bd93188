import { describe, expect, it } from 'vitest';
import { displayUrl, knativeHost, requestTarget } from '../../src/target/url.js';
import { target } from '../helpers/scenario.js';

describe('request URLs', () => {
  it('path routing puts project and deployment in the path', () => {
    const t = requestTarget(target({ url: 'https://gw.example.com:8443', project: 'my_project', deployment: 'fraud' }), 'predict', 'fraud');
    expect(t.origin).toBe('https://gw.example.com:8443');
    expect(t.path).toBe('/v1/my_project/fraud/v1/models/fraud:predict');
    expect(t.headers).toEqual({ 'content-type': 'application/json', authorization: 'ApiKey test-key-123456' });
  });

  it('host routing sends Host: <deployment>.<project>.<domain>, lower-cased and sanitised', () => {
    const t = requestTarget(target({ url: 'https://10.0.0.1', routing: 'host', project: 'My_Project', deployment: 'Fraud', knativeDomain: 'hopsworks.ai' }), 'classify', 'fraud');
    expect(t.path).toBe('/v1/models/fraud:classify');
    expect(t.headers.host).toBe('fraud.my-project.hopsworks.ai');
    expect(knativeHost({ deployment: 'a.b', project: 'p q', knativeDomain: 'X.io' })).toBe('a-b.p-q.x.io');
  });

  it('maps every kind to its suffix', () => {
    const t = target();
    expect(requestTarget(t, 'regress', 'm').path).toBe('/v1/test/fraud/v1/models/m:regress');
    expect(requestTarget(t, 'infer', 'm').path).toBe('/v1/test/fraud/v2/models/m/infer');
    expect(requestTarget(t, 'chat', 'm').path).toBe('/v1/test/fraud/v1/chat/completions');
    expect(requestTarget(t, 'completion', 'm').path).toBe('/v1/test/fraud/v1/completions');
  });

  it('keeps a base path of the gateway URL', () => {
    expect(requestTarget(target({ url: 'https://gw/prefix/' }), 'predict', 'm').path).toBe('/prefix/v1/test/fraud/v1/models/m:predict');
  });

  it('sends no authorization header without a key', () => {
    expect(requestTarget(target({ apiKey: undefined }), 'predict', 'm').headers.authorization).toBeUndefined();
  });

  it('displays URLs without credentials or query', () => {
    expect(displayUrl('https://user:pw@gw.example.com/x?k=secret')).toBe('https://gw.example.com/x');
  });
});
