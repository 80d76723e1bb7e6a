// The demo's sandbox members: on an empty store, `idscheme demo` admits one member of each role
// that has an API today (scheme manager, identity registrar, SIM controller, service provider),
// gives the service provider an agreement, and registers one client each with a generated
// secret (client_secret_basic), so a newcomer can call the token endpoint and the APIs at once.
//
// The secrets are written to <data_dir>/demo-credentials.json (mode 0600) so that later runs of
// the demo can print them again: a sandbox convenience that a real deployment never has (there
// a secret is shown once and only its hash is kept).
//
// Thread-safety: command-line code, one thread.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "common/status.h"
#include "identity/identities.h"
#include "registry/registry.h"

namespace idscheme::cli {

// The demo person, registered by the demo registration office on the first run.
inline constexpr char kDemoPersonPhone[] = "+31612345678";

// Seeds an empty registry (the members, their clients, and the demo person), or reads back what
// an earlier run seeded. Returns the credentials:
// [{"role", "member_id", "display_name", "client_id", "client_secret"}, ...,
//  {"role": "person", "identity_id", "display_name", "phone_number"}].
Result<nlohmann::json> SeedDemo(registry::Registry& registry, identity::Identities& identities,
                                const std::string& data_dir, const std::string& issuer);

}  // namespace idscheme::cli
