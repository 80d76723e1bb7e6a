# src/approval: RFC 8785 canonicalisation of what an approval shows and signs.
idscheme_fuzz(fuzz_jcs SOURCES fuzz_jcs.cc DEPS idscheme_approval)
