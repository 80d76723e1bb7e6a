#include "app/device_state.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>

#include "common/base64url.h"
#include "crypto/aead.h"
#include "crypto/json.h"

namespace idscheme::app {
namespace {

using json = nlohmann::json;

std::vector<uint8_t> Aad(const std::string& device_id) {
  std::string aad = "idscheme device key v1|" + device_id;
  return {aad.begin(), aad.end()};
}

Status Corrupt(std::string what) {
  return Status::InvalidArgument("device state file: " + std::move(what));
}

}  // namespace

json DeviceState::ToJson() const {
  return {{"version", 1},
          {"server", server},
          {"device_id", device_id},
          {"device_salt", Base64UrlEncode(device_salt)},
          {"pin_params",
           {{"t", pin_params.t_cost}, {"m", pin_params.m_cost_kib}, {"p", pin_params.parallelism}}},
          {"public_jwk", public_jwk},
          {"sealed_key", Base64UrlEncode(sealed_key)}};
}

Result<DeviceState> DeviceState::FromJson(const json& j) {
  if (!j.is_object() || j.value("version", 0) != 1) return Corrupt("not version 1");
  DeviceState s;
  auto str = [&](const char* name) -> Result<std::string> {
    if (!j.contains(name) || !j[name].is_string()) return Corrupt(std::string(name) + " missing");
    return j[name].get<std::string>();
  };
  IDS_ASSIGN_OR_RETURN(s.server, str("server"));
  IDS_ASSIGN_OR_RETURN(s.device_id, str("device_id"));
  IDS_ASSIGN_OR_RETURN(std::string salt, str("device_salt"));
  IDS_ASSIGN_OR_RETURN(s.device_salt, Base64UrlDecode(salt));
  IDS_ASSIGN_OR_RETURN(std::string sealed, str("sealed_key"));
  IDS_ASSIGN_OR_RETURN(s.sealed_key, Base64UrlDecode(sealed));
  if (!j.contains("public_jwk") || !j["public_jwk"].is_object()) return Corrupt("public_jwk");
  s.public_jwk = j["public_jwk"];
  const json* p = j.contains("pin_params") ? &j["pin_params"] : nullptr;
  if (!p || !p->is_object() || !(*p)["t"].is_number_unsigned() || !(*p)["m"].is_number_unsigned() ||
      !(*p)["p"].is_number_unsigned())
    return Corrupt("pin_params");
  s.pin_params = {(*p)["t"].get<uint32_t>(), (*p)["m"].get<uint32_t>(), (*p)["p"].get<uint32_t>()};
  return s;
}

Status SealDeviceKey(DeviceState& state, const crypto::Key& private_key,
                     std::span<const uint8_t> wrap_key, Random& random) {
  IDS_ASSIGN_OR_RETURN(json jwk, private_key.ToJwk(true));
  IDS_ASSIGN_OR_RETURN(std::string text, crypto::DumpJson(jwk));
  std::vector<uint8_t> plain(text.begin(), text.end());
  IDS_ASSIGN_OR_RETURN(state.sealed_key,
                       crypto::Aes256GcmSeal(wrap_key, plain, Aad(state.device_id), random));
  std::fill(plain.begin(), plain.end(), 0);
  std::fill(text.begin(), text.end(), '\0');
  return Status::Ok();
}

Result<crypto::KeyPtr> OpenDeviceKey(const DeviceState& state, std::span<const uint8_t> wrap_key) {
  auto plain = crypto::Aes256GcmOpen(wrap_key, state.sealed_key, Aad(state.device_id));
  if (!plain.ok()) return Status::Unauthenticated("wrong PIN (the device key does not open)");
  std::string text(plain->begin(), plain->end());
  auto key = crypto::Key::FromJwkText(text);
  std::fill(text.begin(), text.end(), '\0');
  std::fill(plain->begin(), plain->end(), 0);
  if (!key.ok()) return Corrupt("sealed key unreadable");
  return key;
}

Result<DeviceState> LoadDeviceState(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::NotFound("no device state at " + path + " (run `idscheme app enroll`)");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto j = crypto::ParseJsonObjectStrict(text);
  if (!j.ok()) return Corrupt("not JSON");
  return DeviceState::FromJson(*j);
}

Status SaveDeviceState(const std::string& path, const DeviceState& state) {
  const std::string tmp = path + ".tmp";
  const std::string text = state.ToJson().dump(2) + "\n";
  ::unlink(tmp.c_str());
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return Status::Unavailable("cannot write " + tmp + ": " + std::strerror(errno));
  const char* p = text.data();
  size_t left = text.size();
  while (left > 0) {
    ssize_t n = ::write(fd, p, left);
    if (n < 0) {
      if (errno == EINTR) continue;
      ::close(fd);
      return Status::Unavailable("cannot write " + tmp + ": " + std::strerror(errno));
    }
    p += n;
    left -= static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0)
    return Status::Unavailable("cannot write " + tmp + ": " + std::strerror(errno));
  if (std::rename(tmp.c_str(), path.c_str()) != 0)
    return Status::Unavailable("cannot write " + path + ": " + std::strerror(errno));
  return Status::Ok();
}

}  // namespace idscheme::app
