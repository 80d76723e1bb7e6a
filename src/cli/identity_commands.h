// The identity registrar's operator commands: `idscheme identity ...`.
//
// Operators run them directly on the store (the same --data / --store / --config / --set flags as
// every command, see common_flags.h), without the HTTP registrar API, e.g. to enrol people at a
// registrar's desk when its systems are not connected yet; each change is audited with the actor
// "operator". Every command prints text, or JSON with --json.
//
//   identity add --registrar M ...    create an identity of registrar M (attributes from flags
//                                     and/or --file, the body of POST /registrar/v1/identities);
//                                     prints its id and a one-time activation code. Names,
//                                     birthdate, phone and the document are required: those
//                                     neither a flag nor the file gave are named by their flags
//   identity show ID                  the record, its evidence and verification times
//   identity list [--registrar M] [--status S] [--phone P] [--after ID] [--limit N]
//   identity revoke ID [--reason R]   revoke: its activation codes die, its number is freed
//   identity activation-code ID       a new one-time code (the earlier one stops working)
//   identity devices ID               the person's app devices (active and locked), issue 4
//   identity revoke-device ID DEVICE  revoke one: it approves nothing more (as if the person
//                                     removed it in the app); the identity stays active
//
// Activation codes are printed once: the store keeps only their hash.
//
// Thread-safety: command-line code, one thread.
#pragma once

#include <CLI/CLI.hpp>

#include "cli/common_flags.h"

namespace idscheme::cli {

// Adds the identity commands to `app`; a command that runs sets `rc` to its exit code
// (0 success, 1 failure).
void AddIdentityCommands(CLI::App& app, CommonFlags& flags, int& rc);

}  // namespace idscheme::cli
