// A Database decorator that records every statement's latency in the metrics registry
// (store_query_duration_seconds{op}) and counts failures (store_errors_total{code}).
//
// Thread-safety: as the wrapped Database.
#pragma once

#include <memory>

#include "http/metrics.h"
#include "store/database.h"

namespace idscheme::server {

std::unique_ptr<store::Database> Instrument(std::unique_ptr<store::Database> db,
                                            http::Metrics& metrics);

}  // namespace idscheme::server
