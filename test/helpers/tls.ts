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
