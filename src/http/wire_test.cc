#include "http/wire.h"

#include <gtest/gtest.h>

namespace idscheme::http {
namespace {

TEST(ParseRequestBytes, BuildsTheRequest) {
  Request req;
  Status st = ParseRequestBytes(
      "POST /token?x=1 HTTP/1.1\r\nHost: id.example\r\nContent-Type: "
      "application/x-www-form-urlencoded\r\nX-Request-Id: r-1\r\nContent-Length: 9\r\n\r\n"
      "a=1&b=x+y",
      16 * 1024, 1024, req);
  ASSERT_TRUE(st.ok()) << st.ToString();
  EXPECT_EQ(req.method(), "POST");
  EXPECT_EQ(req.path(), "/token");
  EXPECT_EQ(req.raw_query(), "x=1");
  EXPECT_EQ(req.request_id(), "r-1");
  EXPECT_EQ(req.GetHeader("HOST"), "id.example");
  EXPECT_EQ(req.FormBody()->Get("b"), "x y");
}

TEST(ParseRequestBytes, AppliesLimitsAndStrictness) {
  Request req;
  const std::string big_header =
      "GET / HTTP/1.1\r\nHost: x\r\nX: " + std::string(200, 'a') + "\r\n\r\n";
  Status st = ParseRequestBytes(big_header, 100, 1024, req);
  EXPECT_EQ(st.code(), Status::Code::kResourceExhausted);
  EXPECT_EQ(st.message(), "header");

  st = ParseRequestBytes("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nabcde", 1024, 4,
                         req);
  EXPECT_EQ(st.code(), Status::Code::kResourceExhausted);
  EXPECT_EQ(st.message(), "body");

  for (const char* bad :
       {"",                                                           // nothing at all
        "GET / HTTP/1.1\r\n\r\n",                                     // no Host
        "GET /a%00 HTTP/1.1\r\nHost: x\r\n\r\n",                      // NUL in path
        "GET / HTTP/1.1\r\nHost: x\r\n",                              // truncated head
        "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nab",  // short body
        "G\x01T / HTTP/1.1\r\nHost: x\r\n\r\n"}) {
    EXPECT_FALSE(ParseRequestBytes(bad, 1024, 1024, req).ok()) << bad;
  }
  // Ambiguous framing (request smuggling) is refused.
  for (const char* smuggle :
       {"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n"
        "0\r\n\r\n",
        "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n",
        "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked"
        "\r\n\r\n0\r\n\r\n",
        "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"}) {
    EXPECT_FALSE(ParseRequestBytes(smuggle, 1024, 1024, req).ok()) << smuggle;
  }
  EXPECT_TRUE(ParseRequestBytes("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: Chunked\r\n\r\n"
                                "1\r\na\r\n0\r\n\r\n",
                                1024, 1024, req)
                  .ok());
  EXPECT_EQ(req.body(), "a");
  // HTTP/1.0 needs no Host.
  EXPECT_TRUE(ParseRequestBytes("GET / HTTP/1.0\r\n\r\n", 1024, 1024, req).ok());
}

}  // namespace
}  // namespace idscheme::http
