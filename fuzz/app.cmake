# src/app: what phones send to the device API: the Authorization header's device proof, the
# enrolment and approval bodies, and the rotating QR content the app scans.
idscheme_fuzz(fuzz_app SOURCES fuzz_app.cc DEPS idscheme_app)
