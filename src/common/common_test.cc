#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "common/base64url.h"
#include "common/clock.h"
#include "common/log.h"
#include "common/random.h"
#include "common/status.h"

namespace idscheme {
namespace {

TEST(Base64Url, Rfc4648Vectors) {
  // RFC 4648 §10 test vectors, in the URL alphabet without padding.
  EXPECT_EQ(Base64UrlEncode(std::string_view("")), "");
  EXPECT_EQ(Base64UrlEncode(std::string_view("f")), "Zg");
  EXPECT_EQ(Base64UrlEncode(std::string_view("fo")), "Zm8");
  EXPECT_EQ(Base64UrlEncode(std::string_view("foo")), "Zm9v");
  EXPECT_EQ(Base64UrlEncode(std::string_view("foob")), "Zm9vYg");
  EXPECT_EQ(Base64UrlEncode(std::string_view("fooba")), "Zm9vYmE");
  EXPECT_EQ(Base64UrlEncode(std::string_view("foobar")), "Zm9vYmFy");
  EXPECT_EQ(*Base64UrlDecodeToString("Zm9vYmFy"), "foobar");
  EXPECT_EQ(*Base64UrlDecodeToString("Zm9vYg"), "foob");
}

TEST(Base64Url, RejectsEveryDeviation) {
  EXPECT_FALSE(Base64UrlDecode("Zm9vYg==").ok());   // padding
  EXPECT_FALSE(Base64UrlDecode("Zm9v+mFy").ok());   // standard alphabet
  EXPECT_FALSE(Base64UrlDecode("Zm9v YmFy").ok());  // whitespace
  EXPECT_FALSE(Base64UrlDecode("Zm9vY").ok());      // impossible length
  EXPECT_FALSE(Base64UrlDecode("Zh").ok());         // non-zero unused bits ("Zg" is canonical)
  EXPECT_FALSE(Base64UrlDecode(std::string_view("Zm\0v", 4)).ok());
}

TEST(Base64, StandardWithPadding) {
  std::vector<uint8_t> data = {0xfb, 0xff};
  EXPECT_EQ(Base64Encode(data), "+/8=");
  EXPECT_EQ(*Base64Decode("+/8="), data);
  EXPECT_FALSE(Base64Decode("+/8").ok());
  EXPECT_FALSE(Base64Decode("+/8==").ok());
  EXPECT_FALSE(Base64Decode("+/=8").ok());
}

TEST(Status, CarriesOAuthError) {
  Status s = Status::OAuth("invalid_grant", "code already used");
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(s.oauth_error(), "invalid_grant");
  EXPECT_EQ(s.ToString(), "invalid_argument (invalid_grant): code already used");
}

Result<int> Half(int x) {
  if (x % 2) return Status::InvalidArgument("odd");
  return x / 2;
}
Result<int> Quarter(int x) {
  IDS_ASSIGN_OR_RETURN(int h, Half(x));
  return Half(h);
}

TEST(Result, PropagatesErrors) {
  EXPECT_EQ(*Quarter(8), 2);
  EXPECT_EQ(Quarter(6).status().message(), "odd");
  EXPECT_EQ(Quarter(5).status().code(), Status::Code::kInvalidArgument);
}

TEST(Clock, FakeClockAdvances) {
  FakeClock clock(100);
  EXPECT_EQ(clock.NowSeconds(), 100);
  clock.AdvanceSeconds(61);
  EXPECT_EQ(clock.NowSeconds(), 161);
}

TEST(Random, UniformStaysInBound) {
  SeededRandom rng(42);
  for (int i = 0; i < 1000; ++i) EXPECT_LT(rng.Uniform(7), 7u);
  EXPECT_EQ(rng.Token(32).size(), 43u);
}

TEST(Log, WritesOneJsonObjectPerLine) {
  std::ostringstream out;
  log::SetStream(&out);
  log::Info("hello", {{"request_id", "r1"}});
  log::Debug("hidden");
  log::SetStream(nullptr);
  auto line = nlohmann::json::parse(out.str());
  EXPECT_EQ(line["msg"], "hello");
  EXPECT_EQ(line["request_id"], "r1");
  EXPECT_EQ(line["level"], "info");
}

// Buffered lines (the access log) stay in memory until Flush or an immediate line, which writes
// them first: order on stderr is the order of the calls.
TEST(Log, BufferedLinesKeepTheirOrderAndGoOutBeforeAnImmediateLine) {
  char path[] = "/tmp/idscheme-log-XXXXXX";
  int fd = mkstemp(path);
  ASSERT_GE(fd, 0);
  std::fflush(stderr);
  int saved = dup(2);
  dup2(fd, 2);
  log::Write(log::Level::kInfo, "first", nullptr, log::Delivery::kBuffered);
  log::Write(log::Level::kInfo, "second", nullptr, log::Delivery::kBuffered);
  log::Warn("third");
  log::Write(log::Level::kInfo, "fourth", nullptr, log::Delivery::kBuffered);
  log::Flush();
  dup2(saved, 2);
  close(saved);
  close(fd);
  std::ifstream in(path);
  std::vector<std::string> msgs;
  for (std::string line; std::getline(in, line);)
    msgs.push_back(nlohmann::json::parse(line)["msg"]);
  std::remove(path);
  EXPECT_EQ(msgs, (std::vector<std::string>{"first", "second", "third", "fourth"}));
}

}  // namespace
}  // namespace idscheme
