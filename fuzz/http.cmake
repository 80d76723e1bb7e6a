# src/http: the form/query parser and the request parser (Beast + Request construction).
idscheme_fuzz(fuzz_form SOURCES fuzz_form.cc DEPS idscheme_http)
idscheme_fuzz(fuzz_http_request SOURCES fuzz_http_request.cc DEPS idscheme_http)
