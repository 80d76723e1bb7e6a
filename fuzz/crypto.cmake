# crypto: every JOSE object a stranger can send us.
idscheme_fuzz(fuzz_jws SOURCES fuzz_jws.cc DEPS idscheme_crypto)
idscheme_fuzz(fuzz_jwe SOURCES fuzz_jwe.cc DEPS idscheme_crypto)
idscheme_fuzz(fuzz_jwk SOURCES fuzz_jwk.cc DEPS idscheme_crypto)
