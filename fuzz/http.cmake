# src/http: the form/query parser, the request parser (Beast + Request construction), and the
# addresses taken from untrusted text (X-Forwarded-For, a URL as a CSP source).
idscheme_fuzz(fuzz_form SOURCES fuzz_form.cc DEPS idscheme_http)
idscheme_fuzz(fuzz_http_request SOURCES fuzz_http_request.cc DEPS idscheme_http)
idscheme_fuzz(fuzz_http_addresses SOURCES fuzz_http_addresses.cc DEPS idscheme_http)
