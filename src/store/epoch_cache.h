// Caches of rarely changing records kept between requests by the store's ChangeEpoch
// (database.h): the registry's clients and agreement terms, and the identity records.
//
// A reader takes the epoch before it reads, and keeps the record with it; the record is used
// again while the epoch has not moved and for less than the cache's age limit (which covers a
// writer that died between its commit and its second bump, and a change made in SQL around the
// application). A writer of such records holds an EpochWrite for the whole write.
//
// Thread-safety: EpochCache is safe from any thread; EpochWrite is a scope guard.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "common/status.h"
#include "store/database.h"

namespace idscheme::store {

// Bumps the store's ChangeEpoch when made and again when destroyed (after the writer's commit),
// so that every process's EpochCache reads the records again. Nothing on a store without one.
class EpochWrite {
 public:
  explicit EpochWrite(Database& db) : epoch_(db.change_epoch()) {
    if (epoch_ != nullptr) epoch_->Bump();
  }
  ~EpochWrite() {
    if (epoch_ != nullptr) epoch_->Bump();
  }
  EpochWrite(const EpochWrite&) = delete;
  EpochWrite& operator=(const EpochWrite&) = delete;

 private:
  ChangeEpoch* epoch_;
};

// Records by key, each with the epoch seen before it was read and when it was read.
template <typename Record>
class EpochCache {
 public:
  // Records older than `max_age_ms` are read again; past `capacity` records the cache starts
  // over (the records are small and re-read cheaply, so no finer eviction is worth its cost).
  EpochCache(int64_t max_age_ms, size_t capacity) : max_age_ms_(max_age_ms), capacity_(capacity) {}

  std::optional<Record> Find(std::string_view key, uint64_t epoch, int64_t now_ms) {
    std::lock_guard lock(mu_);
    auto it = by_key_.find(key);
    if (it == by_key_.end()) return std::nullopt;
    const Entry& e = it->second;
    if (e.epoch != epoch || now_ms < e.read_at_ms || now_ms - e.read_at_ms >= max_age_ms_)
      return std::nullopt;
    return e.record;
  }

  void Put(std::string key, Record record, uint64_t epoch, int64_t read_at_ms) {
    std::lock_guard lock(mu_);
    if (by_key_.size() >= capacity_) by_key_.clear();
    by_key_.insert_or_assign(std::move(key), Entry{epoch, read_at_ms, std::move(record)});
  }

  // The record kept for `key`, else `read()`'s (a Result<Record>), kept when it succeeds. On a
  // store without a ChangeEpoch, `read()` each time.
  template <typename Read>
  Result<Record> Get(Database& db, int64_t now_ms, std::string_view key, Read&& read) {
    ChangeEpoch* const epoch = db.change_epoch();
    if (epoch == nullptr) return read();
    // Seen before the read: a write committed after it moves the epoch past what is kept.
    const uint64_t seen = epoch->Load();
    if (std::optional<Record> kept = Find(key, seen, now_ms)) return *std::move(kept);
    Result<Record> fresh = read();
    if (fresh.ok()) Put(std::string(key), *fresh, seen, now_ms);
    return fresh;
  }

 private:
  struct Entry {
    uint64_t epoch;
    int64_t read_at_ms;
    Record record;
  };
  const int64_t max_age_ms_;
  const size_t capacity_;
  std::mutex mu_;
  std::map<std::string, Entry, std::less<>> by_key_;
};

}  // namespace idscheme::store
