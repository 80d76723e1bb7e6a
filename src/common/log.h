// Structured logging: one JSON object per line on stderr (or a chosen stream).
//
// A line carries `ts`, `level`, `msg` and the caller's fields. Never pass a secret, PIN, token,
// key or personal data as a field: log identifiers (client_id, request id, key id) instead.
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

void Write(Level level, std::string_view msg, const nlohmann::json& fields = nullptr);

inline void Debug(std::string_view m, const nlohmann::json& f = nullptr) { Write(Level::kDebug, m, f); }
inline void Info(std::string_view m, const nlohmann::json& f = nullptr) { Write(Level::kInfo, m, f); }
inline void Warn(std::string_view m, const nlohmann::json& f = nullptr) { Write(Level::kWarn, m, f); }
inline void Error(std::string_view m, const nlohmann::json& f = nullptr) { Write(Level::kError, m, f); }

}  // namespace idscheme::log
