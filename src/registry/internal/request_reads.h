// What the registry read earlier in the same request, reused by later reads of that request.
//
// Handling one request often asks for the same client several times (client authentication,
// then the policy, then the token's checks): Clients::FindClient keeps its last answer for the
// request running on this thread (http::CurrentRequestId; nothing is kept outside a request).
// Any registry write on this thread forgets it first and after, so a request never reads back
// a record older than its own change. Changes by other threads, processes or nodes are seen by
// the next request, as they would be had this request's reads all happened at its first one.
// Across requests, Clients keeps what it read while the store's ChangeEpoch stays (client.h).
//
// Thread-safety: the state is per thread.
#pragma once

#include "store/database.h"
#include "store/epoch_cache.h"

namespace idscheme::registry::internal {

// Drops what this thread's current request has read from the registry.
void ForgetRequestReads();

// Forgets the request's reads when made and when destroyed, and bumps the store's ChangeEpoch
// both times (the second after the writer's commit), so that every process's cache of registry
// records reads them again: registry writers hold one for the whole write.
class RegistryWrite {
 public:
  explicit RegistryWrite(store::Database& db) : forget_before_(), epoch_(db) {}
  ~RegistryWrite() { ForgetRequestReads(); }  // then epoch_ bumps again
  RegistryWrite(const RegistryWrite&) = delete;
  RegistryWrite& operator=(const RegistryWrite&) = delete;

 private:
  struct ForgetBefore {
    ForgetBefore() { ForgetRequestReads(); }
  };
  ForgetBefore forget_before_;  // made before epoch_
  store::EpochWrite epoch_;
};

}  // namespace idscheme::registry::internal
