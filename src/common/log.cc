#include "common/log.h"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <iostream>
#include <mutex>
#include <thread>

namespace idscheme::log {
namespace {

std::atomic<Level> g_level{Level::kInfo};
std::atomic<std::ostream*> g_stream{nullptr};
std::mutex g_mu;

// The buffer of kBuffered lines and the thread that writes it out every 100 ms. Constructed on
// the first buffered line; its destructor (at exit) stops the thread and writes what is left.
class Buffer {
 public:
  static constexpr size_t kFlushBytes = 32 * 1024;

  static Buffer& Instance() {
    static Buffer buffer;
    return buffer;
  }

  // Appends; writes out when the buffer is full. Caller holds g_mu.
  void AppendLocked(const std::string& line) {
    pending_ += line;
    if (pending_.size() >= kFlushBytes) FlushLocked();
  }

  // Caller holds g_mu.
  void FlushLocked() {
    if (pending_.empty()) return;
    std::fwrite(pending_.data(), 1, pending_.size(), stderr);
    std::fflush(stderr);
    pending_.clear();
  }

  ~Buffer() {
    {
      std::lock_guard lock(g_mu);
      stop_ = true;
    }
    wake_.notify_all();
    if (thread_.joinable()) thread_.join();
    std::lock_guard lock(g_mu);
    FlushLocked();
  }

 private:
  Buffer() {
    pending_.reserve(kFlushBytes * 2);
    thread_ = std::thread([this] {
      std::unique_lock lock(g_mu);
      while (!wake_.wait_for(lock, std::chrono::milliseconds(100), [this] { return stop_; }))
        FlushLocked();
    });
  }

  std::string pending_;
  bool stop_ = false;
  std::condition_variable wake_;
  std::thread thread_;
};

// Whether any buffered line was ever written (so immediate lines need not touch the Buffer).
std::atomic<bool> g_buffer_used{false};

const char* LevelName(Level l) {
  switch (l) {
    case Level::kDebug:
      return "debug";
    case Level::kInfo:
      return "info";
    case Level::kWarn:
      return "warn";
    case Level::kError:
      return "error";
    case Level::kOff:
      return "off";
  }
  return "info";
}

std::string Timestamp() {
  using namespace std::chrono;
  auto now = system_clock::now();
  auto ms = duration_cast<milliseconds>(now.time_since_epoch()).count();
  std::time_t secs = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[40];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<int>(ms % 1000));
  return buf;
}

}  // namespace

void SetLevel(Level level) { g_level = level; }
Level GetLevel() { return g_level; }
void SetStream(std::ostream* out) { g_stream = out; }

bool ParseLevel(std::string_view text, Level* out) {
  for (Level l : {Level::kDebug, Level::kInfo, Level::kWarn, Level::kError, Level::kOff}) {
    if (text == LevelName(l)) {
      *out = l;
      return true;
    }
  }
  return false;
}

void Write(Level level, std::string_view msg, const nlohmann::json& fields, Delivery delivery) {
  if (level < g_level.load() || g_level.load() == Level::kOff) return;
  // ts, level and msg first, then the fields; serialised directly (no merged copy), so a line
  // costs one string and the caller's object.
  constexpr auto kReplace = nlohmann::json::error_handler_t::replace;
  std::string text;
  text.reserve(256);
  text.append(R"({"ts":")").append(Timestamp()).append(R"(","level":")");
  text.append(LevelName(level)).append(R"(","msg":)");
  text.append(nlohmann::json(msg).dump(-1, ' ', false, kReplace));
  if (fields.is_object()) {
    for (auto it = fields.begin(); it != fields.end(); ++it) {
      if (it.key() == "ts" || it.key() == "level" || it.key() == "msg") continue;
      text.push_back(',');
      text.append(nlohmann::json(it.key()).dump(-1, ' ', false, kReplace));
      text.push_back(':');
      text.append(it.value().dump(-1, ' ', false, kReplace));
    }
  }
  text.append("}\n");
  std::ostream* out = g_stream.load();
  if (out) {  // a chosen stream (tests): always at once
    std::lock_guard lock(g_mu);
    out->write(text.data(), static_cast<std::streamsize>(text.size()));
    out->flush();
    return;
  }
  if (delivery == Delivery::kBuffered) {
    Buffer& buffer = Buffer::Instance();  // before taking g_mu: its constructor starts a thread
    g_buffer_used = true;
    std::lock_guard lock(g_mu);
    buffer.AppendLocked(text);
    return;
  }
  Buffer* buffer = g_buffer_used.load() ? &Buffer::Instance() : nullptr;
  std::lock_guard lock(g_mu);
  if (buffer) buffer->FlushLocked();
  std::fwrite(text.data(), 1, text.size(), stderr);
}

void Flush() {
  if (!g_buffer_used.load()) return;
  Buffer& buffer = Buffer::Instance();
  std::lock_guard lock(g_mu);
  buffer.FlushLocked();
}

}  // namespace idscheme::log
