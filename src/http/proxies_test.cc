#include "http/proxies.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace idscheme::http {
namespace {

TrustedProxies Parse(std::vector<std::string> entries) {
  auto p = TrustedProxies::Parse(entries);
  EXPECT_TRUE(p.ok()) << p.status().ToString();
  return p.ok() ? *p : TrustedProxies();
}

TEST(TrustedProxies, AddressesAndNetworks) {
  TrustedProxies p = Parse({"10.0.0.7", " 192.168.0.0/16", "fd00::/8", "::1", ""});
  EXPECT_TRUE(p.Contains("10.0.0.7"));
  EXPECT_FALSE(p.Contains("10.0.0.8"));
  EXPECT_TRUE(p.Contains("192.168.44.1"));
  EXPECT_TRUE(p.Contains("::ffff:192.168.44.1"));  // a v4 peer on a dual-stack socket
  EXPECT_TRUE(p.Contains("fd12::1"));
  EXPECT_TRUE(p.Contains("::1"));
  // Listed in its v4-mapped v6 form, a v4 peer still matches.
  EXPECT_TRUE(Parse({"::ffff:10.9.8.7"}).Contains("10.9.8.7"));
  EXPECT_TRUE(Parse({"::ffff:10.9.8.7"}).Contains("::ffff:10.9.8.7"));
  EXPECT_FALSE(p.Contains("2001:db8::1"));
  EXPECT_FALSE(p.Contains("not an address"));
  for (const char* bad : {"10.0.0.300", "10.0.0.0/33", "proxy.example", "10.0.0.0/"}) {
    auto r = TrustedProxies::Parse(std::vector<std::string>{bad});
    EXPECT_FALSE(r.ok()) << bad;
  }
  EXPECT_TRUE(Parse({}).empty());
}

TEST(TrustedProxies, TheClientIsTheFirstHopNoTrustedProxyVouchesFor) {
  TrustedProxies p = Parse({"10.0.0.0/8"});
  using V = std::vector<std::string_view>;
  // One proxy in front: it appended the client's address.
  EXPECT_EQ(p.ClientAddress("10.0.0.7", V{"203.0.113.9"}), "203.0.113.9");
  // The client sent its own X-Forwarded-For: only the proxy's entry is believed.
  EXPECT_EQ(p.ClientAddress("10.0.0.7", V{"198.51.100.1, 203.0.113.9"}), "203.0.113.9");
  EXPECT_EQ(p.ClientAddress("10.0.0.7", V{"198.51.100.1", "203.0.113.9"}), "203.0.113.9");
  // Two trusted proxies in a row.
  EXPECT_EQ(p.ClientAddress("10.0.0.7", V{"198.51.100.1,203.0.113.9 , 10.1.2.3"}), "203.0.113.9");
  // Garbage stops the walk at the last address believed.
  EXPECT_EQ(p.ClientAddress("10.0.0.7", V{"203.0.113.9, unknown, 10.1.2.3"}), "10.1.2.3");
  EXPECT_EQ(p.ClientAddress("10.0.0.7", V{"unknown"}), "10.0.0.7");
  // Only proxies: the farthest one.
  EXPECT_EQ(p.ClientAddress("10.0.0.7", V{"10.9.9.9, 10.1.2.3"}), "10.9.9.9");
  // A peer that is no trusted proxy is the client, whatever it says.
  EXPECT_EQ(p.ClientAddress("203.0.113.50", V{"198.51.100.1"}), "203.0.113.50");
  EXPECT_EQ(p.ClientAddress("10.0.0.7", V{}), "10.0.0.7");
  EXPECT_EQ(TrustedProxies().ClientAddress("10.0.0.7", V{"203.0.113.9"}), "10.0.0.7");
}

}  // namespace
}  // namespace idscheme::http
