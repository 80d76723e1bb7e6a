// Rotating QR codes: what the browser's waiting page shows so that the app on another device can
// claim a pending action by scanning it (SCHEME.md, "Security and anti-phishing").
//
// The content is a time-based HMAC over the action id, so it changes every `period` and a relayed
// screenshot goes stale quickly:
//
//   idscheme:1:<action_id>:<window>:<mac>
//   window = floor(now / period)                       (decimal, seconds-based)
//   mac    = base64url( HMAC-SHA256(secret, "<action_id>|<window>")[0..16) )
//
// Verify() accepts the current and the previous window only, so a code is good for between one
// and two periods (5-10 s with the default). The secret is the node's (derived from the scheme's
// key-encryption key, so every node of one scheme agrees) and at least 32 bytes.
//
// Thread-safety: immutable after construction; safe from any thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "common/status.h"

namespace idscheme::app {

inline constexpr int64_t kQrDefaultPeriodSeconds = 5;
inline constexpr size_t kQrMinSecretBytes = 32;
inline constexpr std::string_view kQrPrefix = "idscheme:1:";

class QrCodes {
 public:
  // Throws std::invalid_argument for a secret under kQrMinSecretBytes or a period under 1 s
  // (start-up misconfiguration).
  QrCodes(std::vector<uint8_t> secret, const Clock& clock,
          int64_t period_seconds = kQrDefaultPeriodSeconds);

  // The content for `action_id` in the current window.
  std::string Content(std::string_view action_id) const;
  // The action id of a content made in the current or the previous window. InvalidArgument
  // (invalid_request) for anything malformed, tampered with, made with another secret or stale;
  // the message does not say which.
  Result<std::string> Verify(std::string_view content) const;

  int64_t period_seconds() const { return period_; }

 private:
  std::string Mac(std::string_view action_id, int64_t window) const;
  int64_t Window() const;

  std::vector<uint8_t> secret_;
  const Clock& clock_;
  int64_t period_;
};

}  // namespace idscheme::app
