# src/oidc: the authorization request (query string -> validation -> response) and the claims
# parameter.
if(TARGET idscheme_oidc)
  idscheme_fuzz(fuzz_oidc_authorization_request SOURCES fuzz_oidc_authorization_request.cc
                DEPS idscheme_oidc)
  idscheme_fuzz(fuzz_oidc_claims SOURCES fuzz_oidc_claims.cc DEPS idscheme_oidc)
endif()
if(TARGET idscheme_oidc)
  idscheme_fuzz(fuzz_oidc_claims_release SOURCES fuzz_oidc_claims_release.cc DEPS idscheme_oidc)
endif()
