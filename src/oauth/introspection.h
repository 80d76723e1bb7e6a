// Token introspection (RFC 7662) and revocation (RFC 7009): POST /introspect and POST /revoke.
//
// Both take a form body (parsed as strictly as the token endpoint's: no parameter twice) and
// authenticate the calling client the same way (private_key_jwt, client_secret_basic/_post).
//
// Introspection answers {"active": true, scope, client_id, sub, aud, iss, exp, iat, jti,
// token_type} for an access token only when it is valid now (signature or stored record,
// lifetime, not revoked, its client and member still active: the bearer check of bearer.h) AND
// the caller may see it: the client the token was issued to, or a client named in the token's
// `aud` (a resource server). A refresh token (RFC 7662 §2.1), through the registered
// RefreshTokensSeam (refresh_tokens_seam.h), gets {"active": true, scope, client_id, sub, iss,
// exp, iat} while it can be used (not rotated out, revoked or expired), and only when the caller
// is the client it was issued to. Everything else — unknown, expired, revoked, someone else's —
// is {"active": false} and nothing more (RFC 7662 §2.2), so a client cannot learn about tokens
// it does not own.
//
// Revocation revokes an access token issued to the calling client; from then on the bearer
// check and introspection refuse it on every node. A refresh token of the calling client is
// revoked through the same seam, together with the access tokens of its grant (RFC 7009 §2.1).
// An invalid or unknown token is answered 200 and nothing is revoked (RFC 7009 §2.2); a valid
// token of another client, access or refresh, is refused (unauthorized_client, RFC 7009 §2.1).
// token_type_hint is optional and only orders the lookup (refresh_token: refresh tokens first);
// values other than access_token/refresh_token are ignored (RFC 7009 §2.1, RFC 7662 §2.1).
//
// Thread-safety: safe from any number of threads.
#pragma once

#include <string_view>

#include "http/request.h"
#include "http/response.h"

namespace idscheme::oauth {

class OAuthContext;

inline constexpr std::string_view kIntrospectionPath = "/introspect";
inline constexpr std::string_view kRevocationPath = "/revoke";

http::Response HandleIntrospection(const http::Request& request, OAuthContext& oauth);
http::Response HandleRevocation(const http::Request& request, OAuthContext& oauth);

}  // namespace idscheme::oauth
