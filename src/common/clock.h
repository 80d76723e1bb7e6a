// Clock: the only way idscheme code reads the time, so tests can drive it.
//
// Thread-safety: SystemClock is stateless; FakeClock is safe to read and advance from several
// threads.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>

namespace idscheme {

class Clock {
 public:
  virtual ~Clock() = default;
  // Seconds since the Unix epoch (what JWT `iat`/`exp` and the store use).
  virtual int64_t NowSeconds() const = 0;
  // Milliseconds since the Unix epoch, for finer expiries and logs.
  virtual int64_t NowMillis() const = 0;
};

class SystemClock final : public Clock {
 public:
  int64_t NowSeconds() const override {
    return std::chrono::duration_cast<std::chrono::seconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  }
  int64_t NowMillis() const override {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  }
  static SystemClock& Instance() {
    static SystemClock clock;
    return clock;
  }
};

class FakeClock final : public Clock {
 public:
  explicit FakeClock(int64_t start_seconds = 1'700'000'000) : millis_(start_seconds * 1000) {}
  int64_t NowSeconds() const override { return millis_.load() / 1000; }
  int64_t NowMillis() const override { return millis_.load(); }
  void Advance(std::chrono::milliseconds d) { millis_ += d.count(); }
  void AdvanceSeconds(int64_t s) { millis_ += s * 1000; }
  void Set(int64_t seconds) { millis_ = seconds * 1000; }

 private:
  std::atomic<int64_t> millis_;
};

}  // namespace idscheme
