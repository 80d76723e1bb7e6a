# src/registry: client metadata validation (what the admin API and the CLI accept).
idscheme_fuzz(fuzz_client_metadata SOURCES fuzz_client_metadata.cc DEPS idscheme_registry)
