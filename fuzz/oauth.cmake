# src/oauth: client assertions (parse + verify), DPoP proofs and the Authorization header parsers.
if(TARGET idscheme_oauth)
  idscheme_fuzz(fuzz_client_assertion SOURCES fuzz_client_assertion.cc DEPS idscheme_oauth)
  idscheme_fuzz(fuzz_basic_auth SOURCES fuzz_basic_auth.cc DEPS idscheme_oauth)
  idscheme_fuzz(fuzz_dpop SOURCES fuzz_dpop.cc DEPS idscheme_oauth)
endif()
