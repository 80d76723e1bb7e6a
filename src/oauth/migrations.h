// The OAuth part's schema (versions 400-499): revoked access tokens (by jti) and opaque access
// tokens (stored hashed with their claims).
//
// Thread-safety: a stateless function.
#pragma once

#include <vector>

#include "store/migrations.h"

namespace idscheme::oauth {

std::vector<store::Migration> Migrations();

}  // namespace idscheme::oauth
