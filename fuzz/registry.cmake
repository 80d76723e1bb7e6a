# src/registry: client metadata validation (what the admin API and the CLI accept).
idscheme_fuzz(fuzz_client_metadata SOURCES fuzz_client_metadata.cc DEPS idscheme_registry)
# src/registry: the sector identifier document a client's sector_identifier_uri serves.
idscheme_fuzz(fuzz_sector_document SOURCES fuzz_sector_document.cc DEPS idscheme_registry)
