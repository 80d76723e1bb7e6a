// The reference app: `idscheme app ...`, a phone app on the command line. It talks only to the
// public device API (/app/v1, docs/app-api.md), as a phone would, and keeps its device state in
// one file (app/device_state.h): the device id, its salt, and the private device key sealed
// under the PIN (docs/pin.md).
//
//   app --server URL --state FILE enroll --code CODE --pin PIN [--name NAME]
//   app --state FILE pending [--wait SECONDS] [--json] --pin PIN
//   app --state FILE show ACTION --pin PIN
//   app --state FILE approve [--action ID] [--code CODE] [--sim-key PEM] --pin PIN
//   app --state FILE deny [--action ID] --pin PIN
//   app --state FILE scan QR-CONTENT --pin PIN
//   app --state FILE devices --pin PIN
//   app --state FILE unenroll --pin PIN
//
// --server is needed at enrolment (it is kept in the state file); given later, it overrides.
// Every command but enroll signs a device proof with the device key, so it needs the PIN to
// open the key; a wrong PIN fails on the device before anything is sent.
//
// The PIN may also come from IDSCHEME_APP_PIN. --pin-cost test (or IDSCHEME_APP_PIN_COST=test)
// picks a cheap device-side Argon2id for tests and demos; the state file records the cost used
// at enrolment, so later commands need no flag.
//
// Thread-safety: command-line code, one thread.
#pragma once

#include <CLI/CLI.hpp>

namespace idscheme::cli {

// Adds `app` and its subcommands; a command that runs sets `rc` to its exit code
// (0 success, 1 failure).
void AddAppCommands(CLI::App& app, int& rc);

}  // namespace idscheme::cli
