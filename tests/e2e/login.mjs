// End to end: a real, independent OpenID Connect client library (openid-client) logs a person in
// through idscheme's real pages in headless Chromium, the person approving with the reference
// app (`idscheme app`), exactly as a service provider and a phone would.
//
// Started by run.sh, which starts the scheme and seeds it; the setup arrives in SETUP (a JSON
// file). Prints one line per case and a closing "N passed, M failed" line; exits non-zero on a
// failure.
import { strict as assert } from 'node:assert';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import { promisify } from 'node:util';
import * as client from 'openid-client';
import * as jose from 'jose';
import { chromium } from 'playwright-core';

const run = promisify(execFile);
const setup = JSON.parse(readFileSync(process.env.SETUP, 'utf8'));
const issuer = new URL(setup.issuer);

// The service provider's redirect target.
const rp = http.createServer((req, res) => {
  res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
  res.end('<!doctype html><title>Example Shop</title><p id="rp">back at the shop</p>');
});
await new Promise((ok) => rp.listen(setup.rp_port, '127.0.0.1', ok));
const redirectUri = `http://127.0.0.1:${setup.rp_port}/cb`;
const loggedOutUri = `http://127.0.0.1:${setup.rp_port}/logged-out`;  // post_logout_redirect_uris

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-background-networking', '--disable-dev-shm-usage'],
});

async function app(...args) {
  const { stdout } = await run(setup.idscheme, ['app', '--server', setup.issuer, '--state',
    setup.app_state, ...args], { timeout: 60000,
    env: { ...process.env, IDSCHEME_APP_PIN: setup.pin } });
  return stdout;
}

async function configFor(c, { decrypt = false } = {}) {
  const auth = c.client_secret ? client.ClientSecretBasic(c.client_secret)
    : client.PrivateKeyJwt({ key: await jose.importJWK(c.private_jwk, c.private_jwk.alg),
      kid: c.private_jwk.kid });
  const config = await client.discovery(issuer, c.client_id, undefined, auth,
    { execute: [client.allowInsecureRequests] });
  if (decrypt) {
    const encKey = await jose.importJWK(c.enc_private_jwk, 'RSA-OAEP-256');
    client.enableDecryptingResponses(config, ['A256GCM', 'A128CBC-HS256'],
      { key: encKey, kid: c.enc_private_jwk.kid, alg: 'RSA-OAEP-256' });
  }
  return config;
}

// Starts a login with PAR, PKCE and DPoP; returns what the token request needs.
async function start(config, extra = {}) {
  const verifier = client.randomPKCECodeVerifier();
  const state = client.randomState();
  const nonce = client.randomNonce();
  const DPoP = client.getDPoPHandle(config, await client.randomDPoPKeyPair('ES256'));
  const params = {
    redirect_uri: redirectUri, scope: 'openid profile email', state, nonce,
    code_challenge: await client.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256', ui_locales: 'en', ...extra,
  };
  const url = await client.buildAuthorizationUrlWithPAR(config, params, { DPoP });
  return { url, verifier, state, nonce, DPoP };
}

async function arrival(page) {
  await page.waitForURL((u) => u.toString().startsWith(redirectUri), { timeout: 30000 });
  return new URL(page.url());
}

async function phoneStep(page, url) {
  await page.goto(url.toString());
  await page.getByLabel('Your mobile phone number').fill(setup.phone_typed);
  await page.getByRole('button', { name: 'Continue' }).click();
  await page.locator('#verification-code').waitFor();
  return (await page.locator('#verification-code').textContent()).trim();
}

const cases = [];
const test = (name, fn) => cases.push({ name, fn });

test('discovery is complete and truthful about what the flow uses', async () => {
  const config = await configFor(setup.clients.signed);
  const m = config.serverMetadata();
  assert.equal(m.issuer, setup.issuer);
  assert.ok(m.pushed_authorization_request_endpoint);
  assert.ok(m.code_challenge_methods_supported.includes('S256'));
  assert.ok(!m.code_challenge_methods_supported.includes('plain'));
  assert.ok(m.dpop_signing_alg_values_supported.includes('ES256'));
  assert.equal(m.authorization_response_iss_parameter_supported, true);
  assert.ok(m.acr_values_supported.includes('urn:idscheme:loa:basic'));
});

test('login with PAR, private_key_jwt, PKCE and DPoP; approved in the app with number matching', async () => {
  const config = await configFor(setup.clients.signed);
  const flow = await start(config);
  const page = await browser.newPage();
  const code = await phoneStep(page, flow.url);
  assert.match(code, /^[0-9]{2}$/);
  // The page shows the service provider's verified name.
  assert.ok((await page.textContent('h1')).includes('Example Shop'));
  const pending = JSON.parse(await app('pending', '--json'));
  assert.equal(pending.length, 1);
  assert.equal(pending[0].member, 'Example Shop');
  // Number matching: the page's code is one of the app's three choices; the screenshot is kept
  // as evidence of what the person saw.
  assert.ok(pending[0].code_choices.includes(code), JSON.stringify(pending[0]));
  assert.ok(await page.locator('#verification-code').isVisible());
  await page.screenshot({ path: `${setup.work}/waiting-page.png` });
  await app('approve', '--code', code);
  const back = await arrival(page);
  assert.equal(back.searchParams.get('iss'), setup.issuer);  // RFC 9207
  const tokens = await client.authorizationCodeGrant(config, back,
    { pkceCodeVerifier: flow.verifier, expectedState: flow.state, expectedNonce: flow.nonce,
      idTokenExpected: true }, undefined, { DPoP: flow.DPoP });
  assert.equal(tokens.token_type.toLowerCase(), 'dpop');
  const claims = tokens.claims();
  assert.equal(claims.acr, 'urn:idscheme:loa:basic');
  assert.ok(claims.amr.includes('pin'));
  assert.ok(claims.auth_time > 0);
  assert.notEqual(claims.sub, setup.identity_id);  // pairwise, not the internal id
  const info = await client.fetchUserInfo(config, tokens.access_token, claims.sub,
    { DPoP: flow.DPoP });
  assert.equal(info.given_name, 'Anna');
  assert.equal(info.email, 'anna@example.be');
  // Refresh (rotated), then revocation of the new access token (RFC 7009).
  assert.ok(tokens.refresh_token);
  const fresh = await client.refreshTokenGrant(config, tokens.refresh_token, undefined,
    { DPoP: flow.DPoP });
  assert.notEqual(fresh.refresh_token, tokens.refresh_token);
  assert.equal((await client.fetchUserInfo(config, fresh.access_token, claims.sub,
    { DPoP: flow.DPoP })).given_name, 'Anna');
  await client.tokenRevocation(config, fresh.access_token);
  await assert.rejects(client.fetchUserInfo(config, fresh.access_token, claims.sub,
    { DPoP: flow.DPoP }));
  // The rotated-away refresh token is refused (and revokes its family).
  await assert.rejects(client.refreshTokenGrant(config, tokens.refresh_token, undefined,
    { DPoP: flow.DPoP }), (e) => e.error === 'invalid_grant');
  // The code is single-use: a second exchange is refused.
  await assert.rejects(client.authorizationCodeGrant(config, back,
    { pkceCodeVerifier: flow.verifier, expectedState: flow.state, expectedNonce: flow.nonce },
    undefined, { DPoP: flow.DPoP }), (e) => e.error === 'invalid_grant');
  await page.close();
});

test('encrypted ID token and signed+encrypted userinfo decrypt and verify (RSA-OAEP-256)', async () => {
  const config = await configFor(setup.clients.encrypted, { decrypt: true });
  const flow = await start(config, { scope: 'openid' });
  const page = await browser.newPage();
  const code = await phoneStep(page, flow.url);
  await app('approve', '--code', code);
  const back = await arrival(page);
  const tokens = await client.authorizationCodeGrant(config, back,
    { pkceCodeVerifier: flow.verifier, expectedState: flow.state, expectedNonce: flow.nonce,
      idTokenExpected: true }, undefined, { DPoP: flow.DPoP });
  assert.equal(tokens.id_token.split('.').length, 5);  // a JWE (RFC 7516 compact)
  assert.ok(tokens.claims().sub);
  // Userinfo signed, then encrypted (OIDC Core §5.3.2), decrypted and verified by the library.
  const info = await client.fetchUserInfo(config, tokens.access_token, tokens.claims().sub,
    { DPoP: flow.DPoP });
  assert.equal(info.sub, tokens.claims().sub);
  await page.close();
});

test('a signed request object (JAR) and client_secret_basic; PS256 ID token', async () => {
  const c = setup.clients.jar;
  const config = await configFor(c);
  const verifier = client.randomPKCECodeVerifier();
  const state = client.randomState();
  const nonce = client.randomNonce();
  const key = await jose.importJWK(c.request_jwk, 'ES256');
  const url = await client.buildAuthorizationUrlWithJAR(config, {
    redirect_uri: redirectUri, scope: 'openid email', state, nonce,
    code_challenge: await client.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
  }, { key, kid: c.request_jwk.kid });
  const page = await browser.newPage();
  const code = await phoneStep(page, url);
  await app('approve', '--code', code);
  const back = await arrival(page);
  const tokens = await client.authorizationCodeGrant(config, back,
    { pkceCodeVerifier: verifier, expectedState: state, expectedNonce: nonce,
      idTokenExpected: true });
  assert.equal(JSON.parse(Buffer.from(tokens.id_token.split('.')[0], 'base64url')).alg, 'PS256');
  const info = await client.fetchUserInfo(config, tokens.access_token, tokens.claims().sub);
  assert.equal(info.email, 'anna@example.be');
  await page.close();
});

test('refused in the app: the outcome page, then access_denied at the service', async () => {
  const config = await configFor(setup.clients.signed);
  const flow = await start(config);
  const page = await browser.newPage();
  await phoneStep(page, flow.url);
  await app('deny');
  await page.locator('#outcome[data-outcome="refused"]').waitFor({ timeout: 30000 });
  await page.getByRole('button', { name: /Return to Example Shop/ }).click();
  const back = await arrival(page);
  assert.equal(back.searchParams.get('error'), 'access_denied');
  assert.equal(back.searchParams.get('state'), flow.state);
  await page.close();
});

test('prompt=none answers login_required (no browser session is kept)', async () => {
  const config = await configFor(setup.clients.signed);
  // Pushed: the PAR endpoint answers the error itself (RFC 9126 §2.3).
  await assert.rejects(start(config, { prompt: 'none' }), (e) => e.error === 'login_required');
  // Sent through the browser: back to the client with the error (OIDC Core §3.1.2.6).
  const state = client.randomState();
  const url = client.buildAuthorizationUrl(config, {
    redirect_uri: redirectUri, scope: 'openid', state, prompt: 'none',
    code_challenge: await client.calculatePKCECodeChallenge(client.randomPKCECodeVerifier()),
    code_challenge_method: 'S256',
  });
  const page = await browser.newPage();
  await page.goto(url.toString());
  const back = await arrival(page);
  assert.equal(back.searchParams.get('error'), 'login_required');
  assert.equal(back.searchParams.get('state'), state);
  assert.equal(back.searchParams.get('iss'), setup.issuer);
  await page.close();
});

test('an unknown number gets the same waiting page (no enumeration)', async () => {
  const config = await configFor(setup.clients.signed);
  const flow = await start(config);
  const page = await browser.newPage();
  await page.goto(flow.url.toString());
  await page.getByLabel('Your mobile phone number').fill('+32 470 99 99 99');
  await page.getByRole('button', { name: 'Continue' }).click();
  await page.locator('#verification-code').waitFor();
  assert.match((await page.locator('#verification-code').textContent()).trim(), /^[0-9]{2}$/);
  assert.equal(JSON.parse(await app('pending', '--json')).length, 0);
  await page.getByRole('button', { name: 'Cancel' }).click();
  const back = await arrival(page);
  assert.equal(back.searchParams.get('error'), 'access_denied');
  await page.close();
});

test('without JavaScript: the waiting page works through its link; Dutch pages', async () => {
  const config = await configFor(setup.clients.signed);
  const flow = await start(config, { ui_locales: 'nl' });
  const context = await browser.newContext({ javaScriptEnabled: false });
  const page = await context.newPage();
  await page.goto(flow.url.toString());
  assert.equal(await page.getAttribute('html', 'lang'), 'nl');
  await page.getByLabel('Uw mobiele telefoonnummer').fill(setup.phone_typed);
  await page.getByRole('button', { name: 'Doorgaan' }).click();
  const code = (await page.locator('#verification-code').textContent()).trim();
  await app('approve', '--code', code);
  await page.locator('#continue').click();
  const back = await arrival(page);
  assert.ok(back.searchParams.get('code'));
  await context.close();
});

test('QR code: the app scans the page and approves', async () => {
  const config = await configFor(setup.clients.signed);
  const flow = await start(config);
  const page = await browser.newPage();
  await page.goto(flow.url.toString());
  await page.getByRole('button', { name: /QR code/ }).click();
  await page.locator('#qr').waitFor();
  const svg = await page.evaluate(async () => {
    const r = await fetch(document.getElementById('qr').getAttribute('src'));
    return r.text();
  });
  const content = /<desc>([^<]+)<\/desc>/.exec(svg)[1];
  await app('scan', content);
  const code = (await page.locator('#verification-code').textContent()).trim();
  await app('approve', '--code', code);
  const back = await arrival(page);
  assert.ok(back.searchParams.get('code'));
  await page.close();
});

test('RP-initiated logout: buildEndSessionUrl ends the login and returns to the shop with state', async () => {
  const config = await configFor(setup.clients.signed);
  assert.equal(config.serverMetadata().end_session_endpoint, `${setup.issuer}/logout`);
  const flow = await start(config);
  const page = await browser.newPage();
  await app('approve', '--code', await phoneStep(page, flow.url));
  const tokens = await client.authorizationCodeGrant(config, await arrival(page),
    { pkceCodeVerifier: flow.verifier, expectedState: flow.state, expectedNonce: flow.nonce,
      idTokenExpected: true }, undefined, { DPoP: flow.DPoP });
  assert.ok(tokens.refresh_token);
  const state = client.randomState();
  const url = client.buildEndSessionUrl(config, { id_token_hint: tokens.id_token,
    post_logout_redirect_uri: loggedOutUri, state });
  await page.goto(url.toString());
  await page.waitForURL((u) => u.toString().startsWith(loggedOutUri), { timeout: 30000 });
  assert.equal(new URL(page.url()).searchParams.get('state'), state);
  assert.equal((await page.textContent('#rp')).trim(), 'back at the shop');
  // What the shop held for the person is revoked: the refresh token and the access token.
  await assert.rejects(client.refreshTokenGrant(config, tokens.refresh_token, undefined,
    { DPoP: flow.DPoP }), (e) => e.error === 'invalid_grant');
  await assert.rejects(client.fetchUserInfo(config, tokens.access_token, tokens.claims().sub,
    { DPoP: flow.DPoP }));
  // Without post_logout_redirect_uri: the scheme's page, in the asked language.
  await page.goto(client.buildEndSessionUrl(config, { ui_locales: 'de' }).toString());
  assert.equal(await page.getAttribute('html', 'lang'), 'de');
  assert.match(await page.textContent('#message'), /Sie sind abgemeldet/);
  // An unregistered post_logout_redirect_uri: an error page at the scheme, no redirect.
  await page.goto(client.buildEndSessionUrl(config, { id_token_hint: tokens.id_token,
    post_logout_redirect_uri: 'http://127.0.0.1:9/elsewhere' }).toString());
  assert.ok(page.url().startsWith(`${setup.issuer}/logout`));
  assert.match(await page.textContent('body'), /invalid_request/);
  await page.close();
});

test('a code bound to the DPoP key of the PAR request (RFC 9449 §10.1) needs that key', async () => {
  const config = await configFor(setup.clients.signed);
  const flow = await start(config);  // PAR with a DPoP proof: the code is bound to its key
  const page = await browser.newPage();
  await app('approve', '--code', await phoneStep(page, flow.url));
  const back = await arrival(page);
  const otherKey = client.getDPoPHandle(config, await client.randomDPoPKeyPair('ES256'));
  await assert.rejects(client.authorizationCodeGrant(config, back,
    { pkceCodeVerifier: flow.verifier, expectedState: flow.state, expectedNonce: flow.nonce },
    undefined, { DPoP: otherKey }), (e) => e.error === 'invalid_grant');
  await page.close();
});

let passed = 0;
let failed = 0;
for (const c of cases) {
  const t0 = Date.now();
  try {
    await c.fn();
    passed += 1;
    console.log(`ok   ${c.name} (${Date.now() - t0} ms)`);
  } catch (e) {
    failed += 1;
    console.log(`FAIL ${c.name}\n     ${e && e.stack ? e.stack : e}`);
    if (e && e.cause) console.log('     cause:', e.cause);
  }
}
await browser.close();
rp.close();
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
