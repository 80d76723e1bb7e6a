// The `idscheme` command line: one subcommand per operator task. main() only calls Run().
//
// Every command that touches the store takes the same flags: --config FILE, --data DIR,
// --store URL, --set KEY=VALUE (any configuration key), with the precedence of config/config.h.
// Commands print human-readable text, or JSON with --json so operators can script them.
#pragma once

namespace idscheme::cli {

// Parses argv, runs the chosen subcommand, returns the process exit code
// (0 success, 1 failure, 2 usage error).
int Run(int argc, char** argv);

}  // namespace idscheme::cli
