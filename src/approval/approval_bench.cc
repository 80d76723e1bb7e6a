// Approvals verified and recorded per second on the embedded SQLite store: each iteration is one
// Actions::Approve (load the action and the device, recompute the RFC 8785 digest, verify the
// ES256 signature, conditional UPDATE, audit entry, commit). Creating and signing the action is
// outside the timed part. Run: approval_bench [--benchmark_min_time=2s]
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "approval/actions.h"
#include "approval/devices.h"
#include "approval/schema.h"
#include "audit/audit_log.h"
#include "common/base64url.h"
#include "crypto/jws.h"
#include "crypto/random.h"
#include "store/migrations.h"

namespace idscheme::approval {
namespace {

class OneCode final : public ActivationRedeemer {
 public:
  Result<std::string> Redeem(store::Transaction&, std::string_view) override {
    return std::string("id_bench");
  }
};

void Check(const Status& s) {
  if (!s.ok()) {
    std::fprintf(stderr, "approval_bench: %s\n", s.ToString().c_str());
    std::abort();
  }
}

void BM_ApproveSqlite(benchmark::State& state) {
  static std::atomic<int> counter{0};
  const auto dir =
      std::filesystem::temp_directory_path() /
      ("idscheme-approval-bench-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
  std::filesystem::create_directories(dir);
  auto db = store::Database::Open((dir / "bench.db").string(), 4);
  Check(db.status());
  auto migrations = store::Migrations();
  for (auto& m : audit::Migrations()) migrations.push_back(m);
  for (auto& m : Migrations()) migrations.push_back(m);
  Check(store::Migrate(**db, migrations));

  SystemClock& clock = SystemClock::Instance();
  SeededRandom random(1);
  OneCode redeemer;
  DeviceOptions device_options;
  device_options.pin = {1, 8, 1};
  Devices devices(**db, clock, random, redeemer, device_options);
  auto key = crypto::Key::Generate(crypto::KeyType::kEcP256);
  Check(key.status());
  auto jwk = (*key)->ToJwk(false);
  auto device = devices.Enrol({"code", *jwk, "bench phone", Base64UrlEncode(std::string(32, 'p'))});
  Check(device.status());
  ActionOptions options;
  options.max_pending_per_identity = 1 << 30;
  Actions actions(**db, clock, random, nullptr, options);

  NewAction request;
  request.type = ActionType::kConfirmation;
  request.member_id = "m_bank";
  request.member_display_name = "Acme Bank";
  request.client_id = "c_bank";
  request.identity_id = "id_bench";
  request.display = {{"amount", "12.50"}, {"currency", "EUR"}, {"payee", "Shop"}};

  for (auto _ : state) {
    state.PauseTiming();
    auto action = actions.Create(request);
    Check(action.status());
    auto digest = ActionDigest(*action);
    auto sig = crypto::SignBytes(crypto::SigAlg::kES256, **key, *digest);
    Check(sig.status());
    Approval approval{action->id, device->id, action->verification_code, Base64UrlEncode(*sig), ""};
    state.ResumeTiming();
    auto approved = actions.Approve(approval);
    if (!approved.ok()) Check(approved.status());
  }
  state.SetItemsProcessed(state.iterations());
  db->reset();
  std::filesystem::remove_all(dir);
}
BENCHMARK(BM_ApproveSqlite)->Unit(benchmark::kMicrosecond)->UseRealTime();

}  // namespace
}  // namespace idscheme::approval

BENCHMARK_MAIN();
