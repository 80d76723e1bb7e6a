// Makes the service provider's keys and client registrations for run.sh:
//   node keys.mjs OUT REDIRECT_URI
// OUT gets {signed: {private_jwk}, encrypted: {private_jwk, enc_private_jwk}, jar: {request_jwk}};
// OUT.<client>.metadata.json get the client metadata (public keys only) to register.
import { writeFileSync } from 'node:fs';
import * as jose from 'jose';

const [out, redirectUri] = process.argv.slice(2);

async function pair(alg, kid, use) {
  const { publicKey, privateKey } = await jose.generateKeyPair(alg, { extractable: true });
  const pub = { ...(await jose.exportJWK(publicKey)), kid, alg, use };
  const priv = { ...(await jose.exportJWK(privateKey)), kid, alg, use };
  return { pub, priv };
}

const base = {
  redirect_uris: [redirectUri],
  token_endpoint_auth_method: 'private_key_jwt',
  grant_types: ['authorization_code'],
  response_types: ['code'],
  scope: 'openid profile email',
  dpop_bound_access_tokens: true,
};
const s = await pair('ES256', 'shop-sig-1', 'sig');
const e = await pair('ES256', 'shop-sig-2', 'sig');
const enc = await pair('RSA-OAEP-256', 'shop-enc-1', 'enc');
const ro = await pair('ES256', 'shop-ro-1', 'sig');
const signed = { ...base, client_name: 'Example Shop (signed)', jwks: { keys: [s.pub] },
  grant_types: ['authorization_code', 'refresh_token'],
  post_logout_redirect_uris: [redirectUri.replace(/\/cb$/, '/logged-out')],
  id_token_signed_response_alg: 'ES256', userinfo_signed_response_alg: 'ES256' };
const encrypted = { ...base, client_name: 'Example Shop (encrypted)', scope: 'openid',
  jwks: { keys: [e.pub, enc.pub] }, id_token_signed_response_alg: 'ES256',
  id_token_encrypted_response_alg: 'RSA-OAEP-256', id_token_encrypted_response_enc: 'A256GCM',
  userinfo_signed_response_alg: 'ES256', userinfo_encrypted_response_alg: 'RSA-OAEP-256',
  userinfo_encrypted_response_enc: 'A128CBC-HS256' };
// A client with a shared secret that signs its requests (JAR, RFC 9101) instead of pushing them.
const jar = { redirect_uris: [redirectUri], token_endpoint_auth_method: 'client_secret_basic',
  grant_types: ['authorization_code'], response_types: ['code'], scope: 'openid email',
  client_name: 'Example Shop (JAR)', jwks: { keys: [ro.pub] }, request_object_signing_alg: 'ES256',
  id_token_signed_response_alg: 'PS256' };
writeFileSync(`${out}.signed.metadata.json`, JSON.stringify(signed));
writeFileSync(`${out}.encrypted.metadata.json`, JSON.stringify(encrypted));
writeFileSync(`${out}.jar.metadata.json`, JSON.stringify(jar));
writeFileSync(out, JSON.stringify({
  signed: { private_jwk: s.priv },
  encrypted: { private_jwk: e.priv, enc_private_jwk: enc.priv },
  jar: { request_jwk: ro.priv },
}));
