// Test support: a tiny blocking HTTP/1.1 client over a loopback socket, for integration tests
// that drive a real server on port 0. One request per connection (Connection: close), or raw
// bytes for malformed-input tests.
#pragma once

#include <cstdint>
#include <map>
#include <string>

namespace idscheme::testing {

struct HttpReply {
  int status = 0;                              // 0 when the connection closed without a response
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;
  std::string raw;
};

// Sends `raw` bytes as they are and reads until the server closes (or `timeout_ms`).
HttpReply SendRaw(uint16_t port, const std::string& raw, int timeout_ms = 5000);

HttpReply Get(uint16_t port, const std::string& target,
              const std::map<std::string, std::string>& headers = {});
HttpReply Post(uint16_t port, const std::string& target, const std::string& content_type,
               const std::string& body, const std::map<std::string, std::string>& headers = {});

}  // namespace idscheme::testing
