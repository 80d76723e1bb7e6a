// The two backends behind Database::Open().
//
// Thread-safety: see database.h.
#pragma once

#include <memory>
#include <string>

#include "common/status.h"
#include "store/database.h"

namespace idscheme::store::internal {

Result<std::unique_ptr<Database>> OpenSqlite(const std::string& path, int pool_size,
                                             SqliteLocking locking);
Result<std::unique_ptr<Database>> OpenPostgres(const std::string& url, int pool_size);

}  // namespace idscheme::store::internal
