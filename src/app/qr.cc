#include "app/qr.h"

#include <charconv>
#include <stdexcept>

#include "common/base64url.h"
#include "crypto/hash.h"

namespace idscheme::app {
namespace {

constexpr size_t kMacBytes = 16;
constexpr size_t kMaxActionIdChars = 64;

bool IsIdChar(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '-';
}

Status Refused() {
  return Status::OAuth("invalid_request", "the QR code is not valid (any more): scan it again");
}

}  // namespace

QrCodes::QrCodes(std::vector<uint8_t> secret, const Clock& clock, int64_t period_seconds)
    : secret_(std::move(secret)), clock_(clock), period_(period_seconds) {
  if (secret_.size() < kQrMinSecretBytes) throw std::invalid_argument("QR secret too short");
  if (period_ < 1) throw std::invalid_argument("QR period must be at least 1 s");
}

int64_t QrCodes::Window() const { return clock_.NowSeconds() / period_; }

std::string QrCodes::Mac(std::string_view action_id, int64_t window) const {
  std::string input(action_id);
  input += '|';
  input += std::to_string(window);
  auto mac = crypto::HmacSha256(secret_, input);
  return Base64UrlEncode(std::span<const uint8_t>(mac.data(), kMacBytes));
}

std::string QrCodes::Content(std::string_view action_id) const {
  const int64_t window = Window();
  std::string out(kQrPrefix);
  out += action_id;
  out += ':';
  out += std::to_string(window);
  out += ':';
  out += Mac(action_id, window);
  return out;
}

Result<std::string> QrCodes::Verify(std::string_view content) const {
  if (content.substr(0, kQrPrefix.size()) != kQrPrefix) return Refused();
  std::string_view rest = content.substr(kQrPrefix.size());
  const size_t c1 = rest.find(':');
  if (c1 == std::string_view::npos) return Refused();
  std::string_view action_id = rest.substr(0, c1);
  rest.remove_prefix(c1 + 1);
  const size_t c2 = rest.find(':');
  if (c2 == std::string_view::npos) return Refused();
  std::string_view window_text = rest.substr(0, c2);
  std::string_view mac = rest.substr(c2 + 1);

  if (action_id.empty() || action_id.size() > kMaxActionIdChars) return Refused();
  for (char c : action_id) {
    if (!IsIdChar(c)) return Refused();
  }
  // The window: canonical decimal only (no sign, no leading zero), so one content has one form.
  if (window_text.empty() || window_text.size() > 18 ||
      (window_text.size() > 1 && window_text[0] == '0'))
    return Refused();
  int64_t window = 0;
  auto [end, ec] =
      std::from_chars(window_text.data(), window_text.data() + window_text.size(), window);
  if (ec != std::errc() || end != window_text.data() + window_text.size()) return Refused();

  const int64_t now = Window();
  if (window != now && window != now - 1) return Refused();  // stale (or from the future)
  if (!crypto::ConstantTimeEquals(mac, Mac(action_id, window))) return Refused();
  return std::string(action_id);
}

}  // namespace idscheme::app
