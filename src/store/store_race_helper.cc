// A helper process for store_test's cross-process races: several of these, pointed at one
// database, claim the same values at once; the test then checks each was won exactly once.
//
//   store_race_helper URL once|update N THREADS
//     once:    AcceptOnce("race", "value-<i>") for every i in [0, N), from every thread
//     update:  UPDATE race_rows SET state = 'used', winner = ? WHERE id = <i> AND state = 'new'
// Prints "ready", waits for a line on stdin (so the processes start together), then prints each
// i it won on a line of its own and finally "done".
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "store/database.h"
#include "store/once.h"

namespace {

using idscheme::Result;
using idscheme::Status;
namespace store = idscheme::store;

Result<bool> Claim(store::Database& db, const std::string& mode, int i, const std::string& me) {
  if (mode == "once") return store::AcceptOnce(db, "race", "value-" + std::to_string(i), 1 << 30);
  auto r = db.Exec("UPDATE race_rows SET state = 'used', winner = ? WHERE id = ? AND state = 'new'",
                   {store::Text(me), store::Int(i)});
  if (!r.ok()) return r.status();
  return r->affected == 1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 5) {
    std::fprintf(stderr, "usage: store_race_helper URL once|update N THREADS\n");
    return 2;
  }
  const std::string url = argv[1], mode = argv[2];
  const int n = std::atoi(argv[3]), threads = std::atoi(argv[4]);
  auto db = store::Database::Open(url, threads);
  if (!db.ok()) {
    std::fprintf(stderr, "open: %s\n", db.status().ToString().c_str());
    return 1;
  }
  std::cout << "ready" << std::endl;
  std::string go;
  std::getline(std::cin, go);

  std::mutex mu;
  std::vector<int> won;
  bool failed = false;
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] {
      const std::string me = std::to_string(getpid()) + ":" + std::to_string(t);
      for (int i = 0; i < n; ++i) {
        Result<bool> r = Status::Unavailable("not tried");
        // A transient error (SQLite busy) means the statement did nothing: try again.
        for (int attempt = 0; attempt < 100; ++attempt) {
          r = Claim(**db, mode, i, me);
          if (r.ok() || !store::IsTransient(r.status())) break;
        }
        std::lock_guard lock(mu);
        if (!r.ok()) {
          std::fprintf(stderr, "claim %d: %s\n", i, r.status().ToString().c_str());
          failed = true;
          return;
        }
        if (*r) won.push_back(i);
      }
    });
  }
  for (auto& w : workers) w.join();
  for (int i : won) std::cout << i << "\n";
  std::cout << "done" << std::endl;
  return failed ? 1 : 0;
}
