// A server with one static JSON route (GET /static), for bench/http_static.sh. Prints the bound
// port on stdout, then serves until SIGTERM or SIGINT.
//   http_bench_server [--threads N] [--access-log] [--port P]
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "common/log.h"
#include "http/server.h"

int main(int argc, char** argv) {
  using idscheme::http::Request;
  using idscheme::http::Response;
  idscheme::http::ServerOptions options;
  options.access_log = false;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == "--threads" && i + 1 < argc) {
      options.worker_threads = std::atoi(argv[++i]);
    } else if (arg == "--port" && i + 1 < argc) {
      options.port = static_cast<uint16_t>(std::atoi(argv[++i]));
    } else if (arg == "--access-log") {
      options.access_log = true;
    } else {
      std::fprintf(stderr, "usage: http_bench_server [--threads N] [--access-log] [--port P]\n");
      return 2;
    }
  }
  const nlohmann::json document = {
      {"issuer", "https://id.example"}, {"status", "ok"}, {"version", 1}};
  idscheme::http::Router router;
  router.Add("GET", "/static", "static",
             [&document](Request&) { return Response::Json(200, document); });
  idscheme::http::Server server(options, std::move(router));
  server.StopOnSignals();
  if (auto st = server.Start(); !st.ok()) {
    std::fprintf(stderr, "http_bench_server: %s\n", st.ToString().c_str());
    return 1;
  }
  std::printf("%u\n", static_cast<unsigned>(server.port()));
  std::fflush(stdout);
  server.Wait();
  return 0;
}
