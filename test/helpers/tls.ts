import { createServer } from 'node:https';
import { listenLocal } from './listen.js';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TestCert {
  /** PEM files, in a fresh temporary folder. */
  keyFile: string;
  certFile: string;
  key: string;
  cert: string;
}

/**
 * A fresh self-signed certificate for 127.0.0.1 and localhost (a self-signed gateway), made with
 * the openssl command line (.ci/run installs it where it is missing). `cn` tells two apart; `san`
 * sets the names it is valid for.
 */
export function makeSelfSignedCert(cn = 'servebench-test', san = 'IP:127.0.0.1,DNS:localhost'): TestCert {
  const dir = mkdtempSync(join(tmpdir(), 'sb-tls-'));
  const keyFile = join(dir, 'key.pem');
  const certFile = join(dir, 'cert.pem');
  execFileSync(
    'openssl',
    ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', keyFile, '-out', certFile, '-days', '2', '-subj', `/CN=${cn}`, '-addext', `subjectAltName=${san}`],
    { stdio: 'ignore' },
  );
  return { keyFile, certFile, key: readFileSync(keyFile, 'utf8'), cert: readFileSync(certFile, 'utf8') };
}

export interface TlsGateway {
  url: string;
  /** POSTs served so far (the run's GET check request is not load). */
  posts(): number;
  close(): Promise<void>;
}

/** An HTTPS predict server on 127.0.0.1, port 0, with the given certificate. */
export async function startTlsGateway(cert: TestCert): Promise<TlsGateway> {
  let posts = 0;
  const server = createServer({ key: cert.key, cert: cert.cert }, (req, res) => {
    if (req.method === 'POST') posts++;
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"predictions":[1]}');
    });
  });
  const { url, close } = await listenLocal(server, 'https');
  return { url, posts: () => posts, close };
}
