#include "app/qr.h"

#include <gtest/gtest.h>

#include <stdexcept>

namespace idscheme::app {
namespace {

std::vector<uint8_t> Secret(uint8_t seed) { return std::vector<uint8_t>(32, seed); }

TEST(QrCodesTest, FreshContentVerifiesToTheActionId) {
  FakeClock clock;
  QrCodes qr(Secret(1), clock);
  std::string content = qr.Content("act_abc-DEF_123");
  EXPECT_EQ(content.rfind("idscheme:1:act_abc-DEF_123:", 0), 0u) << content;
  auto id = qr.Verify(content);
  ASSERT_TRUE(id.ok()) << id.status().ToString();
  EXPECT_EQ(*id, "act_abc-DEF_123");
}

TEST(QrCodesTest, ChangesEveryPeriod) {
  FakeClock clock(1'700'000'000);  // a multiple of 5
  QrCodes qr(Secret(1), clock);
  std::string first = qr.Content("act_x");
  clock.AdvanceSeconds(4);
  EXPECT_EQ(qr.Content("act_x"), first);
  clock.AdvanceSeconds(1);
  EXPECT_NE(qr.Content("act_x"), first);
}

TEST(QrCodesTest, PreviousWindowAcceptedOlderRefused) {
  FakeClock clock(1'700'000'000);
  QrCodes qr(Secret(1), clock);
  std::string content = qr.Content("act_x");
  clock.AdvanceSeconds(9);  // next window: still the previous one
  EXPECT_TRUE(qr.Verify(content).ok());
  clock.AdvanceSeconds(1);  // 10 s: two windows on, stale
  auto stale = qr.Verify(content);
  ASSERT_FALSE(stale.ok());
  EXPECT_EQ(stale.status().oauth_error(), "invalid_request");
}

TEST(QrCodesTest, FutureWindowRefused) {
  FakeClock clock(1'700'000'000);
  QrCodes qr(Secret(1), clock);
  clock.AdvanceSeconds(5);
  std::string ahead = qr.Content("act_x");
  clock.AdvanceSeconds(-5);
  EXPECT_FALSE(qr.Verify(ahead).ok());
}

TEST(QrCodesTest, WrongSecretRefused) {
  FakeClock clock;
  QrCodes ours(Secret(1), clock), theirs(Secret(2), clock);
  EXPECT_FALSE(ours.Verify(theirs.Content("act_x")).ok());
}

TEST(QrCodesTest, TamperedRefused) {
  FakeClock clock(1'700'000'000);
  QrCodes qr(Secret(1), clock);
  std::string good = qr.Content("act_x");
  // Another action id with this MAC.
  std::string other = good;
  other.replace(other.find("act_x"), 5, "act_y");
  EXPECT_FALSE(qr.Verify(other).ok());
  // A flipped MAC character.
  std::string flipped = good;
  flipped.back() = flipped.back() == 'A' ? 'B' : 'A';
  EXPECT_FALSE(qr.Verify(flipped).ok());
  // The window moved on while the MAC stayed.
  const int64_t window = 1'700'000'000 / 5;
  std::string moved = good;
  moved.replace(moved.find(std::to_string(window)), std::to_string(window).size(),
                std::to_string(window - 1));
  EXPECT_FALSE(qr.Verify(moved).ok());
}

TEST(QrCodesTest, MalformedRefused) {
  FakeClock clock(1'700'000'000);
  QrCodes qr(Secret(1), clock);
  const std::string good = qr.Content("act_x");
  const std::string w = std::to_string(1'700'000'000 / 5);
  const std::string mac = good.substr(good.rfind(':') + 1);
  for (const std::string& bad :
       {std::string(), std::string("idscheme:1:"), "idscheme:2:act_x:" + w + ":" + mac,
        "IDSCHEME:1:act_x:" + w + ":" + mac, "idscheme:1::" + w + ":" + mac,
        "idscheme:1:act_x:" + w, "idscheme:1:act_x:" + w + ":" + mac + ":",
        "idscheme:1:act_x:+" + w + ":" + mac, "idscheme:1:act_x:0" + w + ":" + mac,
        "idscheme:1:act x:" + w + ":" + mac, "idscheme:1:act_x:" + w + ":" + mac + "=", " " + good,
        good + " ", "idscheme:1:act_x:" + w + ":",
        "idscheme:1:" + std::string(65, 'a') + ":" + w + ":" + mac}) {
    EXPECT_FALSE(qr.Verify(bad).ok()) << bad;
  }
}

TEST(QrCodesTest, ShortSecretOrPeriodIsAStartupError) {
  FakeClock clock;
  EXPECT_THROW(QrCodes(std::vector<uint8_t>(31, 1), clock), std::invalid_argument);
  EXPECT_THROW(QrCodes(Secret(1), clock, 0), std::invalid_argument);
}

}  // namespace
}  // namespace idscheme::app
