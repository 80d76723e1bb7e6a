// Fuzz target: the addresses the HTTP part takes from untrusted text. X-Forwarded-For
// (http/proxies.h): the client named is the peer itself or a well-formed IP address, and a
// peer that is no trusted proxy is always its own client. A URL as a CSP source
// (CspSourceForUrl, for a redirect URI in form-action): never anything that would end or
// change the policy.
#include <boost/asio/ip/address.hpp>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "http/proxies.h"
#include "http/response.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace idscheme::http;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  static const TrustedProxies proxies = [] {
    auto p = TrustedProxies::Parse(std::vector<std::string>{"10.0.0.0/8", "fd00::/8", "::1"});
    if (!p.ok()) std::abort();
    return *p;
  }();
  // The input as one header, and split at newlines as several.
  std::vector<std::string_view> headers;
  for (size_t start = 0; start <= text.size();) {
    const size_t end = std::min(text.find('\n', start), text.size());
    headers.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  for (const std::string peer : {"10.1.2.3", "203.0.113.7"}) {
    for (const auto& forwarded : {std::vector<std::string_view>{text}, headers}) {
      const std::string client = proxies.ClientAddress(peer, forwarded);
      if (!proxies.Contains(peer) && client != peer) std::abort();
      boost::system::error_code ec;
      (void)boost::asio::ip::make_address(client, ec);
      if (ec) std::abort();
    }
  }
  // Arbitrary entries parse or are refused; an address that parses matches itself.
  auto parsed = TrustedProxies::Parse(std::vector<std::string>{std::string(text)});
  std::string_view entry = text;
  while (!entry.empty() && (entry.front() == ' ' || entry.front() == '\t')) entry.remove_prefix(1);
  while (!entry.empty() && (entry.back() == ' ' || entry.back() == '\t')) entry.remove_suffix(1);
  if (parsed.ok() && !parsed->empty() && entry.find('/') == std::string_view::npos &&
      !parsed->Contains(entry))
    std::abort();

  for (const std::string prefix : {"", "https://", "http://rp.example/"}) {
    const std::string url = prefix + std::string(text);
    auto source = CspSourceForUrl(url);
    if (!source) continue;
    for (char ch : *source) {
      const auto c = static_cast<unsigned char>(ch);
      if (c <= 0x20 || c >= 0x7F || ch == ';' || ch == ',' || ch == '\'' || ch == '"') std::abort();
    }
    if (source->rfind("https://", 0) != 0 && source->rfind("http://", 0) != 0) std::abort();
  }
  return 0;
}
