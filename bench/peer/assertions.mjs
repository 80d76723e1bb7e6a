// Pre-signs client assertions (RFC 7523 §3) for the private_key_jwt workload: wrk's LuaJIT cannot
// sign ECDSA, so the Lua script sends these in order, each once (each has its own jti).
//   node assertions.mjs PRIVATE_JWK_FILE CLIENT_ID AUDIENCE COUNT OUT_FILE
// OUT_FILE gets one compact JWS per line. Signed with node:crypto directly (ES256 as r||s,
// RFC 7518 §3.4): jose's async API costs several times more per signature, and only the count
// matters here.
import { createPrivateKey, randomBytes, sign } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';

const [jwkFile, clientId, audience, countText, out] = process.argv.slice(2);
const count = Number.parseInt(countText, 10);
const jwk = JSON.parse(readFileSync(jwkFile, 'utf8'));
const key = createPrivateKey({ key: jwk, format: 'jwk' });
const b64 = (v) => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)).toString('base64url');

const header = b64({ alg: 'ES256', typ: 'JWT', kid: jwk.kid });
const now = Math.floor(Date.now() / 1000);
const lines = new Array(count);
for (let i = 0; i < count; i += 1) {
  const payload = b64({
    iss: clientId, sub: clientId, aud: audience,
    jti: randomBytes(16).toString('base64url'), iat: now, exp: now + 300,
  });
  const input = `${header}.${payload}`;
  const signature = sign('sha256', Buffer.from(input), { key, dsaEncoding: 'ieee-p1363' });
  lines[i] = `${input}.${signature.toString('base64url')}`;
}
writeFileSync(out, `${lines.join('\n')}\n`);
