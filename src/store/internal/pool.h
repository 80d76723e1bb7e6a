// A bounded pool of database connections, shared by both backends.
//
// Acquire() lends an idle connection that is still Alive(), or opens a new one while fewer than
// `max_size` are open, or waits for one to come back. A Lease gives its connection back when it
// is destroyed; a connection that is no longer Reusable() (broken, or left inside a transaction)
// is closed instead, so the next Acquire() opens a fresh one.
//
// Conn needs: bool Alive() (cheap check on an idle connection) and bool Reusable() const.
//
// Thread-safety: safe from any thread. Leases must not outlive the pool.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "common/status.h"

namespace idscheme::store::internal {

template <typename Conn>
class Pool {
 public:
  using Factory = std::function<Result<std::unique_ptr<Conn>>()>;

  class Lease {
   public:
    Lease(Pool* pool, std::unique_ptr<Conn> conn) : pool_(pool), conn_(std::move(conn)) {}
    Lease(Lease&& other) noexcept = default;
    Lease& operator=(Lease&&) = delete;
    ~Lease() {
      if (conn_) pool_->Return(std::move(conn_));
    }
    Conn* operator->() const { return conn_.get(); }
    Conn& operator*() const { return *conn_; }

   private:
    Pool* pool_;
    std::unique_ptr<Conn> conn_;
  };

  Pool(int max_size, std::chrono::milliseconds max_wait, Factory factory)
      : max_size_(max_size), factory_(std::move(factory)), max_wait_(max_wait) {}
  Pool(const Pool&) = delete;
  Pool& operator=(const Pool&) = delete;

  Result<Lease> Acquire() {
    std::unique_lock lock(mu_);
    for (;;) {
      while (!idle_.empty()) {
        std::unique_ptr<Conn> conn = std::move(idle_.back());
        idle_.pop_back();
        if (conn->Alive()) return Lease(this, std::move(conn));
        --open_;
      }
      if (open_ < max_size_) break;
      if (!cv_.wait_for(lock, max_wait_, [&] { return !idle_.empty() || open_ < max_size_; })) {
        return Status::Unavailable("store: all " + std::to_string(max_size_) +
                                   " connections stayed busy");
      }
    }
    ++open_;
    lock.unlock();
    Result<std::unique_ptr<Conn>> made = factory_();
    if (!made.ok()) {
      lock.lock();
      --open_;
      cv_.notify_one();
      return made.status();
    }
    return Lease(this, std::move(made).value());
  }

  // Closes every idle connection (after one turned out dead, the others likely are too).
  void DiscardIdle() {
    std::vector<std::unique_ptr<Conn>> dropped;
    {
      std::lock_guard lock(mu_);
      dropped.swap(idle_);
      open_ -= static_cast<int>(dropped.size());
    }
    cv_.notify_all();
  }

 private:
  void Return(std::unique_ptr<Conn> conn) {
    {
      std::lock_guard lock(mu_);
      if (conn->Reusable()) {
        idle_.push_back(std::move(conn));
      } else {
        --open_;
      }
    }
    cv_.notify_one();
    // A connection not kept closes here, outside the lock.
  }

  const int max_size_;
  const Factory factory_;
  const std::chrono::milliseconds max_wait_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::unique_ptr<Conn>> idle_;
  int open_ = 0;
};

}  // namespace idscheme::store::internal
