// The registry's operator commands: `idscheme member|agreement|client ...`.
//
// Operators run them directly on the store (the same --data / --store / --config / --set flags as
// every command, see common_flags.h), without the HTTP admin API; each change is audited with the
// actor "operator". Every command prints text, or JSON with --json. `client add` and
// `client rotate-secret` print a generated client secret once: it cannot be shown again.
//
//   member add|list|show|update|suspend|reinstate|terminate
//   agreement show|set|history
//   client add|list|show|update|suspend|reinstate|delete|rotate-secret
//
// Thread-safety: command-line code, one thread.
#pragma once

#include <CLI/CLI.hpp>

#include "cli/common_flags.h"

namespace idscheme::cli {

// Adds the member, agreement and client commands to `app`; a command that runs sets `rc` to its
// exit code (0 success, 1 failure).
void AddRegistryCommands(CLI::App& app, CommonFlags& flags, int& rc);

}  // namespace idscheme::cli
