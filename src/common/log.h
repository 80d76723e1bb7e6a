// Structured logging: one JSON object per line on stderr (or a chosen stream).
//
// A line carries `ts`, `level`, `msg` and the caller's fields. Never pass a secret, PIN, token,
// key or personal data as a field: log identifiers (client_id, request id, key id) instead.
//
// Delivery: a line is written at once (with whatever buffered lines precede it, so order holds),
// except lines sent with Delivery::kBuffered (the HTTP access log): those collect in memory and
// go out in one write when 32 KiB have gathered, every 100 ms, before any immediate line, and at
// exit. A crash can lose the last 100 ms of access log, never a warning or an error.
//
// Thread-safety: every call writes its whole line atomically; safe from any thread.
#pragma once

#include <nlohmann/json.hpp>
#include <ostream>
#include <string_view>

namespace idscheme::log {

enum class Level { kDebug = 0, kInfo, kWarn, kError, kOff };

void SetLevel(Level level);
Level GetLevel();
// Redirects output (tests); nullptr restores stderr. The stream must outlive its use.
void SetStream(std::ostream* out);
// Parses "debug", "info", "warn", "error", "off".
bool ParseLevel(std::string_view text, Level* out);

enum class Delivery { kNow, kBuffered };

void Write(Level level, std::string_view msg, const nlohmann::json& fields = nullptr,
           Delivery delivery = Delivery::kNow);
// Writes out buffered lines now.
void Flush();

inline void Debug(std::string_view m, const nlohmann::json& f = nullptr) {
  Write(Level::kDebug, m, f);
}
inline void Info(std::string_view m, const nlohmann::json& f = nullptr) {
  Write(Level::kInfo, m, f);
}
inline void Warn(std::string_view m, const nlohmann::json& f = nullptr) {
  Write(Level::kWarn, m, f);
}
inline void Error(std::string_view m, const nlohmann::json& f = nullptr) {
  Write(Level::kError, m, f);
}

}  // namespace idscheme::log
