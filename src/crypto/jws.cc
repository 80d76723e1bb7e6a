#include "crypto/jws.h"

#include <openssl/ecdsa.h>
#include <openssl/rsa.h>

#include <array>

#include "common/base64url.h"
#include "crypto/hash.h"
#include "crypto/internal/jose_common.h"
#include "crypto/internal/key_internal.h"
#include "crypto/internal/ossl.h"
#include "crypto/json.h"

namespace idscheme::crypto {

using internal::AsBytes;
using internal::KeyAccess;
using internal::OpenSslError;
using json = nlohmann::json;
using Bytes = std::vector<uint8_t>;

namespace {

struct AlgInfo {
  SigAlg alg;
  std::string_view name;
  enum Family { kHmac, kRsaPkcs1, kRsaPss, kEcdsa, kEdDsa } family;
  int hash_bits;    // 0 for EdDSA
  KeyType ec_type;  // for ECDSA
};

constexpr std::array<AlgInfo, 13> kAlgs = {{
    {SigAlg::kHS256, "HS256", AlgInfo::kHmac, 256, KeyType::kOct},
    {SigAlg::kHS384, "HS384", AlgInfo::kHmac, 384, KeyType::kOct},
    {SigAlg::kHS512, "HS512", AlgInfo::kHmac, 512, KeyType::kOct},
    {SigAlg::kRS256, "RS256", AlgInfo::kRsaPkcs1, 256, KeyType::kRsa},
    {SigAlg::kRS384, "RS384", AlgInfo::kRsaPkcs1, 384, KeyType::kRsa},
    {SigAlg::kRS512, "RS512", AlgInfo::kRsaPkcs1, 512, KeyType::kRsa},
    {SigAlg::kPS256, "PS256", AlgInfo::kRsaPss, 256, KeyType::kRsa},
    {SigAlg::kPS384, "PS384", AlgInfo::kRsaPss, 384, KeyType::kRsa},
    {SigAlg::kPS512, "PS512", AlgInfo::kRsaPss, 512, KeyType::kRsa},
    {SigAlg::kES256, "ES256", AlgInfo::kEcdsa, 256, KeyType::kEcP256},
    {SigAlg::kES384, "ES384", AlgInfo::kEcdsa, 384, KeyType::kEcP384},
    {SigAlg::kES512, "ES512", AlgInfo::kEcdsa, 512, KeyType::kEcP521},
    {SigAlg::kEdDSA, "EdDSA", AlgInfo::kEdDsa, 0, KeyType::kEd25519},
}};

constexpr std::array<SigAlg, 13> kAllAlgs = {
    SigAlg::kHS256, SigAlg::kHS384, SigAlg::kHS512, SigAlg::kRS256, SigAlg::kRS384,
    SigAlg::kRS512, SigAlg::kPS256, SigAlg::kPS384, SigAlg::kPS512, SigAlg::kES256,
    SigAlg::kES384, SigAlg::kES512, SigAlg::kEdDSA};

const AlgInfo& Info(SigAlg alg) { return kAlgs[static_cast<size_t>(alg)]; }

const EVP_MD* Md(int bits) {
  switch (bits) {
    case 256:
      return EVP_sha256();
    case 384:
      return EVP_sha384();
    case 512:
      return EVP_sha512();
    default:
      return nullptr;
  }
}

Bytes Hmac(int bits, std::span<const uint8_t> key, std::span<const uint8_t> data) {
  switch (bits) {
    case 256: {
      auto d = HmacSha256(key, data);
      return Bytes(d.begin(), d.end());
    }
    case 384: {
      auto d = HmacSha384(key, data);
      return Bytes(d.begin(), d.end());
    }
    default: {
      auto d = HmacSha512(key, data);
      return Bytes(d.begin(), d.end());
    }
  }
}

// RFC 7518 §3.4: R and S as fixed-size big-endian integers, concatenated.
Result<Bytes> DerToRaw(std::span<const uint8_t> der, size_t n) {
  const unsigned char* p = der.data();
  internal::EcdsaSigPtr sig(d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(der.size())));
  if (!sig) return OpenSslError("ECDSA signature encoding");
  const BIGNUM* r = nullptr;
  const BIGNUM* s = nullptr;
  ECDSA_SIG_get0(sig.get(), &r, &s);
  Bytes out(2 * n);
  if (BN_bn2binpad(r, out.data(), static_cast<int>(n)) < 0 ||
      BN_bn2binpad(s, out.data() + n, static_cast<int>(n)) < 0) {
    return OpenSslError("ECDSA signature encoding");
  }
  return out;
}

Result<Bytes> RawToDer(std::span<const uint8_t> raw) {
  const size_t n = raw.size() / 2;
  internal::EcdsaSigPtr sig(ECDSA_SIG_new());
  BIGNUM* r = BN_bin2bn(raw.data(), static_cast<int>(n), nullptr);
  BIGNUM* s = BN_bin2bn(raw.data() + n, static_cast<int>(n), nullptr);
  if (!sig || r == nullptr || s == nullptr || ECDSA_SIG_set0(sig.get(), r, s) != 1) {
    BN_free(r);
    BN_free(s);
    return OpenSslError("ECDSA signature encoding");
  }
  int len = i2d_ECDSA_SIG(sig.get(), nullptr);
  if (len <= 0) return OpenSslError("ECDSA signature encoding");
  Bytes der(static_cast<size_t>(len));
  unsigned char* p = der.data();
  if (i2d_ECDSA_SIG(sig.get(), &p) != len) return OpenSslError("ECDSA signature encoding");
  return der;
}

// Sets up ctx for sign or verify with the algorithm's digest and padding.
Status InitDigestCtx(const AlgInfo& info, EVP_MD_CTX* ctx, EVP_PKEY* pkey, bool signing) {
  EVP_PKEY_CTX* pctx = nullptr;
  const EVP_MD* md = info.family == AlgInfo::kEdDsa ? nullptr : Md(info.hash_bits);
  int rc = signing ? EVP_DigestSignInit(ctx, &pctx, md, nullptr, pkey)
                   : EVP_DigestVerifyInit(ctx, &pctx, md, nullptr, pkey);
  if (rc != 1) return OpenSslError(std::string(info.name) + ": init");
  if (info.family == AlgInfo::kRsaPss) {
    // RFC 7518 §3.5: MGF1 with the same hash, salt as long as the hash output.
    if (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) != 1 ||
        EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, md) != 1 ||
        EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) != 1) {
      return OpenSslError(std::string(info.name) + ": PSS parameters");
    }
  } else if (info.family == AlgInfo::kRsaPkcs1) {
    if (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) != 1) {
      return OpenSslError(std::string(info.name) + ": padding");
    }
  }
  return Status::Ok();
}

// A context ready for one sign or verify: a copy of the key's cached template for this
// algorithm (EVP_MD_CTX_copy_ex leaves the template untouched, so threads may share it), or a
// freshly initialised one should copying be impossible.
Result<internal::EvpMdCtxPtr> OperationCtx(const AlgInfo& info, const Key& key, bool signing) {
  EVP_PKEY* pkey = KeyAccess::Pkey(key);
  const Key::Material& m = KeyAccess::Material(key);
  const size_t slot = static_cast<size_t>(info.alg) * 2 + (signing ? 1 : 0);
  static_assert(kAlgs.size() * 2 <= Key::Material::kCtxSlots);
  std::call_once(m.ctx_once[slot], [&] {
    internal::EvpMdCtxPtr t(EVP_MD_CTX_new());
    if (t && InitDigestCtx(info, t.get(), pkey, signing).ok()) m.ctx[slot] = std::move(t);
    internal::ClearOpenSslErrors();
  });
  internal::EvpMdCtxPtr ctx(EVP_MD_CTX_new());
  if (!ctx) return OpenSslError("JWS context");
  if (m.ctx[slot] && EVP_MD_CTX_copy_ex(ctx.get(), m.ctx[slot].get()) == 1) return ctx;
  internal::ClearOpenSslErrors();
  EVP_MD_CTX_reset(ctx.get());
  IDS_RETURN_IF_ERROR(InitDigestCtx(info, ctx.get(), pkey, signing));
  return ctx;
}

Result<std::string> SignWithHeaderText(std::string_view header_text, const json& header,
                                       std::string_view payload, const Key& key) {
  IDS_RETURN_IF_ERROR(internal::CheckHeaderMembers(header, "JWS"));
  const std::string& name = header["alg"].get_ref<const std::string&>();
  auto alg = ParseSigAlg(name);
  if (!alg) {
    return Status::InvalidArgument("JWS: cannot sign with alg \"" + name.substr(0, 32) + "\"");
  }
  std::string out = Base64UrlEncode(header_text);
  out += '.';
  out += Base64UrlEncode(payload);
  IDS_ASSIGN_OR_RETURN(Bytes sig, SignBytes(*alg, key, AsBytes(out)));
  out += '.';
  out += Base64UrlEncode(sig);
  return out;
}

}  // namespace

std::string_view SigAlgName(SigAlg alg) { return Info(alg).name; }

std::optional<SigAlg> ParseSigAlg(std::string_view name) {
  for (const auto& info : kAlgs) {
    if (info.name == name) return info.alg;
  }
  return std::nullopt;
}

std::span<const SigAlg> AllSigAlgs() { return kAllAlgs; }

Status CheckKeyForSigAlg(const Key& key, SigAlg alg, bool signing) {
  const AlgInfo& info = Info(alg);
  const std::string name(info.name);
  // RFC 8725 §3.1 / §2.1: the key decides the family; HMAC only with a real secret, never with
  // the bytes of a public key, and an asymmetric alg never with a secret.
  if (key.type() != info.ec_type) {
    return Status::InvalidArgument("JWS: alg " + name + " does not fit a " +
                                   std::string(KeyTypeName(key.type())) + " key (RFC 8725 §3.1)");
  }
  if (info.family == AlgInfo::kHmac && key.bits() < info.hash_bits) {
    // RFC 7518 §3.2: the HMAC key must be at least as long as the hash output.
    return Status::InvalidArgument("JWS: " + name + " key shorter than " +
                                   std::to_string(info.hash_bits) + " bits (RFC 7518 §3.2)");
  }
  if (key.type() == KeyType::kRsa && key.bits() < Key::kMinRsaBits) {
    return Status::InvalidArgument("JWS: RSA key under 2048 bits (RFC 7518 §3.3)");
  }
  if (signing && !key.IsPrivate()) {
    return Status::InvalidArgument("JWS: signing needs a private key");
  }
  const KeyMetadata& m = key.metadata();
  if (!m.alg.empty() && m.alg != info.name) {
    return Status::InvalidArgument("JWS: key is for alg " + m.alg.substr(0, 32) + ", not " + name);
  }
  if (!m.use.empty() && m.use != "sig") {
    return Status::InvalidArgument("JWS: key's \"use\" is not \"sig\" (RFC 7517 §4.2)");
  }
  if (!m.key_ops.empty()) {
    const char* op = signing ? "sign" : "verify";
    if (std::find(m.key_ops.begin(), m.key_ops.end(), op) == m.key_ops.end()) {
      return Status::InvalidArgument(std::string("JWS: key's \"key_ops\" lacks \"") + op + "\"");
    }
  }
  return Status::Ok();
}

std::string_view ParsedJws::header_b64() const {
  return std::string_view(signing_input).substr(0, signing_input.find('.'));
}
std::string_view ParsedJws::payload_b64() const {
  return std::string_view(signing_input).substr(signing_input.find('.') + 1);
}

Result<ParsedJws> ParseJws(std::string_view compact, size_t max_size) {
  if (compact.size() > max_size) return Status::InvalidArgument("JWS: too large");
  IDS_ASSIGN_OR_RETURN(auto parts, internal::SplitCompact(compact, 3, "JWS"));
  ParsedJws jws;
  IDS_ASSIGN_OR_RETURN(jws.header, internal::ParseProtectedHeader(parts[0], "JWS"));
  const std::string& name = jws.header["alg"].get_ref<const std::string&>();
  if (name == "none") {
    // RFC 8725 §3.2: unsecured JWSs are never accepted here.
    return Status::InvalidArgument("JWS: alg \"none\" is refused");
  }
  auto alg = ParseSigAlg(name);
  if (!alg) return Status::InvalidArgument("JWS: unsupported alg \"" + name.substr(0, 32) + "\"");
  jws.alg = *alg;
  if (jws.header.contains("enc")) {
    // RFC 7516 §9: a header with "enc" is a JWE, never a JWS.
    return Status::InvalidArgument("JWS: header has \"enc\"; this is a JWE");
  }
  jws.kid = internal::StringMember(jws.header, "kid");
  jws.typ = internal::StringMember(jws.header, "typ");
  jws.cty = internal::StringMember(jws.header, "cty");
  auto payload = Base64UrlDecodeToString(parts[1]);
  if (!payload.ok()) return Status::InvalidArgument("JWS: payload is not strict base64url");
  jws.payload = std::move(payload).value();
  auto sig = Base64UrlDecode(parts[2]);
  if (!sig.ok()) return Status::InvalidArgument("JWS: signature is not strict base64url");
  if (sig->empty()) return Status::InvalidArgument("JWS: empty signature");
  jws.signature = std::move(sig).value();
  jws.signing_input = std::string(compact.substr(0, parts[0].size() + 1 + parts[1].size()));
  return jws;
}

Status VerifyJws(const ParsedJws& jws, const Key& key, std::span<const SigAlg> allowed) {
  // RFC 8725 §3.1: the algorithm is the verifier's choice; the header only names which one.
  if (std::find(allowed.begin(), allowed.end(), jws.alg) == allowed.end()) {
    return Status::InvalidArgument("JWS: alg " + std::string(SigAlgName(jws.alg)) +
                                   " is not allowed here");
  }
  return VerifyBytes(jws.alg, key, AsBytes(jws.signing_input), jws.signature);
}

Status VerifyJws(const ParsedJws& jws, const Key& key, std::initializer_list<SigAlg> allowed) {
  return VerifyJws(jws, key, std::span<const SigAlg>(allowed.begin(), allowed.size()));
}

Result<std::string> SignJws(const json& header, std::string_view payload, const Key& key) {
  IDS_ASSIGN_OR_RETURN(std::string text, DumpJson(header));
  return SignWithHeaderText(text, header, payload, key);
}

Result<std::string> SignJwsWithHeaderText(std::string_view header_json, std::string_view payload,
                                          const Key& key) {
  IDS_ASSIGN_OR_RETURN(json header, ParseJsonObjectStrict(header_json));
  return SignWithHeaderText(header_json, header, payload, key);
}

Result<Bytes> SignBytes(SigAlg alg, const Key& key, std::span<const uint8_t> data) {
  IDS_RETURN_IF_ERROR(CheckKeyForSigAlg(key, alg, /*signing=*/true));
  const AlgInfo& info = Info(alg);
  if (info.family == AlgInfo::kHmac) return Hmac(info.hash_bits, KeyAccess::Secret(key), data);

  IDS_ASSIGN_OR_RETURN(internal::EvpMdCtxPtr ctx, OperationCtx(info, key, /*signing=*/true));
  size_t len = 0;
  if (EVP_DigestSign(ctx.get(), nullptr, &len, data.data(), data.size()) != 1) {
    return OpenSslError(std::string(info.name) + ": sign");
  }
  Bytes sig(len);
  if (EVP_DigestSign(ctx.get(), sig.data(), &len, data.data(), data.size()) != 1) {
    return OpenSslError(std::string(info.name) + ": sign");
  }
  sig.resize(len);
  if (info.family == AlgInfo::kEcdsa) return DerToRaw(sig, internal::CoordinateSize(key.type()));
  return sig;
}

Status VerifyBytes(SigAlg alg, const Key& key, std::span<const uint8_t> data,
                   std::span<const uint8_t> signature) {
  IDS_RETURN_IF_ERROR(CheckKeyForSigAlg(key, alg, /*signing=*/false));
  const AlgInfo& info = Info(alg);
  const std::string name(info.name);
  if (info.family == AlgInfo::kHmac) {
    Bytes expected = Hmac(info.hash_bits, KeyAccess::Secret(key), data);
    if (!ConstantTimeEquals(expected, signature)) {
      return Status::Unauthenticated("JWS: " + name + " signature does not verify");
    }
    return Status::Ok();
  }

  EVP_PKEY* pkey = KeyAccess::Pkey(key);
  Bytes der;
  std::span<const uint8_t> sig = signature;
  if (info.family == AlgInfo::kEcdsa) {
    // RFC 7518 §3.4: exactly 2 * field size octets (64, 96, 132).
    if (signature.size() != 2 * internal::CoordinateSize(key.type())) {
      return Status::Unauthenticated("JWS: " + name + " signature has the wrong length");
    }
    IDS_ASSIGN_OR_RETURN(der, RawToDer(signature));
    sig = der;
  } else if (info.family == AlgInfo::kEdDsa) {
    if (signature.size() != 64) {
      return Status::Unauthenticated("JWS: EdDSA signature has the wrong length");
    }
  } else if (signature.size() != static_cast<size_t>(EVP_PKEY_get_size(pkey))) {
    // RFC 8017 §8.2.2 / §8.1.2 step 1: the signature is exactly as long as the modulus.
    return Status::Unauthenticated("JWS: " + name + " signature has the wrong length");
  }
  IDS_ASSIGN_OR_RETURN(internal::EvpMdCtxPtr ctx, OperationCtx(info, key, /*signing=*/false));
  int rc = EVP_DigestVerify(ctx.get(), sig.data(), sig.size(), data.data(), data.size());
  if (rc != 1) {
    // OpenSSL's reason ("bad signature", a DER detail) says nothing more to the sender, and the
    // message may reach an error_description.
    internal::ClearOpenSslErrors();
    return Status::Unauthenticated("JWS: " + name + " signature does not verify");
  }
  return Status::Ok();
}

}  // namespace idscheme::crypto
