# src/identity: the registrar and SIM controller request bodies (what the member APIs accept).
idscheme_fuzz(fuzz_identity SOURCES fuzz_identity.cc DEPS idscheme_identity)
