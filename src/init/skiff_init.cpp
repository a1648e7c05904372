// skiff-init: the tiny init `run --init` puts at /dev/init. It starts the
// command as its child, forwards every signal it can catch to it, reaps
// every zombie the container makes, and exits with the command's status.
// Linked statically: it runs inside any image.
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

namespace {

int exit_status(int st) {
    if (WIFEXITED(st)) return WEXITSTATUS(st);
    if (WIFSIGNALED(st)) return 128 + WTERMSIG(st);
    return 1;
}

}  // namespace

int main(int argc, char** argv) {
    int first = 1;
    if (first < argc && std::strcmp(argv[first], "--") == 0) ++first;
    if (first >= argc) {
        std::fprintf(stderr, "usage: skiff-init [--] COMMAND [ARG...]\n");
        return 2;
    }
    sigset_t all, old;
    sigfillset(&all);
    sigprocmask(SIG_BLOCK, &all, &old);
    pid_t child = fork();
    if (child < 0) {
        std::perror("skiff-init: fork");
        return 1;
    }
    if (child == 0) {
        sigprocmask(SIG_SETMASK, &old, nullptr);
        // The command gets the terminal's foreground, as it would as PID 1.
        setpgid(0, 0);
        tcsetpgrp(STDIN_FILENO, getpid());
        execvp(argv[first], argv + first);
        std::fprintf(stderr, "skiff-init: exec %s: %s\n", argv[first], std::strerror(errno));
        _exit(errno == ENOENT ? 127 : 126);
    }
    for (;;) {
        siginfo_t info;
        struct timespec tick = {1, 0};
        int sig = sigtimedwait(&all, &info, &tick);
        if (sig > 0 && sig != SIGCHLD) kill(child, sig);
        for (;;) {
            int st = 0;
            pid_t p = waitpid(-1, &st, WNOHANG);
            if (p <= 0) break;
            if (p == child) return exit_status(st);
        }
    }
}
