// `bmfm launch`: a torchrun-style launcher. Starts --nproc-per-node copies of
// `bmfm <command ...>` on this machine with the rendezvous environment (RANK,
// WORLD_SIZE, LOCAL_RANK, LOCAL_WORLD_SIZE, MASTER_ADDR, MASTER_PORT), prefixes
// each output line with its rank, forwards SIGINT / SIGTERM, and when any rank
// fails stops the others (SIGTERM, then SIGKILL after --grace seconds) and
// exits non-zero, naming the rank (docs/distributed.md).
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <climits>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "commands.h"
#include "common.h"

namespace bmfm::cli {
namespace {

volatile sig_atomic_t g_signal = 0;
void on_signal(int sig) { g_signal = sig; }

struct Child {
  int64_t rank = 0, local_rank = 0;
  pid_t pid = -1;
  int fd = -1;          // read end of its stdout + stderr
  std::string pending;  // a partial line
  bool running = true;
  int exit_code = 0;    // 128 + signal when killed
};

std::string self_exe() {
  char buf[PATH_MAX];
  const ssize_t n = readlink("/proc/self/exe", buf, sizeof(buf) - 1);
  if (n <= 0) throw std::runtime_error("launch: cannot find this executable (/proc/self/exe)");
  return std::string(buf, static_cast<size_t>(n));
}

// Writes complete lines of `c`'s output, each prefixed with its rank.
void emit(Child& c, const char* data, size_t n, bool flush_partial) {
  c.pending.append(data, n);
  size_t start = 0, nl;
  while ((nl = c.pending.find_first_of("\n\r", start)) != std::string::npos) {
    if (nl > start) std::fprintf(stderr, "[rank %lld] %s\n", static_cast<long long>(c.rank), c.pending.substr(start, nl - start).c_str());
    start = nl + 1;
  }
  c.pending.erase(0, start);
  if (flush_partial && !c.pending.empty()) {
    std::fprintf(stderr, "[rank %lld] %s\n", static_cast<long long>(c.rank), c.pending.c_str());
    c.pending.clear();
  }
  std::fflush(stderr);
}

Child spawn(const std::string& exe, const std::vector<std::string>& args, int64_t rank, int64_t local_rank,
            int64_t world, int64_t local_world, const std::string& addr, int64_t port) {
  int fds[2];
  if (pipe(fds) != 0) throw std::runtime_error(std::string("launch: pipe: ") + std::strerror(errno));
  const pid_t pid = fork();
  if (pid < 0) throw std::runtime_error(std::string("launch: fork: ") + std::strerror(errno));
  if (pid == 0) {
    // Child: its rank's environment, output into the pipe, then bmfm itself.
    setenv("RANK", std::to_string(rank).c_str(), 1);
    setenv("WORLD_SIZE", std::to_string(world).c_str(), 1);
    setenv("LOCAL_RANK", std::to_string(local_rank).c_str(), 1);
    setenv("LOCAL_WORLD_SIZE", std::to_string(local_world).c_str(), 1);
    setenv("MASTER_ADDR", addr.c_str(), 1);
    setenv("MASTER_PORT", std::to_string(port).c_str(), 1);
    dup2(fds[1], STDOUT_FILENO);
    dup2(fds[1], STDERR_FILENO);
    close(fds[0]);
    close(fds[1]);
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    std::vector<char*> argv{const_cast<char*>(exe.c_str())};
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    execv(exe.c_str(), argv.data());
    std::fprintf(stderr, "launch: exec %s failed: %s\n", exe.c_str(), std::strerror(errno));
    _exit(127);
  }
  close(fds[1]);
  Child c;
  c.rank = rank;
  c.local_rank = local_rank;
  c.pid = pid;
  c.fd = fds[0];
  return c;
}

}  // namespace

Run add_launch_command(CLI::App& app) {
  struct Options {
    int64_t nproc = 1, nnodes = 1, node_rank = 0, port = 29500;
    std::string addr = "127.0.0.1";
    double grace = 10;
    std::vector<std::string> command;
  };
  auto o = std::make_shared<Options>();
  auto* sub = app.add_subcommand("launch", "Run a bmfm command as several cooperating ranks (torchrun-style)");
  sub->add_option("--nproc-per-node", o->nproc, "ranks on this machine")->required()->check(CLI::Range(1, 1024));
  sub->add_option("--nnodes", o->nnodes, "machines in the job")->check(CLI::Range(1, 100000));
  sub->add_option("--node-rank", o->node_rank, "this machine's index in [0, nnodes)")->check(CLI::NonNegativeNumber);
  sub->add_option("--master-addr", o->addr, "address of node 0 (rank 0 hosts the rendezvous store)");
  sub->add_option("--master-port", o->port, "rendezvous TCP port")->check(CLI::Range(1, 65535));
  sub->add_option("--grace", o->grace, "seconds the other ranks get to stop after one fails, before SIGKILL");
  sub->add_option("command", o->command, "the bmfm command and its arguments, after --")->required();
  sub->footer("Usage: bmfm launch --nproc-per-node 2 -- pretrain --config configs/wced.yaml size=tiny\n"
              "       bmfm launch --nproc-per-node 8 --nnodes 2 --node-rank 0 --master-addr node01 -- pretrain ...");
  return [o] {
    setup_logging("info");
    if (o->node_rank >= o->nnodes)
      throw ConfigError(fmt::format("--node-rank {} is not in [0, --nnodes {})", o->node_rank, o->nnodes));
    if (o->command.front() == "launch") throw ConfigError("launch: the command to run cannot be launch itself");
    const std::string exe = self_exe();
    const int64_t world = o->nproc * o->nnodes;
    struct sigaction sa {};
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, nullptr);
    sigaction(SIGTERM, &sa, nullptr);
    std::vector<Child> children;
    for (int64_t i = 0; i < o->nproc; ++i) {
      children.push_back(spawn(exe, o->command, o->node_rank * o->nproc + i, i, world, o->nproc, o->addr, o->port));
      spdlog::info("launch: rank {} (local {}) is pid {}", children.back().rank, i, children.back().pid);
    }
    int exit_code = 0;
    bool stopping = false;
    auto deadline = std::chrono::steady_clock::time_point::max();
    auto stop_others = [&](int sig) {
      for (auto& c : children)
        if (c.running) kill(c.pid, sig);
    };
    size_t running = children.size();
    while (running > 0) {
      if (g_signal && !stopping) {
        spdlog::warn("launch: got signal {}; stopping all ranks", static_cast<int>(g_signal));
        stop_others(static_cast<int>(g_signal));
        exit_code = 128 + static_cast<int>(g_signal);
        stopping = true;
        deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(static_cast<int64_t>(o->grace * 1000));
      }
      if (stopping && std::chrono::steady_clock::now() > deadline) {
        spdlog::error("launch: ranks still running {} s after the stop; killing them", o->grace);
        stop_others(SIGKILL);
        deadline = std::chrono::steady_clock::time_point::max();
      }
      // Output first, so a rank's last words come before the launcher's verdict.
      std::vector<pollfd> fds;
      for (auto& c : children)
        if (c.fd >= 0) fds.push_back({c.fd, POLLIN, 0});
      if (!fds.empty() && poll(fds.data(), fds.size(), 100) > 0) {
        for (const auto& p : fds) {
          if (!(p.revents & (POLLIN | POLLHUP | POLLERR))) continue;
          for (auto& c : children) {
            if (c.fd != p.fd) continue;
            char buf[65536];
            const ssize_t n = read(c.fd, buf, sizeof(buf));
            if (n > 0) {
              emit(c, buf, static_cast<size_t>(n), false);
            } else if (n == 0 || (n < 0 && errno != EINTR && errno != EAGAIN)) {
              emit(c, "", 0, true);
              close(c.fd);
              c.fd = -1;
            }
          }
        }
      } else if (fds.empty()) {
        usleep(50 * 1000);
      }
      int status = 0;
      pid_t pid;
      while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
        for (auto& c : children) {
          if (c.pid != pid || !c.running) continue;
          c.running = false;
          --running;
          c.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
          if (c.exit_code == 0) {
            spdlog::info("launch: rank {} finished", c.rank);
            continue;
          }
          if (stopping) continue;
          if (WIFSIGNALED(status))
            spdlog::error("launch: rank {} (pid {}) was killed by signal {} ({}); stopping the other ranks", c.rank,
                          c.pid, WTERMSIG(status), strsignal(WTERMSIG(status)));
          else
            spdlog::error("launch: rank {} (pid {}) failed with exit code {}; stopping the other ranks", c.rank, c.pid,
                          c.exit_code);
          exit_code = c.exit_code;
          stopping = true;
          stop_others(SIGTERM);
          deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(static_cast<int64_t>(o->grace * 1000));
        }
      }
    }
    for (auto& c : children)
      if (c.fd >= 0) {
        char buf[65536];
        ssize_t n;
        while ((n = read(c.fd, buf, sizeof(buf))) > 0) emit(c, buf, static_cast<size_t>(n), false);
        emit(c, "", 0, true);
        close(c.fd);
      }
    if (exit_code == 0) spdlog::info("launch: all {} ranks finished", children.size());
    return exit_code;
  };
}

}  // namespace bmfm::cli
