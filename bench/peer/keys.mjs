// Makes the keys bench/compare needs, the same for idscheme and the peer:
//   node keys.mjs OUT_DIR
// OUT_DIR/client.private.json   the benchmark client's ES256 private JWK (signs its assertions)
// OUT_DIR/client.metadata.json  its registration (Dynamic Client Registration names, public key)
// OUT_DIR/provider.jwks.json    the peer's own ES256 signing key (its JWT access tokens)
import { writeFileSync } from 'node:fs';
import * as jose from 'jose';

const [out] = process.argv.slice(2);

async function pair(kid) {
  const { publicKey, privateKey } = await jose.generateKeyPair('ES256', { extractable: true });
  return {
    pub: { ...(await jose.exportJWK(publicKey)), kid, alg: 'ES256', use: 'sig' },
    priv: { ...(await jose.exportJWK(privateKey)), kid, alg: 'ES256', use: 'sig' },
  };
}

const client = await pair('bench-client-1');
const provider = await pair('bench-provider-1');
writeFileSync(`${out}/client.private.json`, JSON.stringify(client.priv));
writeFileSync(`${out}/client.metadata.json`, JSON.stringify({
  client_name: 'Bench client (private_key_jwt)',
  token_endpoint_auth_method: 'private_key_jwt',
  token_endpoint_auth_signing_alg: 'ES256',
  grant_types: ['client_credentials'],
  jwks: { keys: [client.pub] },
}));
writeFileSync(`${out}/provider.jwks.json`, JSON.stringify({ keys: [provider.priv] }));
