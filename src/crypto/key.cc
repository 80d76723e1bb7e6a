#include "crypto/key.h"

#include <openssl/core_names.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <set>
#include <vector>

#include "common/base64url.h"
#include "crypto/hash.h"
#include "crypto/internal/key_internal.h"
#include "crypto/json.h"

namespace idscheme::crypto {

using internal::BignumPtr;
using internal::Cleanse;
using internal::EvpPkeyCtxPtr;
using internal::EvpPkeyPtr;
using internal::OpenSslError;
using json = nlohmann::json;
using Bytes = std::vector<uint8_t>;

namespace internal {

bool IsEc(KeyType type) {
  return type == KeyType::kEcP256 || type == KeyType::kEcP384 || type == KeyType::kEcP521;
}

size_t CoordinateSize(KeyType type) {
  switch (type) {
    case KeyType::kEcP256:
      return 32;
    case KeyType::kEcP384:
      return 48;
    case KeyType::kEcP521:
      return 66;
    case KeyType::kEd25519:
    case KeyType::kX25519:
      return 32;
    default:
      return 0;
  }
}

}  // namespace internal

namespace {

using internal::CoordinateSize;
using internal::IsEc;

const char* GroupName(KeyType type) {  // OpenSSL's names
  switch (type) {
    case KeyType::kEcP256:
      return "prime256v1";
    case KeyType::kEcP384:
      return "secp384r1";
    case KeyType::kEcP521:
      return "secp521r1";
    default:
      return nullptr;
  }
}

int BitsOf(KeyType type, EVP_PKEY* pkey, size_t secret_size) {
  switch (type) {
    case KeyType::kEcP256:
      return 256;
    case KeyType::kEcP384:
      return 384;
    case KeyType::kEcP521:
      return 521;
    case KeyType::kEd25519:
    case KeyType::kX25519:
      return 256;
    case KeyType::kRsa:
      return EVP_PKEY_get_bits(pkey);
    case KeyType::kOct:
      return static_cast<int>(secret_size * 8);
  }
  return 0;
}

// ---- Reading JWK members ---------------------------------------------------------------------

Status Missing(std::string_view kty, std::string_view name) {
  return Status::InvalidArgument("JWK (" + std::string(kty) + "): member \"" + std::string(name) +
                                 "\" missing");
}

// A base64url member; *present says whether it was there (an absent optional member is fine).
Result<Bytes> B64Member(const json& jwk, const char* name, bool* present) {
  auto it = jwk.find(name);
  *present = it != jwk.end();
  if (!*present) return Bytes{};
  if (!it->is_string()) {
    return Status::InvalidArgument(std::string("JWK: member \"") + name + "\" is not a string");
  }
  auto decoded = Base64UrlDecode(it->get_ref<const std::string&>());
  if (!decoded.ok()) {
    return Status::InvalidArgument(std::string("JWK: member \"") + name +
                                   "\" is not strict base64url");
  }
  return std::move(decoded).value();
}

Result<Bytes> RequiredB64(const json& jwk, std::string_view kty, const char* name) {
  bool present = false;
  IDS_ASSIGN_OR_RETURN(Bytes v, B64Member(jwk, name, &present));
  if (!present) return Missing(kty, name);
  return v;
}

// RFC 7518 §2 Base64urlUInt: the minimum number of octets (zero is one zero octet).
Status CheckUInt(const Bytes& v, const char* name) {
  if (v.empty() || (v.size() > 1 && v[0] == 0)) {
    return Status::InvalidArgument(std::string("JWK (RSA): \"") + name +
                                   "\" is not a minimal Base64urlUInt (RFC 7518 §2)");
  }
  return Status::Ok();
}

Result<KeyMetadata> ParseMetadata(const json& jwk) {
  KeyMetadata m;
  for (auto [name, field] : {std::pair{"kid", &m.kid}, {"use", &m.use}, {"alg", &m.alg}}) {
    auto it = jwk.find(name);
    if (it == jwk.end()) continue;
    if (!it->is_string()) {
      return Status::InvalidArgument(std::string("JWK: \"") + name + "\" is not a string");
    }
    *field = it->get<std::string>();
  }
  if (auto it = jwk.find("key_ops"); it != jwk.end()) {
    // RFC 7517 §4.3: an array of unique strings.
    if (!it->is_array()) return Status::InvalidArgument("JWK: \"key_ops\" is not an array");
    std::set<std::string> seen;
    for (const auto& op : *it) {
      if (!op.is_string()) return Status::InvalidArgument("JWK: \"key_ops\" holds a non-string");
      if (!seen.insert(op.get<std::string>()).second) {
        return Status::InvalidArgument("JWK: \"key_ops\" repeats a value (RFC 7517 §4.3)");
      }
      m.key_ops.push_back(op.get<std::string>());
    }
  }
  // RFC 7517 §4.3: when both are present they must agree.
  if (!m.use.empty() && !m.key_ops.empty()) {
    static const std::set<std::string> kSig = {"sign", "verify"};
    static const std::set<std::string> kEnc = {"encrypt",   "decrypt",   "wrapKey",
                                               "unwrapKey", "deriveKey", "deriveBits"};
    const auto* allowed = m.use == "sig" ? &kSig : m.use == "enc" ? &kEnc : nullptr;
    if (allowed != nullptr) {
      for (const auto& op : m.key_ops) {
        if (!allowed->count(op)) {
          return Status::InvalidArgument("JWK: \"use\" and \"key_ops\" disagree (RFC 7517 §4.3)");
        }
      }
    }
  }
  return m;
}

// ---- Building OpenSSL keys -------------------------------------------------------------------

Result<EvpPkeyPtr> FromData(const char* name, OSSL_PARAM_BLD* bld, bool is_private) {
  internal::ParamPtr params(OSSL_PARAM_BLD_to_param(bld));
  EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, name, nullptr));
  EVP_PKEY* raw = nullptr;
  if (!params || !ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1 ||
      EVP_PKEY_fromdata(ctx.get(), &raw, is_private ? EVP_PKEY_KEYPAIR : EVP_PKEY_PUBLIC_KEY,
                        params.get()) != 1) {
    // The reason stays out: this message reaches clients (registration, request objects).
    internal::ClearOpenSslErrors();
    return Status::InvalidArgument(std::string("JWK: not a valid ") + name +
                                   " key (for EC, the point must be on the curve)");
  }
  return EvpPkeyPtr(raw);
}

// Primes below 2^16, multiplied in groups whose product stays below 2^32 so that one
// BN_mod_word (a single-limb division) tests a whole group.
struct PrimeGroup {
  uint32_t product;
  std::vector<uint32_t> primes;
};

const std::vector<PrimeGroup>& SmallPrimeGroups() {
  static const std::vector<PrimeGroup> groups = [] {
    constexpr uint32_t kLimit = 1u << 16;
    std::vector<bool> composite(kLimit);
    std::vector<PrimeGroup> out;
    PrimeGroup group{1, {}};
    for (uint32_t i = 2; i < kLimit; ++i) {
      if (composite[i]) continue;
      for (uint32_t j = i * i; j < kLimit; j += i) composite[j] = true;
      if (uint64_t{group.product} * i >= (uint64_t{1} << 32)) {
        out.push_back(std::move(group));
        group = {1, {}};
      }
      group.product *= i;
      group.primes.push_back(i);
    }
    out.push_back(std::move(group));
    return out;
  }();
  return groups;
}

// SP 800-89 §5.3.3: an RSA modulus has no small factors. OpenSSL's public check only divides by
// the primes below 752; beyond them it finds a factor only when one of its random Miller-Rabin
// bases happens to reveal it, so the same modulus was accepted at one import and refused at the
// next (found by fuzz_jwk). Trial division below 2^16 refuses every such modulus, every time.
Status CheckRsaSmallFactors(EVP_PKEY* pkey, std::string_view what) {
  BIGNUM* raw = nullptr;
  if (EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_RSA_N, &raw) != 1) return OpenSslError(what);
  BignumPtr n(raw);
  for (const PrimeGroup& group : SmallPrimeGroups()) {
    const BN_ULONG rest = BN_mod_word(n.get(), group.product);
    if (rest == static_cast<BN_ULONG>(-1)) return OpenSslError(what);
    for (uint32_t p : group.primes) {
      if (rest % p == 0) {
        return Status::InvalidArgument(std::string(what) + ": the RSA modulus has the factor " +
                                       std::to_string(p) + " (SP 800-89 §5.3.3)");
      }
    }
  }
  return Status::Ok();
}

// The checks OpenSSL can do for us: EC points on the curve and of the right order, RSA modulus
// and exponent sane, and for private keys that the private part matches the public part.
Status CheckPkey(EVP_PKEY* pkey, bool is_private, std::string_view what) {
  if (EVP_PKEY_get_base_id(pkey) == EVP_PKEY_RSA) {
    IDS_RETURN_IF_ERROR(CheckRsaSmallFactors(pkey, what));
  }
  EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, pkey, nullptr));
  if (!ctx) return OpenSslError(what);
  if (EVP_PKEY_public_check(ctx.get()) != 1) {
    return OpenSslError(std::string(what) + ": public key check failed",
                        Status::Code::kInvalidArgument);
  }
  if (is_private && EVP_PKEY_pairwise_check(ctx.get()) != 1) {
    return OpenSslError(std::string(what) + ": private key does not match public key",
                        Status::Code::kInvalidArgument);
  }
  return Status::Ok();
}

Result<EvpPkeyPtr> BuildEc(KeyType type, const Bytes& x, const Bytes& y, const Bytes* d) {
  Bytes point;
  point.reserve(1 + x.size() + y.size());
  point.push_back(0x04);  // SEC 1 §2.3.3 uncompressed
  point.insert(point.end(), x.begin(), x.end());
  point.insert(point.end(), y.begin(), y.end());
  internal::ParamBldPtr bld(OSSL_PARAM_BLD_new());
  BignumPtr priv;
  if (d != nullptr) priv = internal::BytesToBn(*d);
  if (!bld ||
      OSSL_PARAM_BLD_push_utf8_string(bld.get(), OSSL_PKEY_PARAM_GROUP_NAME, GroupName(type), 0) !=
          1 ||
      OSSL_PARAM_BLD_push_octet_string(bld.get(), OSSL_PKEY_PARAM_PUB_KEY, point.data(),
                                       point.size()) != 1 ||
      (d != nullptr &&
       (!priv || OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_PRIV_KEY, priv.get()) != 1))) {
    return OpenSslError("JWK (EC)");
  }
  IDS_ASSIGN_OR_RETURN(EvpPkeyPtr pkey, FromData("EC", bld.get(), d != nullptr));
  IDS_RETURN_IF_ERROR(CheckPkey(pkey.get(), d != nullptr, "JWK (EC)"));
  return pkey;
}

struct RsaParts {
  Bytes n, e, d, p, q, dp, dq, qi;
};

Result<EvpPkeyPtr> BuildRsa(const RsaParts& r, bool is_private) {
  internal::ParamBldPtr bld(OSSL_PARAM_BLD_new());
  if (!bld) return OpenSslError("JWK (RSA)");
  std::vector<BignumPtr> keep;
  auto push = [&](const char* name, const Bytes& v) {
    BignumPtr bn = internal::BytesToBn(v);
    if (!bn || OSSL_PARAM_BLD_push_BN(bld.get(), name, bn.get()) != 1) return false;
    keep.push_back(std::move(bn));
    return true;
  };
  bool ok = push(OSSL_PKEY_PARAM_RSA_N, r.n) && push(OSSL_PKEY_PARAM_RSA_E, r.e);
  if (is_private) {
    ok = ok && push(OSSL_PKEY_PARAM_RSA_D, r.d) && push(OSSL_PKEY_PARAM_RSA_FACTOR1, r.p) &&
         push(OSSL_PKEY_PARAM_RSA_FACTOR2, r.q) && push(OSSL_PKEY_PARAM_RSA_EXPONENT1, r.dp) &&
         push(OSSL_PKEY_PARAM_RSA_EXPONENT2, r.dq) && push(OSSL_PKEY_PARAM_RSA_COEFFICIENT1, r.qi);
  }
  if (!ok) return OpenSslError("JWK (RSA)");
  IDS_ASSIGN_OR_RETURN(EvpPkeyPtr pkey, FromData("RSA", bld.get(), is_private));
  IDS_RETURN_IF_ERROR(CheckPkey(pkey.get(), is_private, "JWK (RSA)"));
  return pkey;
}

Result<EvpPkeyPtr> BuildOkp(KeyType type, const Bytes& x, const Bytes* d) {
  int id = type == KeyType::kEd25519 ? EVP_PKEY_ED25519 : EVP_PKEY_X25519;
  if (d == nullptr) {
    EvpPkeyPtr pkey(EVP_PKEY_new_raw_public_key(id, nullptr, x.data(), x.size()));
    if (!pkey) return OpenSslError("JWK (OKP)", Status::Code::kInvalidArgument);
    return pkey;
  }
  EvpPkeyPtr pkey(EVP_PKEY_new_raw_private_key(id, nullptr, d->data(), d->size()));
  if (!pkey) return OpenSslError("JWK (OKP)", Status::Code::kInvalidArgument);
  // RFC 8037 §2: x is the public key of d; a mismatched pair must not be accepted.
  Bytes derived(32);
  size_t len = derived.size();
  if (EVP_PKEY_get_raw_public_key(pkey.get(), derived.data(), &len) != 1 || len != 32) {
    return OpenSslError("JWK (OKP)");
  }
  if (!ConstantTimeEquals(derived, x)) {
    return Status::InvalidArgument("JWK (OKP): \"x\" is not the public key of \"d\"");
  }
  return pkey;
}

// ---- Reading back from OpenSSL ----------------------------------------------------------------

Result<Bytes> GetBn(EVP_PKEY* pkey, const char* name, size_t pad = 0) {
  BIGNUM* raw = nullptr;
  if (EVP_PKEY_get_bn_param(pkey, name, &raw) != 1) return OpenSslError("key export");
  BignumPtr bn(raw);
  Bytes out = internal::BnToBytes(bn.get(), pad);
  if (out.empty()) return Status::Internal("key export: integer larger than its field");
  return out;
}

Result<Bytes> RawOkp(EVP_PKEY* pkey, bool priv) {
  Bytes out(32);
  size_t len = out.size();
  int rc = priv ? EVP_PKEY_get_raw_private_key(pkey, out.data(), &len)
                : EVP_PKEY_get_raw_public_key(pkey, out.data(), &len);
  if (rc != 1 || len != 32) return OpenSslError("key export");
  return out;
}

// Which of our types an OpenSSL key is (keys from PEM); anything else is unsupported.
Result<KeyType> Classify(EVP_PKEY* pkey) {
  switch (EVP_PKEY_get_base_id(pkey)) {
    case EVP_PKEY_RSA:
      return KeyType::kRsa;
    case EVP_PKEY_ED25519:
      return KeyType::kEd25519;
    case EVP_PKEY_X25519:
      return KeyType::kX25519;
    case EVP_PKEY_EC: {
      char name[64] = {0};
      size_t len = 0;
      if (EVP_PKEY_get_group_name(pkey, name, sizeof name, &len) != 1) {
        internal::ClearOpenSslErrors();
        return Status::InvalidArgument("EC key without a named curve");
      }
      std::string_view n(name, len);
      if (n == "prime256v1") return KeyType::kEcP256;
      if (n == "secp384r1") return KeyType::kEcP384;
      if (n == "secp521r1") return KeyType::kEcP521;
      return Status::InvalidArgument("EC curve " + std::string(n) + " is not supported");
    }
    default:
      return Status::InvalidArgument("key type not supported");
  }
}

Status CheckRsaSize(int bits) {
  if (bits < Key::kMinRsaBits) {
    return Status::InvalidArgument("RSA key of " + std::to_string(bits) +
                                   " bits refused; at least 2048 required (RFC 7518 §3.3)");
  }
  if (bits > Key::kMaxRsaBits) {
    return Status::InvalidArgument("RSA key of " + std::to_string(bits) + " bits too large");
  }
  return Status::Ok();
}

std::string B64(const Bytes& b) { return Base64UrlEncode(b); }

}  // namespace

// ---- internal ---------------------------------------------------------------------------------

namespace internal {

KeyPtr KeyAccess::Make(KeyType type, EvpPkeyPtr pkey, bool is_private, KeyMetadata metadata) {
  auto material = std::make_shared<Key::Material>();
  int bits = BitsOf(type, pkey.get(), 0);
  material->pkey = std::move(pkey);
  return KeyPtr(new Key(type, std::move(material), is_private, bits, std::move(metadata)));
}

Result<KeyPtr> GenerateEphemeralFor(const Key& peer) {
  if (IsEc(peer.type())) return Key::Generate(peer.type());
  if (peer.type() == KeyType::kX25519) return Key::Generate(KeyType::kX25519);
  return Status::InvalidArgument("ECDH-ES needs an EC or X25519 key");
}

Result<KeyPtr> ParseJwk(const json& jwk, bool require_public, bool* unsupported) {
  *unsupported = false;
  if (!jwk.is_object()) return Status::InvalidArgument("JWK: not a JSON object");
  auto kty_it = jwk.find("kty");
  if (kty_it == jwk.end()) return Status::InvalidArgument("JWK: \"kty\" missing (RFC 7517 §4.1)");
  if (!kty_it->is_string()) return Status::InvalidArgument("JWK: \"kty\" is not a string");
  const std::string& kty = kty_it->get_ref<const std::string&>();
  IDS_ASSIGN_OR_RETURN(KeyMetadata metadata, ParseMetadata(jwk));

  if (require_public) {
    for (const char* member : {"d", "p", "q", "dp", "dq", "qi", "oth", "k"}) {
      if (jwk.contains(member)) {
        return Status::InvalidArgument(std::string("JWK: private member \"") + member +
                                       "\" in a key that must be public");
      }
    }
  }

  auto crv_of = [&]() -> Result<std::string> {
    auto it = jwk.find("crv");
    if (it == jwk.end()) return Missing(kty, "crv");
    if (!it->is_string()) return Status::InvalidArgument("JWK: \"crv\" is not a string");
    return it->get<std::string>();
  };

  if (kty == "EC") {
    IDS_ASSIGN_OR_RETURN(std::string crv, crv_of());
    KeyType type;
    if (crv == "P-256") {
      type = KeyType::kEcP256;
    } else if (crv == "P-384") {
      type = KeyType::kEcP384;
    } else if (crv == "P-521") {
      type = KeyType::kEcP521;
    } else {
      *unsupported = true;
      return Status::InvalidArgument("JWK: EC curve \"" + crv + "\" not supported");
    }
    const size_t size = CoordinateSize(type);
    IDS_ASSIGN_OR_RETURN(Bytes x, RequiredB64(jwk, kty, "x"));
    IDS_ASSIGN_OR_RETURN(Bytes y, RequiredB64(jwk, kty, "y"));
    // RFC 7518 §6.2.1.2-3: full coordinate size, no more, no less.
    if (x.size() != size || y.size() != size) {
      return Status::InvalidArgument("JWK (EC): \"x\"/\"y\" must be " + std::to_string(size) +
                                     " bytes for " + crv + " (RFC 7518 §6.2.1.2)");
    }
    bool has_d = false;
    IDS_ASSIGN_OR_RETURN(Bytes d, B64Member(jwk, "d", &has_d));
    // RFC 7518 §6.2.2.1: d is ceiling(log2(n)/8) octets, the coordinate size for these curves.
    if (has_d && d.size() != size) {
      Cleanse(d);
      return Status::InvalidArgument("JWK (EC): \"d\" must be " + std::to_string(size) +
                                     " bytes for " + crv + " (RFC 7518 §6.2.2.1)");
    }
    auto pkey = BuildEc(type, x, y, has_d ? &d : nullptr);
    Cleanse(d);
    if (!pkey.ok()) return pkey.status();
    auto material = std::make_shared<Key::Material>();
    material->pkey = std::move(pkey).value();
    return KeyAccess::New(type, std::move(material), has_d, BitsOf(type, nullptr, 0),
                          std::move(metadata));
  }

  if (kty == "RSA") {
    RsaParts r;
    IDS_ASSIGN_OR_RETURN(r.n, RequiredB64(jwk, kty, "n"));
    IDS_ASSIGN_OR_RETURN(r.e, RequiredB64(jwk, kty, "e"));
    IDS_RETURN_IF_ERROR(CheckUInt(r.n, "n"));
    IDS_RETURN_IF_ERROR(CheckUInt(r.e, "e"));
    int bits = static_cast<int>(r.n.size() * 8);
    for (uint8_t top = r.n[0]; top < 0x80; top <<= 1) --bits;
    if (Status s = CheckRsaSize(bits); !s.ok()) {
      if (bits < Key::kMinRsaBits) *unsupported = true;
      return Status::InvalidArgument("JWK: " + s.message());
    }
    if (r.e.size() > 8) return Status::InvalidArgument("JWK (RSA): \"e\" too large");
    // RFC 7518 §6.3.2.7: multi-prime keys are not supported here.
    if (jwk.contains("oth")) return Status::InvalidArgument("JWK (RSA): \"oth\" not supported");
    bool has[6] = {};
    const char* names[6] = {"d", "p", "q", "dp", "dq", "qi"};
    Bytes* fields[6] = {&r.d, &r.p, &r.q, &r.dp, &r.dq, &r.qi};
    for (int i = 0; i < 6; ++i) {
      IDS_ASSIGN_OR_RETURN(*fields[i], B64Member(jwk, names[i], &has[i]));
    }
    auto wipe = [&]() {
      for (Bytes* f : fields) Cleanse(*f);
    };
    bool any_private = std::any_of(std::begin(has), std::end(has), [](bool b) { return b; });
    bool all_private = std::all_of(std::begin(has), std::end(has), [](bool b) { return b; });
    // RFC 7518 §6.3.2: d makes it private; p..qi come together. We require all of them: the
    // CRT values are what lets OpenSSL check the pair and sign at full speed.
    if (any_private && !all_private) {
      wipe();
      return Status::InvalidArgument(
          "JWK (RSA): a private key needs all of d, p, q, dp, dq, qi (RFC 7518 §6.3.2)");
    }
    for (int i = 0; i < 6 && any_private; ++i) {
      if (Status s = CheckUInt(*fields[i], names[i]); !s.ok()) {
        wipe();
        return s;
      }
    }
    auto pkey = BuildRsa(r, any_private);
    wipe();
    if (!pkey.ok()) return pkey.status();
    auto material = std::make_shared<Key::Material>();
    int real_bits = EVP_PKEY_get_bits(pkey->get());
    material->pkey = std::move(pkey).value();
    return KeyAccess::New(KeyType::kRsa, std::move(material), any_private, real_bits,
                          std::move(metadata));
  }

  if (kty == "OKP") {
    IDS_ASSIGN_OR_RETURN(std::string crv, crv_of());
    KeyType type;
    if (crv == "Ed25519") {
      type = KeyType::kEd25519;
    } else if (crv == "X25519") {
      type = KeyType::kX25519;
    } else {
      *unsupported = true;
      return Status::InvalidArgument("JWK: OKP curve \"" + crv + "\" not supported");
    }
    IDS_ASSIGN_OR_RETURN(Bytes x, RequiredB64(jwk, kty, "x"));
    if (x.size() != 32) {
      return Status::InvalidArgument("JWK (OKP): \"x\" must be 32 bytes (RFC 8037 §2)");
    }
    bool has_d = false;
    IDS_ASSIGN_OR_RETURN(Bytes d, B64Member(jwk, "d", &has_d));
    if (has_d && d.size() != 32) {
      Cleanse(d);
      return Status::InvalidArgument("JWK (OKP): \"d\" must be 32 bytes (RFC 8037 §2)");
    }
    auto pkey = BuildOkp(type, x, has_d ? &d : nullptr);
    Cleanse(d);
    if (!pkey.ok()) return pkey.status();
    auto material = std::make_shared<Key::Material>();
    material->pkey = std::move(pkey).value();
    return KeyAccess::New(type, std::move(material), has_d, 256, std::move(metadata));
  }

  if (kty == "oct") {
    IDS_ASSIGN_OR_RETURN(Bytes k, RequiredB64(jwk, kty, "k"));
    if (k.empty()) return Status::InvalidArgument("JWK (oct): \"k\" is empty");
    auto material = std::make_shared<Key::Material>();
    material->secret = std::move(k);
    int bits = static_cast<int>(material->secret.size() * 8);
    return KeyAccess::New(KeyType::kOct, std::move(material), true, bits, std::move(metadata));
  }

  *unsupported = true;
  std::string shown = kty.size() > 16 ? kty.substr(0, 16) + "..." : kty;
  for (char& c : shown) {
    if (c < 0x20 || c > 0x7e) c = '?';
  }
  return Status::InvalidArgument("JWK: kty \"" + shown + "\" not supported");
}

}  // namespace internal

// ---- Key --------------------------------------------------------------------------------------

std::string_view KeyTypeName(KeyType type) {
  switch (type) {
    case KeyType::kEcP256:
      return "EC P-256";
    case KeyType::kEcP384:
      return "EC P-384";
    case KeyType::kEcP521:
      return "EC P-521";
    case KeyType::kRsa:
      return "RSA";
    case KeyType::kEd25519:
      return "OKP Ed25519";
    case KeyType::kX25519:
      return "OKP X25519";
    case KeyType::kOct:
      return "oct";
  }
  return "?";
}

Key::Key(KeyType type, std::shared_ptr<const Material> material, bool is_private, int bits,
         KeyMetadata metadata)
    : type_(type),
      material_(std::move(material)),
      is_private_(is_private),
      bits_(bits),
      metadata_(std::move(metadata)) {}

std::string_view Key::kty() const {
  switch (type_) {
    case KeyType::kEcP256:
    case KeyType::kEcP384:
    case KeyType::kEcP521:
      return "EC";
    case KeyType::kRsa:
      return "RSA";
    case KeyType::kEd25519:
    case KeyType::kX25519:
      return "OKP";
    case KeyType::kOct:
      return "oct";
  }
  return "";
}

std::string_view Key::crv() const {
  switch (type_) {
    case KeyType::kEcP256:
      return "P-256";
    case KeyType::kEcP384:
      return "P-384";
    case KeyType::kEcP521:
      return "P-521";
    case KeyType::kEd25519:
      return "Ed25519";
    case KeyType::kX25519:
      return "X25519";
    default:
      return "";
  }
}

Result<KeyPtr> Key::Generate(KeyType type) {
  EVP_PKEY* raw = nullptr;
  switch (type) {
    case KeyType::kRsa:
      return GenerateRsa(kDefaultRsaBits);
    case KeyType::kOct:
      return GenerateOct(32);
    case KeyType::kEcP256:
    case KeyType::kEcP384:
    case KeyType::kEcP521:
      raw = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", GroupName(type));
      break;
    case KeyType::kEd25519:
      raw = EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519");
      break;
    case KeyType::kX25519:
      raw = EVP_PKEY_Q_keygen(nullptr, nullptr, "X25519");
      break;
  }
  if (raw == nullptr) return OpenSslError("key generation");
  return internal::KeyAccess::Make(type, EvpPkeyPtr(raw), true);
}

Result<KeyPtr> Key::GenerateRsa(int bits) {
  IDS_RETURN_IF_ERROR(CheckRsaSize(bits));
  EVP_PKEY* raw = EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<size_t>(bits));
  if (raw == nullptr) return OpenSslError("RSA key generation");
  return internal::KeyAccess::Make(KeyType::kRsa, EvpPkeyPtr(raw), true);
}

Result<KeyPtr> Key::GenerateOct(size_t bytes) {
  if (bytes < 16 || bytes > 1024) return Status::InvalidArgument("oct key: 16..1024 bytes");
  Bytes secret(bytes);
  if (RAND_bytes(secret.data(), static_cast<int>(bytes)) != 1) {
    return OpenSslError("oct key generation");
  }
  auto key = FromOctets(secret);
  Cleanse(secret);
  return key;
}

Result<KeyPtr> Key::FromOctets(std::span<const uint8_t> secret) {
  if (secret.empty()) return Status::InvalidArgument("oct key: empty");
  auto material = std::make_shared<Material>();
  material->secret.assign(secret.begin(), secret.end());
  return KeyPtr(
      new Key(KeyType::kOct, std::move(material), true, static_cast<int>(secret.size() * 8), {}));
}

Result<KeyPtr> Key::FromJwk(const json& jwk) {
  bool unsupported = false;
  return internal::ParseJwk(jwk, false, &unsupported);
}

Result<KeyPtr> Key::FromPublicJwk(const json& jwk) {
  bool unsupported = false;
  return internal::ParseJwk(jwk, true, &unsupported);
}

Result<KeyPtr> Key::FromJwkText(std::string_view text) {
  IDS_ASSIGN_OR_RETURN(json jwk, ParseJsonObjectStrict(text));
  return FromJwk(jwk);
}

Result<KeyPtr> Key::FromPem(std::string_view pem, PemCheck check) {
  if (pem.size() > 64 * 1024) return Status::InvalidArgument("PEM: too large");
  internal::BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (!bio) return OpenSslError("PEM");
  char* name = nullptr;
  char* header = nullptr;
  unsigned char* data = nullptr;
  long len = 0;
  if (PEM_read_bio(bio.get(), &name, &header, &data, &len) != 1) {
    return OpenSslError("PEM: no PEM block", Status::Code::kInvalidArgument);
  }
  std::string label(name);
  bool has_headers = header != nullptr && header[0] != '\0';
  Bytes der(data, data + len);
  OPENSSL_free(name);
  OPENSSL_free(header);
  OPENSSL_clear_free(data, static_cast<size_t>(len));
  // Whatever follows the block must be blank: one key per PEM.
  char rest[64];
  int n = 0;
  while ((n = BIO_read(bio.get(), rest, sizeof rest)) > 0) {
    for (int i = 0; i < n; ++i) {
      if (!std::isspace(static_cast<unsigned char>(rest[i]))) {
        Cleanse(der);
        return Status::InvalidArgument("PEM: data after the first block");
      }
    }
  }
  internal::ClearOpenSslErrors();
  if (has_headers) {
    Cleanse(der);
    return Status::InvalidArgument("PEM: encrypted or annotated PEM not supported");
  }

  EvpPkeyPtr pkey;
  bool is_private = false;
  const unsigned char* p = der.data();
  if (label == "PRIVATE KEY") {
    is_private = true;
    PKCS8_PRIV_KEY_INFO* p8 = d2i_PKCS8_PRIV_KEY_INFO(nullptr, &p, static_cast<long>(der.size()));
    if (p8 != nullptr && p == der.data() + der.size()) pkey.reset(EVP_PKCS82PKEY(p8));
    PKCS8_PRIV_KEY_INFO_free(p8);
  } else if (label == "PUBLIC KEY") {
    pkey.reset(d2i_PUBKEY(nullptr, &p, static_cast<long>(der.size())));
    if (pkey && p != der.data() + der.size()) pkey.reset();
  } else {
    Cleanse(der);
    return Status::InvalidArgument("PEM: label \"" + label.substr(0, 32) +
                                   "\" is neither PRIVATE KEY (PKCS#8) nor PUBLIC KEY (SPKI)");
  }
  Cleanse(der);
  if (!pkey) return OpenSslError("PEM: cannot decode key", Status::Code::kInvalidArgument);
  IDS_ASSIGN_OR_RETURN(KeyType type, Classify(pkey.get()));
  if (type == KeyType::kRsa) IDS_RETURN_IF_ERROR(CheckRsaSize(EVP_PKEY_get_bits(pkey.get())));
  if (check == PemCheck::kChecked) IDS_RETURN_IF_ERROR(CheckPkey(pkey.get(), is_private, "PEM"));
  return internal::KeyAccess::Make(type, std::move(pkey), is_private);
}

KeyPtr Key::WithMetadata(KeyMetadata metadata) const {
  return KeyPtr(new Key(type_, material_, is_private_, bits_, std::move(metadata)));
}

KeyPtr Key::WithKid(std::string kid) const {
  KeyMetadata m = metadata_;
  m.kid = std::move(kid);
  return WithMetadata(std::move(m));
}

Result<json> Key::ToJwk(bool include_private) const {
  json jwk = json::object();
  jwk["kty"] = std::string(kty());
  EVP_PKEY* pkey = material_->pkey.get();
  const bool priv = include_private && is_private_;
  switch (type_) {
    case KeyType::kEcP256:
    case KeyType::kEcP384:
    case KeyType::kEcP521: {
      size_t size = CoordinateSize(type_);
      jwk["crv"] = std::string(crv());
      IDS_ASSIGN_OR_RETURN(Bytes x, GetBn(pkey, OSSL_PKEY_PARAM_EC_PUB_X, size));
      IDS_ASSIGN_OR_RETURN(Bytes y, GetBn(pkey, OSSL_PKEY_PARAM_EC_PUB_Y, size));
      jwk["x"] = B64(x);
      jwk["y"] = B64(y);
      if (priv) {
        IDS_ASSIGN_OR_RETURN(Bytes d, GetBn(pkey, OSSL_PKEY_PARAM_PRIV_KEY, size));
        jwk["d"] = B64(d);
        Cleanse(d);
      }
      break;
    }
    case KeyType::kRsa: {
      IDS_ASSIGN_OR_RETURN(Bytes n, GetBn(pkey, OSSL_PKEY_PARAM_RSA_N));
      IDS_ASSIGN_OR_RETURN(Bytes e, GetBn(pkey, OSSL_PKEY_PARAM_RSA_E));
      jwk["n"] = B64(n);
      jwk["e"] = B64(e);
      if (priv) {
        const std::pair<const char*, const char*> parts[] = {
            {"d", OSSL_PKEY_PARAM_RSA_D},          {"p", OSSL_PKEY_PARAM_RSA_FACTOR1},
            {"q", OSSL_PKEY_PARAM_RSA_FACTOR2},    {"dp", OSSL_PKEY_PARAM_RSA_EXPONENT1},
            {"dq", OSSL_PKEY_PARAM_RSA_EXPONENT2}, {"qi", OSSL_PKEY_PARAM_RSA_COEFFICIENT1}};
        for (const auto& [member, param] : parts) {
          IDS_ASSIGN_OR_RETURN(Bytes v, GetBn(pkey, param));
          jwk[member] = B64(v);
          Cleanse(v);
        }
      }
      break;
    }
    case KeyType::kEd25519:
    case KeyType::kX25519: {
      jwk["crv"] = std::string(crv());
      IDS_ASSIGN_OR_RETURN(Bytes x, RawOkp(pkey, false));
      jwk["x"] = B64(x);
      if (priv) {
        IDS_ASSIGN_OR_RETURN(Bytes d, RawOkp(pkey, true));
        jwk["d"] = B64(d);
        Cleanse(d);
      }
      break;
    }
    case KeyType::kOct:
      if (!include_private) {
        return Status::InvalidArgument("a symmetric (oct) key has no public JWK");
      }
      jwk["k"] = B64(material_->secret);
      break;
  }
  if (!metadata_.kid.empty()) jwk["kid"] = metadata_.kid;
  if (!metadata_.use.empty()) jwk["use"] = metadata_.use;
  if (!metadata_.alg.empty()) jwk["alg"] = metadata_.alg;
  if (!metadata_.key_ops.empty()) jwk["key_ops"] = metadata_.key_ops;
  return jwk;
}

Result<std::string> Key::ToPem(bool include_private) const {
  if (type_ == KeyType::kOct) return Status::InvalidArgument("an oct key has no PEM form");
  internal::BioPtr bio(BIO_new(BIO_s_mem()));
  EVP_PKEY* pkey = material_->pkey.get();
  int ok = 0;
  if (include_private && is_private_) {
    ok = bio ? PEM_write_bio_PKCS8PrivateKey(bio.get(), pkey, nullptr, nullptr, 0, nullptr, nullptr)
             : 0;
  } else {
    ok = bio ? PEM_write_bio_PUBKEY(bio.get(), pkey) : 0;
  }
  if (ok != 1) return OpenSslError("PEM export");
  char* data = nullptr;
  long len = BIO_get_mem_data(bio.get(), &data);
  std::string out(data, static_cast<size_t>(len));
  // The memory BIO's buffer held the private key; wipe it before it is freed.
  if (len > 0) OPENSSL_cleanse(data, static_cast<size_t>(len));
  return out;
}

std::string Key::Rfc7638Thumbprint() const {
  // RFC 7638 §3.2: required members only, lexicographic order, no whitespace. The values are
  // base64url or fixed names, so no JSON escaping can occur.
  auto jwk = ToJwk(type_ == KeyType::kOct);
  if (!jwk.ok()) return "";
  const json& j = *jwk;
  std::string canonical;
  auto m = [&](const char* name) {
    return std::string("\"") + name + "\":\"" + j[name].get<std::string>() + "\"";
  };
  switch (type_) {
    case KeyType::kRsa:
      canonical = "{" + m("e") + "," + m("kty") + "," + m("n") + "}";
      break;
    case KeyType::kOct:
      canonical = "{" + m("k") + "," + m("kty") + "}";
      break;
    case KeyType::kEd25519:
    case KeyType::kX25519:
      canonical = "{" + m("crv") + "," + m("kty") + "," + m("x") + "}";
      break;
    default:
      canonical = "{" + m("crv") + "," + m("kty") + "," + m("x") + "," + m("y") + "}";
      break;
  }
  auto digest = Sha256(canonical);
  Cleanse(canonical);
  return Base64UrlEncode(digest);
}

Result<KeyPtr> Key::PublicOnly() const {
  if (type_ == KeyType::kOct) return Status::InvalidArgument("an oct key has no public half");
  if (!is_private_) return KeyPtr(new Key(*this));
  IDS_ASSIGN_OR_RETURN(json jwk, ToJwk(false));
  IDS_ASSIGN_OR_RETURN(KeyPtr pub, FromJwk(jwk));
  return pub;
}

bool Key::SameKeyAs(const Key& other) const {
  if (type_ != other.type_) return false;
  if (type_ == KeyType::kOct) return ConstantTimeEquals(material_->secret, other.material_->secret);
  return Rfc7638Thumbprint() == other.Rfc7638Thumbprint();
}

}  // namespace idscheme::crypto
