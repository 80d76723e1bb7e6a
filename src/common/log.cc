#include "common/log.h"

#include <atomic>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <mutex>

namespace idscheme::log {
namespace {

std::atomic<Level> g_level{Level::kInfo};
std::atomic<std::ostream*> g_stream{nullptr};
std::mutex g_mu;

const char* LevelName(Level l) {
  switch (l) {
    case Level::kDebug: return "debug";
    case Level::kInfo: return "info";
    case Level::kWarn: return "warn";
    case Level::kError: return "error";
    case Level::kOff: return "off";
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

void Write(Level level, std::string_view msg, const nlohmann::json& fields) {
  if (level < g_level.load() || g_level.load() == Level::kOff) return;
  nlohmann::json line = {{"ts", Timestamp()}, {"level", LevelName(level)}, {"msg", msg}};
  if (fields.is_object()) {
    for (auto it = fields.begin(); it != fields.end(); ++it) line[it.key()] = it.value();
  }
  std::string text = line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  text.push_back('\n');
  std::lock_guard lock(g_mu);
  std::ostream* out = g_stream.load();
  if (out) {
    out->write(text.data(), static_cast<std::streamsize>(text.size()));
    out->flush();
  } else {
    std::fwrite(text.data(), 1, text.size(), stderr);
  }
}

}  // namespace idscheme::log
