// The approval engine's tables (migrations 600-699): pending actions, devices, and the per-person
// gate row that serialises the pending-actions limit. One SQL text serves SQLite and PostgreSQL.
//
// Thread-safety: stateless.
#pragma once

#include <vector>

#include "store/migrations.h"

namespace idscheme::approval {

std::vector<store::Migration> Migrations();

}  // namespace idscheme::approval
