#include <catch2/catch.hpp>

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "util/process.hpp"
#include "util/timeutil.hpp"

namespace {

bool is_open(int fd) { return ::fcntl(fd, F_GETFD) >= 0; }

}  // namespace

TEST_CASE("close_fds_except keeps exactly the listed descriptors", "[process]") {
    pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        int fds[6];
        for (int& fd : fds) fd = ::open("/dev/null", O_RDONLY);
        // Unsorted, a repeat, a negative and one below 3 among them.
        skiff::close_fds_except({fds[4], -1, fds[1], 1, fds[4]});
        bool ok = is_open(0) && is_open(1) && is_open(2) && is_open(fds[1]) && is_open(fds[4]) &&
                  !is_open(fds[0]) && !is_open(fds[2]) && !is_open(fds[3]) && !is_open(fds[5]);
        ::_exit(ok ? 0 : 1);
    }
    int st = 0;
    REQUIRE(::waitpid(pid, &st, 0) == pid);
    CHECK(WIFEXITED(st));
    CHECK(WEXITSTATUS(st) == 0);
}

TEST_CASE("process_start_ns: this process started moments ago; a gone one has no start") {
    auto start = skiff::process_start_ns(::getpid());
    REQUIRE(start);
    int64_t now = skiff::timeutil::now_ns();
    // The boot time is in whole seconds; this test process is young.
    CHECK(*start <= now + 2'000'000'000LL);
    CHECK(*start > now - 600'000'000'000LL);
    CHECK_FALSE(skiff::process_start_ns(0x3fffffff));
}
