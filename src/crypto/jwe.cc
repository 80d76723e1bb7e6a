#include "crypto/jwe.h"

#include <openssl/rsa.h>

#include <algorithm>
#include <array>
#include <cstring>

#include "common/base64url.h"
#include "crypto/hash.h"
#include "crypto/internal/cipher.h"
#include "crypto/internal/jose_common.h"
#include "crypto/internal/key_internal.h"
#include "crypto/internal/ossl.h"
#include "crypto/json.h"
#include "crypto/random.h"

namespace idscheme::crypto {

using internal::AsBytes;
using internal::Cleanse;
using internal::KeyAccess;
using internal::OpenSslError;
using json = nlohmann::json;
using Bytes = std::vector<uint8_t>;

namespace {

constexpr std::array<std::pair<KeyMgmtAlg, std::string_view>, 10> kAlgNames = {{
    {KeyMgmtAlg::kRsaOaep, "RSA-OAEP"},
    {KeyMgmtAlg::kRsaOaep256, "RSA-OAEP-256"},
    {KeyMgmtAlg::kEcdhEs, "ECDH-ES"},
    {KeyMgmtAlg::kEcdhEsA128Kw, "ECDH-ES+A128KW"},
    {KeyMgmtAlg::kEcdhEsA192Kw, "ECDH-ES+A192KW"},
    {KeyMgmtAlg::kEcdhEsA256Kw, "ECDH-ES+A256KW"},
    {KeyMgmtAlg::kA128Kw, "A128KW"},
    {KeyMgmtAlg::kA192Kw, "A192KW"},
    {KeyMgmtAlg::kA256Kw, "A256KW"},
    {KeyMgmtAlg::kDir, "dir"},
}};
constexpr std::array<KeyMgmtAlg, 10> kAllAlgs = {
    KeyMgmtAlg::kRsaOaep,      KeyMgmtAlg::kRsaOaep256,   KeyMgmtAlg::kEcdhEs,
    KeyMgmtAlg::kEcdhEsA128Kw, KeyMgmtAlg::kEcdhEsA192Kw, KeyMgmtAlg::kEcdhEsA256Kw,
    KeyMgmtAlg::kA128Kw,       KeyMgmtAlg::kA192Kw,       KeyMgmtAlg::kA256Kw,
    KeyMgmtAlg::kDir};

constexpr std::array<std::pair<ContentEnc, std::string_view>, 6> kEncNames = {{
    {ContentEnc::kA128CbcHs256, "A128CBC-HS256"},
    {ContentEnc::kA192CbcHs384, "A192CBC-HS384"},
    {ContentEnc::kA256CbcHs512, "A256CBC-HS512"},
    {ContentEnc::kA128Gcm, "A128GCM"},
    {ContentEnc::kA192Gcm, "A192GCM"},
    {ContentEnc::kA256Gcm, "A256GCM"},
}};
constexpr std::array<ContentEnc, 6> kAllEncs = {
    ContentEnc::kA128CbcHs256, ContentEnc::kA192CbcHs384, ContentEnc::kA256CbcHs512,
    ContentEnc::kA128Gcm,      ContentEnc::kA192Gcm,      ContentEnc::kA256Gcm};

constexpr std::string_view kDecryptionFailed = "JWE: decryption failed";
constexpr size_t kMaxPartyInfo = 1024;

bool IsGcm(ContentEnc enc) {
  return enc == ContentEnc::kA128Gcm || enc == ContentEnc::kA192Gcm || enc == ContentEnc::kA256Gcm;
}
size_t IvSize(ContentEnc enc) { return IsGcm(enc) ? 12 : 16; }
size_t TagSize(ContentEnc enc) { return IsGcm(enc) ? 16 : ContentKeySize(enc) / 2; }

bool IsEcdh(KeyMgmtAlg alg) {
  return alg == KeyMgmtAlg::kEcdhEs || alg == KeyMgmtAlg::kEcdhEsA128Kw ||
         alg == KeyMgmtAlg::kEcdhEsA192Kw || alg == KeyMgmtAlg::kEcdhEsA256Kw;
}
bool IsRsa(KeyMgmtAlg alg) { return alg == KeyMgmtAlg::kRsaOaep || alg == KeyMgmtAlg::kRsaOaep256; }
// Key-wrap key size in bytes for the AES-KW family (plain or after ECDH-ES), else 0.
size_t WrapKeySize(KeyMgmtAlg alg) {
  switch (alg) {
    case KeyMgmtAlg::kA128Kw:
    case KeyMgmtAlg::kEcdhEsA128Kw:
      return 16;
    case KeyMgmtAlg::kA192Kw:
    case KeyMgmtAlg::kEcdhEsA192Kw:
      return 24;
    case KeyMgmtAlg::kA256Kw:
    case KeyMgmtAlg::kEcdhEsA256Kw:
      return 32;
    default:
      return 0;
  }
}

// (vector::insert of a span trips a GCC 12 -Wstringop-overread false positive at -O2.)
void Append(Bytes& out, std::span<const uint8_t> data) {
  if (data.empty()) return;
  const size_t at = out.size();
  out.resize(at + data.size());
  std::memcpy(out.data() + at, data.data(), data.size());
}

// ---- Content encryption (RFC 7518 §5) ---------------------------------------------------------

Bytes CbcHsMac(ContentEnc enc, std::span<const uint8_t> mac_key, std::string_view aad,
               std::span<const uint8_t> iv, std::span<const uint8_t> ct) {
  // RFC 7518 §5.2.2.1 step 4-5: M = MAC(MAC_KEY, A || IV || E || AL), T = first half of M.
  Bytes input;
  input.reserve(aad.size() + iv.size() + ct.size() + 8);
  Append(input, AsBytes(aad));
  Append(input, iv);
  Append(input, ct);
  uint64_t al = static_cast<uint64_t>(aad.size()) * 8;
  for (int i = 7; i >= 0; --i) input.push_back(static_cast<uint8_t>(al >> (8 * i)));
  Bytes m;
  switch (enc) {
    case ContentEnc::kA128CbcHs256: {
      auto d = HmacSha256(mac_key, input);
      m.assign(d.begin(), d.end());
      break;
    }
    case ContentEnc::kA192CbcHs384: {
      auto d = HmacSha384(mac_key, input);
      m.assign(d.begin(), d.end());
      break;
    }
    default: {
      auto d = HmacSha512(mac_key, input);
      m.assign(d.begin(), d.end());
      break;
    }
  }
  m.resize(TagSize(enc));
  return m;
}

Result<Bytes> EncryptContent(ContentEnc enc, std::span<const uint8_t> cek,
                             std::span<const uint8_t> iv, std::string_view aad,
                             std::string_view plaintext, Bytes* tag) {
  if (IsGcm(enc)) return internal::AesGcmEncrypt(cek, iv, AsBytes(aad), AsBytes(plaintext), tag);
  const size_t half = cek.size() / 2;
  IDS_ASSIGN_OR_RETURN(Bytes ct,
                       internal::AesCbcEncrypt(cek.subspan(half), iv, AsBytes(plaintext)));
  *tag = CbcHsMac(enc, cek.first(half), aad, iv, ct);
  return ct;
}

Result<Bytes> DecryptContent(ContentEnc enc, std::span<const uint8_t> cek,
                             std::span<const uint8_t> iv, std::string_view aad,
                             std::span<const uint8_t> ct, std::span<const uint8_t> tag) {
  if (IsGcm(enc)) {
    auto pt = internal::AesGcmDecrypt(cek, iv, AsBytes(aad), ct, tag);
    if (!pt.ok()) return Status::Unauthenticated(std::string(kDecryptionFailed));
    return pt;
  }
  const size_t half = cek.size() / 2;
  Bytes expected = CbcHsMac(enc, cek.first(half), aad, iv, ct);
  // RFC 7518 §5.2.2.2: check the tag (in constant time) before touching the ciphertext.
  if (!ConstantTimeEquals(expected, tag)) {
    return Status::Unauthenticated(std::string(kDecryptionFailed));
  }
  auto pt = internal::AesCbcDecrypt(cek.subspan(half), iv, ct);
  if (!pt.ok()) return Status::Unauthenticated(std::string(kDecryptionFailed));
  return pt;
}

// ---- Key agreement (RFC 7518 §4.6) ------------------------------------------------------------

Result<Bytes> EcdhDerive(const Key& priv, const Key& peer) {
  internal::EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, KeyAccess::Pkey(priv), nullptr));
  size_t len = 0;
  // EVP_PKEY_derive_set_peer validates the peer's public key (on the curve, right order).
  if (!ctx || EVP_PKEY_derive_init(ctx.get()) != 1 ||
      EVP_PKEY_derive_set_peer(ctx.get(), KeyAccess::Pkey(peer)) != 1 ||
      EVP_PKEY_derive(ctx.get(), nullptr, &len) != 1) {
    return OpenSslError("ECDH-ES: key agreement", Status::Code::kInvalidArgument);
  }
  Bytes z(len);
  if (EVP_PKEY_derive(ctx.get(), z.data(), &len) != 1) {
    return OpenSslError("ECDH-ES: key agreement", Status::Code::kInvalidArgument);
  }
  z.resize(len);
  return z;
}

void PutLengthPrefixed(Bytes& out, std::span<const uint8_t> data) {
  uint32_t n = static_cast<uint32_t>(data.size());
  for (int i = 3; i >= 0; --i) out.push_back(static_cast<uint8_t>(n >> (8 * i)));
  Append(out, data);
}

// NIST SP 800-56A §5.8.1 single-step KDF with SHA-256, as RFC 7518 §4.6.2 profiles it.
Bytes ConcatKdf(std::span<const uint8_t> z, size_t key_bytes, std::string_view algorithm_id,
                std::span<const uint8_t> apu, std::span<const uint8_t> apv) {
  Bytes other;
  PutLengthPrefixed(other, AsBytes(algorithm_id));
  PutLengthPrefixed(other, apu);
  PutLengthPrefixed(other, apv);
  uint32_t bits = static_cast<uint32_t>(key_bytes * 8);
  for (int i = 3; i >= 0; --i) other.push_back(static_cast<uint8_t>(bits >> (8 * i)));
  // Each round hashes counter || Z || OtherInfo; only the counter changes between rounds.
  Bytes input(4 + z.size() + other.size());
  std::memcpy(input.data() + 4, z.data(), z.size());
  std::memcpy(input.data() + 4 + z.size(), other.data(), other.size());
  Bytes out;
  out.reserve(key_bytes + 32);
  for (uint32_t counter = 1; out.size() < key_bytes; ++counter) {
    for (int i = 0; i < 4; ++i) input[i] = static_cast<uint8_t>(counter >> (8 * (3 - i)));
    Append(out, Sha256(input));
  }
  Cleanse(input);
  out.resize(key_bytes);
  return out;
}

// apu / apv: optional base64url strings (RFC 7518 §4.6.1.2-3).
Result<Bytes> PartyInfo(const json& header, const char* name) {
  auto it = header.find(name);
  if (it == header.end()) return Bytes{};
  if (!it->is_string()) {
    return Status::InvalidArgument(std::string("JWE: \"") + name + "\" is not a string");
  }
  auto v = Base64UrlDecode(it->get_ref<const std::string&>());
  if (!v.ok() || v->size() > kMaxPartyInfo) {
    return Status::InvalidArgument(std::string("JWE: \"") + name + "\" is not valid base64url");
  }
  return std::move(v).value();
}

// The key-agreement output: the CEK itself (ECDH-ES) or the key-wrap key (ECDH-ES+AxxxKW).
Result<Bytes> AgreedKey(KeyMgmtAlg alg, ContentEnc enc, const Key& priv, const Key& peer,
                        const json& header) {
  IDS_ASSIGN_OR_RETURN(Bytes apu, PartyInfo(header, "apu"));
  IDS_ASSIGN_OR_RETURN(Bytes apv, PartyInfo(header, "apv"));
  IDS_ASSIGN_OR_RETURN(Bytes z, EcdhDerive(priv, peer));
  // RFC 7518 §4.6.2: AlgorithmID is "enc" for direct agreement, else "alg".
  Bytes key = alg == KeyMgmtAlg::kEcdhEs
                  ? ConcatKdf(z, ContentKeySize(enc), ContentEncName(enc), apu, apv)
                  : ConcatKdf(z, WrapKeySize(alg), KeyMgmtAlgName(alg), apu, apv);
  Cleanse(z);
  return key;
}

// ---- RSA-OAEP (RFC 7518 §4.3) -----------------------------------------------------------------

Status SetOaep(EVP_PKEY_CTX* ctx, KeyMgmtAlg alg) {
  const EVP_MD* md = alg == KeyMgmtAlg::kRsaOaep ? EVP_sha1() : EVP_sha256();
  if (EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_OAEP_PADDING) != 1 ||
      EVP_PKEY_CTX_set_rsa_oaep_md(ctx, md) != 1 || EVP_PKEY_CTX_set_rsa_mgf1_md(ctx, md) != 1) {
    return OpenSslError("RSA-OAEP parameters");
  }
  return Status::Ok();
}

Result<Bytes> RsaOaepEncrypt(KeyMgmtAlg alg, const Key& key, std::span<const uint8_t> cek) {
  internal::EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, KeyAccess::Pkey(key), nullptr));
  if (!ctx || EVP_PKEY_encrypt_init(ctx.get()) != 1) return OpenSslError("RSA-OAEP encrypt");
  IDS_RETURN_IF_ERROR(SetOaep(ctx.get(), alg));
  size_t len = 0;
  if (EVP_PKEY_encrypt(ctx.get(), nullptr, &len, cek.data(), cek.size()) != 1) {
    return OpenSslError("RSA-OAEP encrypt");
  }
  Bytes out(len);
  if (EVP_PKEY_encrypt(ctx.get(), out.data(), &len, cek.data(), cek.size()) != 1) {
    return OpenSslError("RSA-OAEP encrypt");
  }
  out.resize(len);
  return out;
}

// Empty on any failure: the caller substitutes a random CEK (RFC 7516 §11.5).
Bytes RsaOaepDecrypt(KeyMgmtAlg alg, const Key& key, std::span<const uint8_t> wrapped) {
  EVP_PKEY* pkey = KeyAccess::Pkey(key);
  if (wrapped.size() != static_cast<size_t>(EVP_PKEY_get_size(pkey))) return {};
  internal::EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, pkey, nullptr));
  size_t len = 0;
  if (!ctx || EVP_PKEY_decrypt_init(ctx.get()) != 1 || !SetOaep(ctx.get(), alg).ok() ||
      EVP_PKEY_decrypt(ctx.get(), nullptr, &len, wrapped.data(), wrapped.size()) != 1) {
    internal::ClearOpenSslErrors();
    return {};
  }
  Bytes out(len);
  if (EVP_PKEY_decrypt(ctx.get(), out.data(), &len, wrapped.data(), wrapped.size()) != 1) {
    internal::ClearOpenSslErrors();
    Cleanse(out);
    return {};
  }
  out.resize(len);
  return out;
}

Bytes RandomBytes(size_t n) {
  Bytes b(n);
  SystemRandom().Fill(b);
  return b;
}

Result<std::string> Name(const json& header, const char* member) {
  auto it = header.find(member);
  if (it == header.end()) {
    return Status::InvalidArgument(std::string("JWE: header has no \"") + member + "\"");
  }
  if (!it->is_string()) {
    return Status::InvalidArgument(std::string("JWE: \"") + member + "\" is not a string");
  }
  return it->get<std::string>();
}

// The alg and enc of a header, refusing RSA1_5, zip and the unknown.
Status ReadAlgorithms(const json& header, KeyMgmtAlg* alg, ContentEnc* enc) {
  IDS_RETURN_IF_ERROR(internal::CheckHeaderMembers(header, "JWE"));
  IDS_ASSIGN_OR_RETURN(std::string alg_name, Name(header, "alg"));
  IDS_ASSIGN_OR_RETURN(std::string enc_name, Name(header, "enc"));  // RFC 7516 §4.1.2: required
  if (alg_name == "RSA1_5") {
    return Status::InvalidArgument(
        "JWE: alg RSA1_5 is refused (PKCS#1 v1.5 padding oracles, RFC 8725 §3.2)");
  }
  auto a = ParseKeyMgmtAlg(alg_name);
  if (!a) return Status::InvalidArgument("JWE: unsupported alg \"" + alg_name.substr(0, 32) + "\"");
  auto e = ParseContentEnc(enc_name);
  if (!e) return Status::InvalidArgument("JWE: unsupported enc \"" + enc_name.substr(0, 32) + "\"");
  if (header.contains("zip")) {
    return Status::InvalidArgument("JWE: compressed plaintext (\"zip\") is refused");
  }
  *alg = *a;
  *enc = *e;
  return Status::Ok();
}

}  // namespace

std::string_view KeyMgmtAlgName(KeyMgmtAlg alg) {
  for (const auto& [a, name] : kAlgNames) {
    if (a == alg) return name;
  }
  return "";
}
std::optional<KeyMgmtAlg> ParseKeyMgmtAlg(std::string_view name) {
  for (const auto& [a, n] : kAlgNames) {
    if (n == name) return a;
  }
  return std::nullopt;
}
std::span<const KeyMgmtAlg> AllKeyMgmtAlgs() { return kAllAlgs; }

std::string_view ContentEncName(ContentEnc enc) {
  for (const auto& [e, name] : kEncNames) {
    if (e == enc) return name;
  }
  return "";
}
std::optional<ContentEnc> ParseContentEnc(std::string_view name) {
  for (const auto& [e, n] : kEncNames) {
    if (n == name) return e;
  }
  return std::nullopt;
}
std::span<const ContentEnc> AllContentEncs() { return kAllEncs; }

size_t ContentKeySize(ContentEnc enc) {
  switch (enc) {
    case ContentEnc::kA128CbcHs256:
      return 32;
    case ContentEnc::kA192CbcHs384:
      return 48;
    case ContentEnc::kA256CbcHs512:
      return 64;
    case ContentEnc::kA128Gcm:
      return 16;
    case ContentEnc::kA192Gcm:
      return 24;
    case ContentEnc::kA256Gcm:
      return 32;
  }
  return 0;
}

Status CheckKeyForJwe(const Key& key, KeyMgmtAlg alg, ContentEnc enc, bool decrypting) {
  const std::string name(KeyMgmtAlgName(alg));
  const std::string type(KeyTypeName(key.type()));
  if (IsRsa(alg)) {
    if (key.type() != KeyType::kRsa) {
      return Status::InvalidArgument("JWE: alg " + name + " does not fit a " + type + " key");
    }
    if (key.bits() < Key::kMinRsaBits) {
      return Status::InvalidArgument("JWE: RSA key under 2048 bits (RFC 7518 §4.3)");
    }
  } else if (IsEcdh(alg)) {
    if (!internal::IsEc(key.type()) && key.type() != KeyType::kX25519) {
      return Status::InvalidArgument("JWE: alg " + name + " does not fit a " + type + " key");
    }
  } else if (alg == KeyMgmtAlg::kDir) {
    if (key.type() != KeyType::kOct || static_cast<size_t>(key.bits()) != 8 * ContentKeySize(enc)) {
      return Status::InvalidArgument("JWE: dir needs an oct key of exactly " +
                                     std::to_string(ContentKeySize(enc)) + " bytes for " +
                                     std::string(ContentEncName(enc)));
    }
  } else if (key.type() != KeyType::kOct ||
             static_cast<size_t>(key.bits()) != 8 * WrapKeySize(alg)) {
    return Status::InvalidArgument("JWE: alg " + name + " needs an oct key of " +
                                   std::to_string(WrapKeySize(alg)) + " bytes");
  }
  if (decrypting && !key.IsPrivate()) {
    return Status::InvalidArgument("JWE: decryption needs a private key");
  }
  const KeyMetadata& m = key.metadata();
  // With dir the key is the CEK, so its JWK "alg" may name the enc (RFC 7520 §5.6 does).
  if (!m.alg.empty() && m.alg != name &&
      !(alg == KeyMgmtAlg::kDir && m.alg == ContentEncName(enc))) {
    return Status::InvalidArgument("JWE: key is for alg " + m.alg.substr(0, 32) + ", not " + name);
  }
  if (!m.use.empty() && m.use != "enc") {
    return Status::InvalidArgument("JWE: key's \"use\" is not \"enc\" (RFC 7517 §4.2)");
  }
  if (!m.key_ops.empty()) {
    std::vector<std::string_view> ops;
    if (alg == KeyMgmtAlg::kDir) {
      ops = {decrypting ? "decrypt" : "encrypt"};
    } else if (IsEcdh(alg)) {
      ops = {"deriveKey", "deriveBits"};
    } else {
      ops = {decrypting ? "unwrapKey" : "wrapKey", decrypting ? "decrypt" : "encrypt"};
    }
    bool found = std::any_of(m.key_ops.begin(), m.key_ops.end(), [&](const std::string& op) {
      return std::find(ops.begin(), ops.end(), op) != ops.end();
    });
    if (!found) return Status::InvalidArgument("JWE: key's \"key_ops\" do not allow " + name);
  }
  return Status::Ok();
}

Result<std::string> EncryptJwe(const json& header_in, std::string_view plaintext,
                               const Key& recipient, Random& random,
                               const EncryptOptions& options) {
  json header;
  if (!options.header_text.empty()) {
    IDS_ASSIGN_OR_RETURN(header, ParseJsonObjectStrict(options.header_text));
  } else {
    header = header_in;
  }
  KeyMgmtAlg alg;
  ContentEnc enc;
  IDS_RETURN_IF_ERROR(ReadAlgorithms(header, &alg, &enc));
  IDS_RETURN_IF_ERROR(CheckKeyForJwe(recipient, alg, enc, /*decrypting=*/false));
  const size_t cek_size = ContentKeySize(enc);

  Bytes cek, encrypted_key;
  if (IsEcdh(alg)) {
    if (alg == KeyMgmtAlg::kEcdhEs && !options.cek.empty()) {
      return Status::InvalidArgument("JWE: ECDH-ES derives the CEK");
    }
    KeyPtr eph = options.ephemeral_key;
    if (!eph) {
      IDS_ASSIGN_OR_RETURN(eph, internal::GenerateEphemeralFor(recipient));
    }
    if (eph->type() != recipient.type() || !eph->IsPrivate()) {
      return Status::InvalidArgument(
          "JWE: ephemeral key must be private, on the recipient's curve");
    }
    IDS_ASSIGN_OR_RETURN(json epk, eph->ToJwk(false));
    if (options.header_text.empty()) {
      header["epk"] = epk;
    } else {
      // The given header must already carry this very key.
      auto given = header.find("epk");
      if (given == header.end()) return Status::InvalidArgument("JWE: header text lacks \"epk\"");
      IDS_ASSIGN_OR_RETURN(KeyPtr given_key, Key::FromPublicJwk(*given));
      if (!given_key->SameKeyAs(*eph)) {
        return Status::InvalidArgument("JWE: header's \"epk\" is not the ephemeral key");
      }
    }
    IDS_ASSIGN_OR_RETURN(Bytes agreed, AgreedKey(alg, enc, *eph, recipient, header));
    if (alg == KeyMgmtAlg::kEcdhEs) {
      cek = std::move(agreed);
    } else {
      if (!options.cek.empty()) {
        if (options.cek.size() != cek_size) return Status::InvalidArgument("JWE: CEK size wrong");
        cek = options.cek;
      } else {
        cek.assign(cek_size, 0);
        random.Fill(cek);
      }
      auto wrapped = internal::AesKeyWrap(agreed, cek);
      Cleanse(agreed);
      if (!wrapped.ok()) {
        Cleanse(cek);
        return wrapped.status();
      }
      encrypted_key = std::move(wrapped).value();
    }
  } else if (alg == KeyMgmtAlg::kDir) {
    if (!options.cek.empty()) return Status::InvalidArgument("JWE: with dir the key is the CEK");
    auto secret = KeyAccess::Secret(recipient);
    cek.assign(secret.begin(), secret.end());
  } else {
    if (!options.cek.empty()) {
      if (options.cek.size() != cek_size) return Status::InvalidArgument("JWE: CEK size wrong");
      cek = options.cek;
    } else {
      cek.resize(cek_size);
      random.Fill(cek);
    }
    auto wrapped = IsRsa(alg) ? RsaOaepEncrypt(alg, recipient, cek)
                              : internal::AesKeyWrap(KeyAccess::Secret(recipient), cek);
    if (!wrapped.ok()) {
      Cleanse(cek);
      return wrapped.status();
    }
    encrypted_key = std::move(wrapped).value();
  }

  Bytes iv = options.iv;
  if (iv.empty()) {
    iv.resize(IvSize(enc));
    random.Fill(iv);
  } else if (iv.size() != IvSize(enc)) {
    Cleanse(cek);
    return Status::InvalidArgument("JWE: IV size wrong for " + std::string(ContentEncName(enc)));
  }

  std::string header_text = options.header_text;
  if (header_text.empty()) {
    auto dumped = DumpJson(header);
    if (!dumped.ok()) {
      Cleanse(cek);
      return dumped.status();
    }
    header_text = std::move(dumped).value();
  }
  // RFC 7516 §5.1 step 14: the AAD is ASCII(BASE64URL(UTF8(JWE Protected Header))).
  std::string out = Base64UrlEncode(header_text);
  Bytes tag;
  auto ct = EncryptContent(enc, cek, iv, out, plaintext, &tag);
  Cleanse(cek);
  if (!ct.ok()) return ct.status();
  out += '.';
  out += Base64UrlEncode(encrypted_key);
  out += '.';
  out += Base64UrlEncode(iv);
  out += '.';
  out += Base64UrlEncode(*ct);
  out += '.';
  out += Base64UrlEncode(tag);
  return out;
}

Result<ParsedJwe> ParseJwe(std::string_view compact, size_t max_size) {
  if (compact.size() > max_size) return Status::InvalidArgument("JWE: too large");
  IDS_ASSIGN_OR_RETURN(auto parts, internal::SplitCompact(compact, 5, "JWE"));
  ParsedJwe jwe;
  IDS_ASSIGN_OR_RETURN(jwe.header, internal::ParseProtectedHeader(parts[0], "JWE"));
  IDS_RETURN_IF_ERROR(ReadAlgorithms(jwe.header, &jwe.alg, &jwe.enc));
  jwe.kid = internal::StringMember(jwe.header, "kid");
  jwe.typ = internal::StringMember(jwe.header, "typ");
  jwe.cty = internal::StringMember(jwe.header, "cty");
  jwe.header_b64 = std::string(parts[0]);
  const char* names[4] = {"encrypted key", "initialization vector", "ciphertext", "tag"};
  Bytes* fields[4] = {&jwe.encrypted_key, &jwe.iv, &jwe.ciphertext, &jwe.tag};
  for (int i = 0; i < 4; ++i) {
    auto decoded = Base64UrlDecode(parts[i + 1]);
    if (!decoded.ok()) {
      return Status::InvalidArgument(std::string("JWE: ") + names[i] + " is not strict base64url");
    }
    *fields[i] = std::move(decoded).value();
  }
  // RFC 7516 §5.2 steps 9-10 and RFC 7518 §5: sizes that follow from the algorithms.
  if (jwe.iv.size() != IvSize(jwe.enc)) {
    return Status::InvalidArgument("JWE: initialization vector has the wrong size");
  }
  if (jwe.tag.size() != TagSize(jwe.enc)) {
    return Status::InvalidArgument("JWE: authentication tag has the wrong size");
  }
  bool direct = jwe.alg == KeyMgmtAlg::kDir || jwe.alg == KeyMgmtAlg::kEcdhEs;
  if (direct && !jwe.encrypted_key.empty()) {
    return Status::InvalidArgument("JWE: encrypted key must be empty with dir / ECDH-ES");
  }
  if (!direct && jwe.encrypted_key.empty()) {
    return Status::InvalidArgument("JWE: encrypted key missing");
  }
  if (IsEcdh(jwe.alg) && !jwe.header.contains("epk")) {
    return Status::InvalidArgument("JWE: ECDH-ES without \"epk\" (RFC 7518 §4.6.1.1)");
  }
  return jwe;
}

Result<std::string> DecryptJwe(const ParsedJwe& jwe, const Key& key, const JweAlgorithms& allowed) {
  if (std::find(allowed.algs.begin(), allowed.algs.end(), jwe.alg) == allowed.algs.end()) {
    return Status::InvalidArgument("JWE: alg " + std::string(KeyMgmtAlgName(jwe.alg)) +
                                   " is not allowed here");
  }
  if (std::find(allowed.encs.begin(), allowed.encs.end(), jwe.enc) == allowed.encs.end()) {
    return Status::InvalidArgument("JWE: enc " + std::string(ContentEncName(jwe.enc)) +
                                   " is not allowed here");
  }
  IDS_RETURN_IF_ERROR(CheckKeyForJwe(key, jwe.alg, jwe.enc, /*decrypting=*/true));
  const size_t cek_size = ContentKeySize(jwe.enc);

  Bytes cek;
  if (jwe.alg == KeyMgmtAlg::kDir) {
    auto secret = KeyAccess::Secret(key);
    cek.assign(secret.begin(), secret.end());
  } else if (IsEcdh(jwe.alg)) {
    // Invalid-curve defence: epk must parse as a public key that passes OpenSSL's point checks,
    // on the recipient's own curve.
    auto epk_it = jwe.header.find("epk");
    if (epk_it == jwe.header.end()) {
      return Status::InvalidArgument("JWE: ECDH-ES without \"epk\" (RFC 7518 §4.6.1.1)");
    }
    auto epk = Key::FromPublicJwk(*epk_it);
    if (!epk.ok()) return epk.status().WithContext("JWE: \"epk\"");
    if ((*epk)->type() != key.type()) {
      return Status::InvalidArgument("JWE: \"epk\" is not on the recipient key's curve");
    }
    IDS_ASSIGN_OR_RETURN(Bytes agreed, AgreedKey(jwe.alg, jwe.enc, key, **epk, jwe.header));
    if (jwe.alg == KeyMgmtAlg::kEcdhEs) {
      cek = std::move(agreed);
    } else {
      auto unwrapped = internal::AesKeyUnwrap(agreed, jwe.encrypted_key);
      Cleanse(agreed);
      if (unwrapped.ok()) cek = std::move(unwrapped).value();
    }
  } else if (IsRsa(jwe.alg)) {
    cek = RsaOaepDecrypt(jwe.alg, key, jwe.encrypted_key);
  } else {
    auto unwrapped = internal::AesKeyUnwrap(KeyAccess::Secret(key), jwe.encrypted_key);
    if (unwrapped.ok()) cek = std::move(unwrapped).value();
  }
  internal::ClearOpenSslErrors();
  // RFC 7516 §11.5: a key that failed to unwrap, or unwrapped to the wrong size, continues as a
  // random CEK so that all failures look alike (and take alike) up to the tag check.
  if (cek.size() != cek_size) {
    Cleanse(cek);
    cek = RandomBytes(cek_size);
  }
  auto pt = DecryptContent(jwe.enc, cek, jwe.iv, jwe.header_b64, jwe.ciphertext, jwe.tag);
  Cleanse(cek);
  if (!pt.ok()) return pt.status();
  return std::string(pt->begin(), pt->end());
}

Result<DecryptedJwe> DecryptJwe(std::string_view compact, const Key& key,
                                const JweAlgorithms& allowed) {
  IDS_ASSIGN_OR_RETURN(ParsedJwe jwe, ParseJwe(compact));
  IDS_ASSIGN_OR_RETURN(std::string plaintext, DecryptJwe(jwe, key, allowed));
  return DecryptedJwe{std::move(jwe.header), std::move(plaintext)};
}

}  // namespace idscheme::crypto
