// Approvals verified and recorded per second on the embedded SQLite store (issue 4's figure;
// docs/performance.md, "Approvals").
//
//   BM_Approve          one Actions::Approve: load the action and the device, recompute the RFC
//                       8785 digest, verify the ES256 signature, conditional UPDATE, audit entry,
//                       commit
//   BM_ApproveWithPin   Devices::Get, Devices::CheckPin (with the production PinParams{}) and
//                       Actions::Approve, as the device API calls them: the server's whole
//                       share of one approval below HTTP (one store write)
//   BM_PinVerifier      one Argon2id evaluation of the PIN verifier, for {t_cost, m_cost_kib}
//
// Creating and signing the actions is outside the timed part (batches of kBatch, so pausing the
// timer costs little). With ->Threads(2) each thread approves its own person's actions on the
// one shared store. Run: approval_bench --benchmark_min_time=2s
#include <argon2.h>
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

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

constexpr int kBatch = 256;
constexpr int kMaxThreads = 8;

// Each code names its person: "code-<n>" -> "id_<n>".
class CodeIsIdentity final : public ActivationRedeemer {
 public:
  Result<std::string> Redeem(store::Transaction&, std::string_view code) override {
    return "id_" + std::string(code.substr(5));
  }
};

void Check(const Status& s) {
  if (!s.ok()) {
    std::fprintf(stderr, "approval_bench: %s\n", s.ToString().c_str());
    std::abort();
  }
}

std::string PinInput() { return Base64UrlEncode(std::string(32, 'p')); }

// One store, and one enrolled person with a device per benchmark thread.
struct Fixture {
  std::filesystem::path dir;
  std::unique_ptr<store::Database> db;
  CodeIsIdentity redeemer;
  std::unique_ptr<Devices> devices;
  std::unique_ptr<Actions> actions;
  crypto::KeyPtr keys[kMaxThreads];
  Device phones[kMaxThreads];

  Fixture(int threads, PinParams pin) {
    static std::atomic<int> counter{0};
    dir =
        std::filesystem::temp_directory_path() /
        ("idscheme-approval-bench-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
    std::filesystem::create_directories(dir);
    auto opened = store::Database::Open((dir / "bench.db").string(), 4);
    Check(opened.status());
    db = std::move(opened).value();
    auto migrations = store::Migrations();
    for (auto& m : audit::Migrations()) migrations.push_back(m);
    for (auto& m : Migrations()) migrations.push_back(m);
    Check(store::Migrate(*db, migrations));
    DeviceOptions device_options;
    device_options.pin = pin;
    devices = std::make_unique<Devices>(*db, SystemClock::Instance(), crypto::SystemRandom(),
                                        redeemer, device_options);
    ActionOptions options;
    options.max_pending_per_identity = 1 << 30;
    actions = std::make_unique<Actions>(*db, SystemClock::Instance(), crypto::SystemRandom(),
                                        nullptr, options);
    for (int t = 0; t < threads; ++t) {
      auto key = crypto::Key::Generate(crypto::KeyType::kEcP256);
      Check(key.status());
      keys[t] = *key;
      auto jwk = keys[t]->ToJwk(false);
      auto device = devices->Enrol({"code-" + std::to_string(t), *jwk, "bench phone", PinInput()});
      Check(device.status());
      phones[t] = std::move(device).value();
    }
  }
  ~Fixture() {
    devices.reset();
    actions.reset();
    db.reset();
    std::filesystem::remove_all(dir);
  }

  // What the apps send: kBatch fresh actions of thread `t`'s person, signed.
  std::vector<Approval> SignedBatch(int t) {
    NewAction request;
    request.type = ActionType::kConfirmation;
    request.member_id = "m_bank";
    request.member_display_name = "Acme Bank";
    request.client_id = "c_bank";
    request.identity_id = phones[t].identity_id;
    request.display = {{"amount", "12.50"}, {"currency", "EUR"}, {"payee", "Shop"}};
    std::vector<Approval> out;
    out.reserve(kBatch);
    for (int i = 0; i < kBatch; ++i) {
      auto action = actions->Create(request);
      Check(action.status());
      auto digest = ActionDigest(*action);
      Check(digest.status());
      auto sig = crypto::SignBytes(crypto::SigAlg::kES256, *keys[t], *digest);
      Check(sig.status());
      out.push_back(
          {action->id, phones[t].id, action->verification_code, Base64UrlEncode(*sig), ""});
    }
    return out;
  }
};

Fixture* shared = nullptr;

void Approvals(benchmark::State& state, bool with_pin) {
  // Without the PIN check the verifier's cost does not matter: keep the set-up short.
  if (state.thread_index() == 0) {
    shared = new Fixture(state.threads(), with_pin ? PinParams{} : PinParams{1, 8, 1});
  }
  // (The loop's start waits for every thread, so `shared` is ready.)
  std::vector<Approval> batch;
  size_t next = 0;
  const std::string pin = PinInput();
  for (auto _ : state) {
    if (next == batch.size()) {
      state.PauseTiming();
      batch = shared->SignedBatch(state.thread_index());
      next = 0;
      state.ResumeTiming();
    }
    Approval& approval = batch[next++];
    std::optional<PinCheck> check;
    if (with_pin) {
      // As the device API does: the device as read, the PIN checked without a write, and its
      // verdict recorded by the approval's transaction.
      auto device = shared->devices->Get(approval.device_id);
      if (!device.ok()) Check(device.status());
      auto checked = shared->devices->CheckPin(*device, pin);
      if (!checked.ok()) Check(checked.status());
      check = std::move(checked).value();
      approval.pin = &*check;
    }
    auto approved = shared->actions->Approve(approval);
    if (!approved.ok()) Check(approved.status());
  }
  state.SetItemsProcessed(state.iterations());
  if (state.thread_index() == 0) {
    // The loop's end waits for every thread too.
    delete shared;
    shared = nullptr;
  }
}

void BM_Approve(benchmark::State& state) { Approvals(state, false); }
void BM_ApproveWithPin(benchmark::State& state) { Approvals(state, true); }
BENCHMARK(BM_Approve)->Unit(benchmark::kMicrosecond)->UseRealTime()->Threads(1)->Threads(2);
BENCHMARK(BM_ApproveWithPin)->Unit(benchmark::kMicrosecond)->UseRealTime()->Threads(1)->Threads(2);

void BM_PinVerifier(benchmark::State& state) {
  const auto t_cost = static_cast<uint32_t>(state.range(0));
  const auto m_cost = static_cast<uint32_t>(state.range(1));
  std::vector<uint8_t> input(kPinInputBytes, 1), salt(16, 2), out(32);
  for (auto _ : state) {
    const int rc = argon2id_hash_raw(t_cost, m_cost, 1, input.data(), input.size(), salt.data(),
                                     salt.size(), out.data(), out.size());
    if (rc != ARGON2_OK) state.SkipWithError(argon2_error_message(rc));
    benchmark::DoNotOptimize(out.data());
  }
}
BENCHMARK(BM_PinVerifier)
    ->Unit(benchmark::kMicrosecond)
    ->Args({1, 8})
    ->Args({1, 64})
    ->Args({1, 256})
    ->Args({3, 64 * 1024});

}  // namespace
}  // namespace idscheme::approval

BENCHMARK_MAIN();
