#include "http/proxies.h"

#include <boost/asio/ip/address.hpp>

namespace idscheme::http {
namespace {

namespace ip = boost::asio::ip;

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

}  // namespace

Result<TrustedProxies> TrustedProxies::Parse(std::span<const std::string> entries) {
  TrustedProxies out;
  for (const std::string& raw : entries) {
    const std::string entry(Trim(raw));
    if (entry.empty()) continue;
    boost::system::error_code ec;
    if (entry.find('/') != std::string::npos) {
      auto v4 = ip::make_network_v4(entry, ec);
      if (!ec) {
        out.v4_.push_back(v4.canonical());
        continue;
      }
      auto v6 = ip::make_network_v6(entry, ec);
      if (!ec) {
        out.v6_.push_back(v6.canonical());
        continue;
      }
    } else {
      auto address = ip::make_address(entry, ec);
      // A v4-mapped v6 address is the v4 one (Contains compares peers that way).
      if (!ec && address.is_v6() && address.to_v6().is_v4_mapped())
        address = ip::make_address_v4(ip::v4_mapped, address.to_v6());
      if (!ec && address.is_v4()) {
        out.v4_.emplace_back(address.to_v4(), 32);
        continue;
      }
      if (!ec && address.is_v6()) {
        out.v6_.emplace_back(address.to_v6(), 128);
        continue;
      }
    }
    return Status::InvalidArgument("not an IP address or network: " + entry.substr(0, 64));
  }
  return out;
}

bool TrustedProxies::Contains(std::string_view text) const {
  boost::system::error_code ec;
  auto address = ip::make_address(std::string(text), ec);
  if (ec) return false;
  if (address.is_v6() && address.to_v6().is_v4_mapped())
    address = ip::make_address_v4(ip::v4_mapped, address.to_v6());
  if (address.is_v4()) {
    const ip::network_v4 host(address.to_v4(), 32);
    for (const auto& n : v4_) {
      if (host == n || host.is_subnet_of(n)) return true;
    }
    return false;
  }
  const ip::network_v6 host(address.to_v6(), 128);
  for (const auto& n : v6_) {
    if (host == n || host.is_subnet_of(n)) return true;
  }
  return false;
}

std::string TrustedProxies::ClientAddress(const std::string& peer,
                                          std::span<const std::string_view> forwarded_for) const {
  if (empty() || forwarded_for.empty() || !Contains(peer)) return peer;
  std::vector<std::string_view> hops;
  for (std::string_view header : forwarded_for) {
    size_t start = 0;
    for (;;) {
      const size_t comma = header.find(',', start);
      hops.push_back(Trim(header.substr(start, comma - start)));
      if (comma == std::string_view::npos) break;
      start = comma + 1;
    }
  }
  // From the nearest hop outwards: the first one no trusted proxy vouches for is the client.
  std::string client = peer;
  for (auto it = hops.rbegin(); it != hops.rend(); ++it) {
    boost::system::error_code ec;
    const auto address = ip::make_address(std::string(*it), ec);
    if (ec) break;  // garbage (or "unknown"): nothing further left is believed
    client = address.to_string();
    if (!Contains(client)) break;
  }
  return client;
}

}  // namespace idscheme::http
