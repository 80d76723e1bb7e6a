// Trusted proxies: who may tell the server a request's client address (X-Forwarded-For).
//
// Behind a reverse proxy every request comes from the proxy's address, so limits kept per
// client address (the login's, for instance) would be one limit for everybody. When the TCP
// peer is a trusted proxy, the client is the rightmost X-Forwarded-For entry that is not itself
// a trusted proxy: each proxy appends the address it received the request from, so entries
// left of the first untrusted one may be forged by the client and are never believed. A peer
// that is not trusted is the client, whatever its headers say.
//
// Thread-safety: immutable after Parse; safe from any number of threads.
#pragma once

#include <boost/asio/ip/network_v4.hpp>
#include <boost/asio/ip/network_v6.hpp>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace idscheme::http {

class TrustedProxies {
 public:
  TrustedProxies() = default;
  // Addresses ("10.0.0.7", "::1") and networks ("10.0.0.0/8", "fd00::/8"); InvalidArgument
  // naming the first entry that is neither.
  static Result<TrustedProxies> Parse(std::span<const std::string> entries);

  bool empty() const { return v4_.empty() && v6_.empty(); }
  bool Contains(std::string_view address) const;
  // The client's address for a request from `peer` with these X-Forwarded-For values (each a
  // comma-separated list, in the order the headers came); `peer` when it is not trusted or no
  // entry says more.
  std::string ClientAddress(const std::string& peer,
                            std::span<const std::string_view> forwarded_for) const;

 private:
  std::vector<boost::asio::ip::network_v4> v4_;
  std::vector<boost::asio::ip::network_v6> v6_;
};

}  // namespace idscheme::http
