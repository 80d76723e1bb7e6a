# The store's fuzz targets.
idscheme_fuzz(fuzz_sql_text SOURCES fuzz_sql_text.cc DEPS idscheme_store)
