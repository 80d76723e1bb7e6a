// The peer of bench/compare: panva's oidc-provider, configured like idscheme for the shared
// workloads — ES256 everywhere, client_credentials, introspection, and the same two clients.
//   node server.mjs CONFIG_FILE
// CONFIG_FILE: {"port", "issuer", "access_token_format": "jwt"|"opaque", "provider_jwks",
//   "clients": [oidc-provider client metadata, incl. client_id and, for the basic one, secret]}
// Prints "ready" once listening. Its default in-memory adapter keeps opaque tokens and used jtis,
// as idscheme's embedded store does on disk.
import { readFileSync } from 'node:fs';
import Provider from 'oidc-provider';

const config = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const resource = 'urn:idscheme:bench:api';

const provider = new Provider(config.issuer, {
  jwks: config.provider_jwks,
  clients: config.clients,
  cookies: { keys: ['bench-only-cookie-key'] },
  features: {
    devInteractions: { enabled: false },
    clientCredentials: { enabled: true },
    introspection: { enabled: true, allowedPolicy: () => true },
    // JWT (RFC 9068) or opaque access tokens come from a resource server's configuration.
    resourceIndicators: {
      enabled: true,
      defaultResource: () => resource,
      useGrantedResource: () => true,
      getResourceServerInfo: () => ({
        scope: 'api',
        audience: resource,
        accessTokenTTL: 300,
        accessTokenFormat: config.access_token_format,
        jwt: { sign: { alg: 'ES256' } },
      }),
    },
  },
  clientDefaults: {
    grant_types: ['client_credentials'],
    response_types: [],
    redirect_uris: [],
    id_token_signed_response_alg: 'ES256',
  },
  enabledJWA: { clientAuthSigningAlgValues: ['ES256'] },
});
provider.proxy = false;
provider.listen(config.port, '127.0.0.1', () => console.log('ready'));
