/* This file implements hako-init, the tiny init of `--init`: as pid 1 of a
 * container it runs the command as its child, forwards the signals it gets to
 * it, reaps every zombie, and exits with the command's status (128 + signal when
 * a signal ended it). A separate static binary, bind-mounted read-only, so the
 * hako executable is never reachable from inside a container. */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

static int usage(void) {
    fputs("usage: hako-init [--] COMMAND [ARG...]\n", stderr);
    return 2;
}

int main(int argc, char** argv) {
    int first = 1;
    if (first < argc && strcmp(argv[first], "--") == 0) ++first;
    if (first >= argc) return usage();

    sigset_t all, previous;
    sigfillset(&all);
    sigprocmask(SIG_SETMASK, &all, &previous);

    pid_t child = fork();
    if (child < 0) {
        perror("hako-init: fork");
        return 1;
    }
    if (child == 0) {
        sigprocmask(SIG_SETMASK, &previous, NULL);
        /* Its own process group, so a terminal's job control sees the command, not the init. */
        setpgid(0, 0);
        if (isatty(STDIN_FILENO)) {
            signal(SIGTTOU, SIG_IGN);
            tcsetpgrp(STDIN_FILENO, getpgrp());
            signal(SIGTTOU, SIG_DFL);
        }
        execvp(argv[first], argv + first);
        int saved = errno;
        fprintf(stderr, "hako-init: exec %s: %s\n", argv[first], strerror(saved));
        _exit(saved == ENOENT ? 127 : 126);
    }
    /* Not pid 1 (pid host): still collect orphans of the command. */
    if (getpid() != 1) prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);

    int exit_status = 0;
    int child_done = 0;
    for (;;) {
        siginfo_t info;
        int signal_number = sigwaitinfo(&all, &info);
        if (signal_number < 0) {
            if (errno == EINTR) continue;
            perror("hako-init: sigwaitinfo");
            return 1;
        }
        if (signal_number != SIGCHLD) {
            if (!child_done) kill(child, signal_number);
            continue;
        }
        for (;;) {
            int status = 0;
            pid_t pid = waitpid(-1, &status, WNOHANG);
            if (pid <= 0) break;
            if (pid == child) {
                child_done = 1;
                if (WIFEXITED(status)) exit_status = WEXITSTATUS(status);
                else if (WIFSIGNALED(status)) exit_status = 128 + WTERMSIG(status);
            }
        }
        if (child_done) return exit_status;
    }
}
