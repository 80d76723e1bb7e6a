// The top of the command line (cli/commands.h): what a newcomer meets when a word is mistyped,
// when --data names no store, and when the demo cannot take its port.
#include "cli/commands.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <regex>
#include <string>
#include <vector>

#include "testing/http_client.h"
#include "testing/test_db.h"

extern char** environ;  // NOLINT

namespace idscheme::cli {
namespace {

struct Outcome {
  int rc = -1;
  std::string out;
  std::string err;
};

Outcome RunCli(std::vector<std::string> args) {
  args.insert(args.begin(), "idscheme");
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  ::testing::internal::CaptureStdout();
  ::testing::internal::CaptureStderr();
  Outcome r;
  r.rc = Run(static_cast<int>(argv.size()), argv.data());
  r.out = ::testing::internal::GetCapturedStdout();
  r.err = ::testing::internal::GetCapturedStderr();
  return r;
}

TEST(Commands, AMistypedCommandIsNamed) {
  Outcome top = RunCli({"serv"});
  EXPECT_EQ(top.rc, 2);
  EXPECT_NE(top.err.find("'serv' is not a command of 'idscheme'"), std::string::npos) << top.err;
  Outcome nested = RunCli({"keys", "lst"});
  EXPECT_EQ(nested.rc, 2);
  EXPECT_NE(nested.err.find("'lst' is not a command of 'idscheme keys'"), std::string::npos)
      << nested.err;
  Outcome missing = RunCli({"member"});
  EXPECT_EQ(missing.rc, 2);
  EXPECT_NE(missing.err.find("'idscheme member' needs a command"), std::string::npos)
      << missing.err;
}

TEST(Commands, TheTopHelpListsEachCommandOnOneLine) {
  Outcome help = RunCli({"--help"});
  EXPECT_EQ(help.rc, 0);
  // The app's long guide belongs to `idscheme app --help`, not to the list of commands.
  EXPECT_EQ(help.out.find("does not open the sealed key"), std::string::npos) << help.out;
  EXPECT_NE(help.out.find("  app "), std::string::npos) << help.out;
  EXPECT_NE(RunCli({"app", "--help"}).out.find("does not open the sealed key"), std::string::npos);
}

TEST(Commands, ReadingCommandsNeedAStoreAndCreateNone) {
  const std::string dir = testing::TempDir() + "/typo";
  for (std::vector<std::string> args : {std::vector<std::string>{"member", "list"},
                                        {"keys", "list"},
                                        {"keys", "rotate"},
                                        {"audit", "verify"},
                                        {"identity", "list"},
                                        {"client", "show", "cl_x"}}) {
    args.push_back("--data");
    args.push_back(dir);
    Outcome r = RunCli(args);
    EXPECT_EQ(r.rc, 1) << args[0];
    EXPECT_NE(r.err.find("no store in " + dir), std::string::npos) << r.err;
    EXPECT_FALSE(std::filesystem::exists(dir)) << args[0];
  }
}

TEST(Commands, TheDemoPrintsItsGuideOnlyOnceItListens) {
  // Another process holds the port.
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(listen(fd, 1), 0);
  socklen_t len = sizeof addr;
  ASSERT_EQ(getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len), 0);
  const std::string listen_at = "127.0.0.1:" + std::to_string(ntohs(addr.sin_port));
  Outcome r = RunCli({"demo", "--data", testing::TempDir() + "/demo", "--listen", listen_at,
                      "--set", "keys.rsa_bits=2048"});
  close(fd);
  EXPECT_EQ(r.rc, 1);
  EXPECT_NE(r.err.find("cannot listen on " + listen_at), std::string::npos) << r.err;
  // No activation code handed out, no instructions for a server that is not there.
  EXPECT_EQ(r.out.find("enroll --code"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("Ctrl-C"), std::string::npos) << r.out;
}

// The idscheme binary in a process of its own, for what runs until a signal (serve, demo).
class Child {
 public:
  explicit Child(std::vector<std::string> args) {
    int out[2], err[2];
    if (pipe2(out, O_CLOEXEC) != 0 || pipe2(err, O_CLOEXEC) != 0) return;
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, out[1], 1);
    posix_spawn_file_actions_adddup2(&actions, err[1], 2);
    args.insert(args.begin(), IDSCHEME_CLI_BINARY);
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    if (posix_spawn(&pid_, argv[0], &actions, nullptr, argv.data(), environ) != 0) pid_ = -1;
    posix_spawn_file_actions_destroy(&actions);
    close(out[1]);
    close(err[1]);
    out_ = out[0];
    err_ = err[0];
  }
  ~Child() {
    Stop();
    close(out_);
    close(err_);
  }

  // Reads stdout and stderr until one of them holds `marker` (true), the child ends or a minute
  // passes (false: key generation is slow under the sanitizers, but not that slow).
  bool WaitFor(const std::string& marker) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::minutes(1);
    while (out.find(marker) == std::string::npos && err.find(marker) == std::string::npos) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) return false;
      pollfd fds[2] = {{out_, POLLIN, 0}, {err_, POLLIN, 0}};
      if (poll(fds, 2, static_cast<int>(left.count())) <= 0) return false;
      bool open = false;
      for (auto [fd, text] : {std::pair{&fds[0], &out}, std::pair{&fds[1], &err}}) {
        if (!(fd->revents & (POLLIN | POLLHUP))) {
          open = true;
          continue;
        }
        char buf[4096];
        const ssize_t n = read(fd->fd, buf, sizeof buf);
        if (n > 0) text->append(buf, static_cast<size_t>(n));
        open = open || n > 0;
      }
      if (!open) return false;
    }
    return true;
  }
  // SIGTERM, as an operator's Ctrl-C; the exit code.
  int Stop() {
    if (pid_ <= 0) return -1;
    kill(pid_, SIGTERM);
    int status = 0;
    waitpid(pid_, &status, 0);
    pid_ = -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }
  bool started() const { return pid_ > 0; }

  std::string out, err;

 private:
  pid_t pid_ = -1;
  int out_ = -1, err_ = -1;
};

// The port of the first http://127.0.0.1:PORT in `text`, 0 if none.
uint16_t FirstPort(const std::string& text) {
  std::smatch m;
  if (!std::regex_search(text, m, std::regex("http://127\\.0\\.0\\.1:([0-9]+)"))) return 0;
  return static_cast<uint16_t>(std::stoi(m[1]));
}

TEST(Commands, ServeOnAnyFreePortIsTheIssuerOfThatPort) {
  Child serve({"serve", "--data", testing::TempDir() + "/serve", "--listen", "127.0.0.1:0", "--set",
               "keys.rsa_bits=2048"});
  ASSERT_TRUE(serve.started());
  ASSERT_TRUE(serve.WaitFor(R"("msg":"ready")")) << serve.err;
  const uint16_t port = FirstPort(serve.err);
  ASSERT_NE(port, 0) << serve.err;
  const std::string issuer = "http://127.0.0.1:" + std::to_string(port);
  EXPECT_NE(serve.err.find(R"("issuer":")" + issuer + "\""), std::string::npos) << serve.err;
  auto discovery = testing::Get(port, "/.well-known/openid-configuration");
  ASSERT_EQ(discovery.status, 200);
  auto d = nlohmann::json::parse(discovery.body);
  EXPECT_EQ(d["issuer"], issuer);
  EXPECT_EQ(d["token_endpoint"], issuer + "/token");
  EXPECT_EQ(serve.Stop(), 0);
}

TEST(Commands, TheDemoOnAnyFreePortPrintsThePortItGot) {
  const std::string dir = testing::TempDir() + "/demo";
  Child demo({"demo", "--data", dir, "--listen", "127.0.0.1:0", "--set", "keys.rsa_bits=2048"});
  ASSERT_TRUE(demo.started());
  ASSERT_TRUE(demo.WaitFor("Ctrl-C stops it.")) << demo.out << demo.err;
  const uint16_t port = FirstPort(demo.out);
  ASSERT_NE(port, 0) << demo.out;
  EXPECT_EQ(demo.out.find("127.0.0.1:0"), std::string::npos) << demo.out;
  const std::string issuer = "http://127.0.0.1:" + std::to_string(port);
  EXPECT_NE(demo.out.find("issuer      " + issuer + "  "), std::string::npos) << demo.out;
  EXPECT_NE(demo.out.find(" open " + issuer + "/demo "), std::string::npos) << demo.out;
  auto d = testing::Get(port, "/.well-known/openid-configuration");
  ASSERT_EQ(d.status, 200);
  EXPECT_EQ(nlohmann::json::parse(d.body)["issuer"], issuer);
  // The shop's client is registered with its redirect URI on that port: the scheme accepts
  // the shop's authorization request and sends the browser on to its login page.
  auto shop = testing::Get(port, "/demo/login");
  EXPECT_EQ(shop.status, 302) << shop.body;
  const std::string location = shop.headers["location"];
  ASSERT_EQ(location.rfind(issuer + "/authorize?", 0), 0u) << location;
  auto authorize = testing::Get(port, location.substr(issuer.size()));
  EXPECT_EQ(authorize.status / 100, 3) << authorize.body;
  EXPECT_NE(authorize.headers["location"].find("/login"), std::string::npos)
      << authorize.headers["location"];
  EXPECT_EQ(demo.Stop(), 0);
}

// A next key just published may be unknown to the other nodes and to relying parties that keep
// the JWKS: rotating then is refused, with the wait; --force (a compromised key) rotates.
TEST(Commands, KeysRotateWaitsUntilTheNextKeyIsKnownUnlessForced) {
  const std::string dir = testing::TempDir() + "/rotate";
  ASSERT_EQ(RunCli({"migrate", "--data", dir}).rc, 0);
  Outcome early = RunCli({"keys", "rotate", "--data", dir});
  EXPECT_EQ(early.rc, 1);
  EXPECT_NE(early.err.find("its next key was published"), std::string::npos) << early.err;
  EXPECT_NE(early.err.find("or now with --force"), std::string::npos) << early.err;
  Outcome forced = RunCli({"keys", "rotate", "--data", dir, "--slot", "ES256", "--force"});
  EXPECT_EQ(forced.rc, 0) << forced.err;
  EXPECT_NE(forced.out.find("ES256: now active"), std::string::npos) << forced.out;
  EXPECT_NE(RunCli({"keys", "rotate", "--help"}).out.find("--force"), std::string::npos);
}

TEST(Commands, ConfigCheckRefusesWhatServeRefusesAndCreatesNothing) {
  const std::string dir = testing::TempDir() + "/node";
  const std::string missing = testing::TempDir() + "/missing.pem";
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {{"server.trusted_proxies=10.0.0.1,10.0.0.0/33"}, "server.trusted_proxies: "},
      {{"server.tls_cert_file=" + missing, "server.tls_key_file=" + missing},
       "server.tls_cert_file: cannot read " + missing + ": No such file or directory"},
      {{"keys.kek_file=" + dir + "/kek"}, "keys.kek_file: " + dir + "/kek does not exist"},
      {{"oauth.jwks_ca_file=" + missing}, "oauth.jwks_ca_file: cannot read " + missing},
  };
  for (const auto& [sets, expected] : cases) {
    std::vector<std::string> args = {"config", "check", "--data", dir};
    for (const auto& set : sets) {
      args.push_back("--set");
      args.push_back(set);
    }
    Outcome check = RunCli(args);
    EXPECT_EQ(check.rc, 1) << sets[0];
    EXPECT_NE(check.err.find("configuration error: " + expected), std::string::npos) << check.err;
    EXPECT_EQ(check.err.find("configuration OK"), std::string::npos) << check.err;
    // serve refuses it with the same words, before it opens the store.
    args[0] = "serve";
    args.erase(args.begin() + 1);
    args.insert(args.end(), {"--listen", "127.0.0.1:0"});
    Outcome serve = RunCli(args);
    EXPECT_EQ(serve.rc, 1) << sets[0];
    EXPECT_NE(serve.err.find("idscheme: " + expected), std::string::npos) << serve.err;
  }
  Outcome ok = RunCli({"config", "check", "--data", dir});
  EXPECT_EQ(ok.rc, 0) << ok.err;
  EXPECT_NE(ok.err.find("configuration OK"), std::string::npos) << ok.err;
  // No data directory, no key-encryption key: check only looks.
  EXPECT_FALSE(std::filesystem::exists(dir));
}

}  // namespace
}  // namespace idscheme::cli
