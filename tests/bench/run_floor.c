// This file is the floor of `hako container run --rm --network none IMG true`: the
// fewest system calls a container needs (cgroup v1 dirs, overlay, namespaces,
// pivot_root, proc/dev/devpts/sys, six device nodes, exec, wait, clean-up) with
// no state, records or monitor. tests/bench/run_floor.sh builds and times it.
//
// usage: run_floor LOWERDIR SCRATCHDIR [COMMAND]   (as root; COMMAND default /bin/true)
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

static const char* controllers[] = {"memory", "cpu", "pids"};

static void die(const char* what, const char* path) {
    fprintf(stderr, "run_floor: %s %s: %s\n", what, path ? path : "", strerror(errno));
    exit(125);
}

static void write_text(const char* path, const char* text) {
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0 || write(fd, text, strlen(text)) < 0) die("write", path);
    close(fd);
}

static int remove_entry(const char* path, const struct stat* st, int type, struct FTW* ftw) {
    (void)st, (void)type, (void)ftw;
    return remove(path);
}

struct child_args {
    const char* rootfs;
    const char* command;
};

// The container's init: private mounts, its own /proc, /dev, /sys, pivot_root, exec.
static int child(const struct child_args* a) {
    char path[4096];
    if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0) die("make-rprivate", "/");
    if (mount(a->rootfs, a->rootfs, NULL, MS_BIND | MS_REC, NULL) != 0) die("bind", a->rootfs);
    if (chdir(a->rootfs) != 0) die("chdir", a->rootfs);
    if (mount("proc", "proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) != 0) die("mount", "proc");
    if (mount("tmpfs", "dev", "tmpfs", MS_NOSUID | MS_STRICTATIME, "mode=755,size=65536k") != 0) die("mount", "dev");
    static const struct { const char* name; unsigned major, minor; } nodes[] = {
        {"dev/null", 1, 3}, {"dev/zero", 1, 5}, {"dev/full", 1, 7},
        {"dev/random", 1, 8}, {"dev/urandom", 1, 9}, {"dev/tty", 5, 0}};
    for (size_t i = 0; i < sizeof nodes / sizeof nodes[0]; ++i) {
        if (mknod(nodes[i].name, S_IFCHR | 0666, makedev(nodes[i].major, nodes[i].minor)) != 0)
            die("mknod", nodes[i].name);
    }
    mkdir("dev/pts", 0755);
    if (mount("devpts", "dev/pts", "devpts", MS_NOSUID | MS_NOEXEC, "newinstance,ptmxmode=0666,mode=0620") != 0)
        die("mount", "devpts");
    if (mount("sysfs", "sys", "sysfs", MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_RDONLY, NULL) != 0) die("mount", "sys");
    if (syscall(SYS_pivot_root, ".", ".") != 0) die("pivot_root", a->rootfs);
    if (umount2(".", MNT_DETACH) != 0) die("umount", "old root");
    if (chdir("/") != 0) die("chdir", "/");
    if (sethostname("floor", 5) != 0) die("sethostname", NULL);
    snprintf(path, sizeof path, "%s", a->command);
    char* argv[] = {path, NULL};
    char* envp[] = {"PATH=/bin:/usr/bin", NULL};
    execve(path, argv, envp);
    die("execve", path);
    return 127;
}

int main(int argc, char** argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: run_floor LOWERDIR SCRATCHDIR [COMMAND]\n");
        return 2;
    }
    const char* lower = argv[1];
    const char* scratch = argv[2];
    struct child_args a = {NULL, argc > 3 ? argv[3] : "/bin/true"};
    char upper[4096], work[4096], rootfs[4096], data[12288], cg[3][256];
    snprintf(upper, sizeof upper, "%s/upper", scratch);
    snprintf(work, sizeof work, "%s/work", scratch);
    snprintf(rootfs, sizeof rootfs, "%s/rootfs", scratch);
    if (mkdir(upper, 0755) != 0 || mkdir(work, 0700) != 0 || mkdir(rootfs, 0755) != 0) die("mkdir", scratch);
    snprintf(data, sizeof data, "lowerdir=%s,upperdir=%s,workdir=%s,volatile", lower, upper, work);
    if (mount("overlay", rootfs, "overlay", 0, data) != 0) die("mount overlay", rootfs);
    a.rootfs = rootfs;

    for (int i = 0; i < 3; ++i) {
        snprintf(cg[i], sizeof cg[i], "/sys/fs/cgroup/%s/run_floor_%d", controllers[i], (int)getpid());
        if (mkdir(cg[i], 0755) != 0) die("mkdir", cg[i]);
    }
    pid_t pid = (pid_t)syscall(SYS_clone, CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWPID | CLONE_NEWNET | SIGCHLD,
                               NULL, NULL, NULL, NULL);
    if (pid < 0) die("clone", NULL);
    if (pid == 0) {
        // Joins the cgroups from inside (its host pid is getpid() of the parent's view: write "0").
        for (int i = 0; i < 3; ++i) {
            char procs[320];
            snprintf(procs, sizeof procs, "%.255s/cgroup.procs", cg[i]);
            write_text(procs, "0");
        }
        _exit(child(&a));
    }
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    for (int i = 0; i < 3; ++i)
        if (rmdir(cg[i]) != 0) die("rmdir", cg[i]);
    if (umount2(rootfs, MNT_DETACH) != 0) die("umount", rootfs);
    // The container's upper layer and overlay work dir go, as --rm removes them.
    if (nftw(upper, remove_entry, 16, FTW_DEPTH | FTW_PHYS) != 0 || nftw(work, remove_entry, 16, FTW_DEPTH | FTW_PHYS) != 0 ||
        rmdir(rootfs) != 0)
        die("remove", scratch);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
