// Helpers shared by the crypto tests: reading the RFC 7520 vectors and building keys once.
#pragma once

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <iterator>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>

#include "common/base64url.h"
#include "crypto/key.h"

namespace idscheme::crypto::testing {

// testdata/<name>: found through IDSCHEME_SOURCE_DIR (set by CTest) or the build's own path.
inline std::string ReadTestData(const std::string& name) {
  std::string dir;
  if (const char* src = std::getenv("IDSCHEME_SOURCE_DIR")) {
    dir = std::string(src) + "/src/crypto/testdata";
  } else {
    dir = IDSCHEME_CRYPTO_TESTDATA_DIR;
  }
  std::ifstream in(dir + "/" + name, std::ios::binary);
  EXPECT_TRUE(in.good()) << "missing test data " << name;
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

// An RFC 7520 example (testdata/rfc7520/<section>.json, e.g. "5_4").
inline nlohmann::json Rfc7520(const std::string& section) {
  return nlohmann::json::parse(ReadTestData("rfc7520/" + section + ".json"));
}

inline KeyPtr MustKey(Result<KeyPtr> key) {
  EXPECT_TRUE(key.ok()) << key.status().ToString();
  return key.ok() ? *key : nullptr;
}

inline std::string B64Decode(const std::string& s) {
  auto r = Base64UrlDecodeToString(s);
  EXPECT_TRUE(r.ok()) << s;
  return r.ok() ? *r : std::string();
}

// Generated keys are expensive (RSA); each (type, slot) is made once per test binary. Slots
// give distinct keys of one type ("another key of the same kind").
inline KeyPtr SharedKey(KeyType type, int slot = 0) {
  static std::mutex mu;
  static std::map<std::pair<KeyType, int>, KeyPtr> keys;
  std::lock_guard<std::mutex> lock(mu);
  auto& key = keys[{type, slot}];
  if (!key) {
    key = type == KeyType::kRsa ? MustKey(Key::GenerateRsa(2048)) : MustKey(Key::Generate(type));
  }
  return key;
}

}  // namespace idscheme::crypto::testing
