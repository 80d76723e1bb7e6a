// The oidc part's schema, versions 700-799 (after the registry's and oauth's).
//
// Thread-safety: a pure function.
#pragma once

#include <vector>

#include "store/migrations.h"

namespace idscheme::oidc {

std::vector<store::Migration> Migrations();

}  // namespace idscheme::oidc
