/*
 * shipgate-spawner: starts gate commands for shipgate from a process small enough to fork cheaply.
 *
 * Why it exists: Node forks its whole address space for every child (page tables of a process of
 * a hundred megabytes, on shipgate's main thread), which made starting a `true` gate cost several
 * times what the command itself costs. This helper is a few hundred kilobytes; it clones each
 * command straight into the cell's cgroup (clone3 with CLONE_INTO_CGROUP, Linux >= 5.7), so the
 * kernel tracks the command from its first instruction and no shell prologue has to move it there.
 *
 * Protocol, over the two sockets libuv gives a child as stdin and stdout (sockets, not pipes: a
 * same-user process cannot open them again through /proc/PID/fd, and this process is not dumpable
 * either, so no gate can forge an exit status by writing into them):
 *   request  (stdin):  'S' u32 id u32 len, then len bytes of NUL-terminated strings:
 *                      cgroup-dir, cwd, file, argc, argv..., envc, env...
 *   replies (stdout):  'P' id 4 pid | 'E' id len message | 'O' id len bytes | 'C' id 0 | 'X' id 4 status
 *                      (started, could not start, output, output closed, exited with wait status)
 * Integers are little-endian. Standard output and error of a command share one socket, read here and
 * forwarded as 'O' frames, so shipgate masks secrets in them as before.
 *
 * When stdin reaches EOF — shipgate is done, or gone however it ended, even by SIGKILL: the kernel
 * closes its end — nobody would read another frame. Started as `shipgate-spawner --then CMD…`, it
 * then becomes CMD (shipgate's watchdog, which sweeps the run: containment.ts), so the watchdog
 * costs nothing while the run runs; otherwise it exits. The commands it started are not its to stop.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef SYS_clone3
#define SYS_clone3 435
#endif
#ifndef SYS_close_range
#define SYS_close_range 436
#endif
#define SG_CLONE_INTO_CGROUP 0x200000000ULL
#define SG_CLOSE_RANGE_CLOEXEC 4U

/* struct clone_args as of Linux 5.7 (the first with a cgroup field); spelled out so that older
 * headers build it too. */
struct sg_clone_args {
  uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls, set_tid, set_tid_size, cgroup;
};

struct child {
  uint32_t id;
  pid_t pid;
  int out;     /* read end of the command's output pipe, -1 once closed */
  int exited;  /* 'X' sent */
};

static struct child *kids;
static size_t nkids, capkids;
static int clone3_works = 1;

static void die(const char *what) {
  fprintf(stderr, "shipgate-spawner: %s: %s\n", what, strerror(errno));
  _exit(70);
}

static void write_all(int fd, const void *buf, size_t len) {
  const char *p = buf;
  while (len > 0) {
    ssize_t n = write(fd, p, len);
    if (n < 0) {
      if (errno == EINTR) continue;
      _exit(0); /* shipgate is gone: nothing to report to */
    }
    p += n;
    len -= (size_t)n;
  }
}

static void put32(unsigned char *b, uint32_t v) {
  b[0] = v & 0xff; b[1] = (v >> 8) & 0xff; b[2] = (v >> 16) & 0xff; b[3] = (v >> 24) & 0xff;
}

static uint32_t get32(const unsigned char *b) {
  return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

static void reply(char type, uint32_t id, const void *data, uint32_t len) {
  unsigned char head[9];
  head[0] = (unsigned char)type;
  put32(head + 1, id);
  put32(head + 5, len);
  write_all(1, head, sizeof head);
  if (len > 0) write_all(1, data, len);
}

static void reply32(char type, uint32_t id, uint32_t v) {
  unsigned char b[4];
  put32(b, v);
  reply(type, id, b, 4);
}

static void reply_error(uint32_t id, const char *fmt, const char *arg, int err) {
  char msg[1024];
  snprintf(msg, sizeof msg, fmt, arg, strerror(err));
  reply('E', id, msg, (uint32_t)strlen(msg));
}

/* In the child, before exec: report errno through the error pipe and end. */
static void child_fail(int errfd, int stage) {
  int v[2] = {stage, errno};
  ssize_t ignored = write(errfd, v, sizeof v);
  (void)ignored;
  _exit(127);
}

enum { STAGE_CGROUP = 1, STAGE_CHDIR, STAGE_EXEC, STAGE_SETUP };

static pid_t start_child(const char *cgroup, const char *cwd, const char *file, char **argv, char **envp, int outw, int errw) {
  int cgfd = -1;
  pid_t pid = -1;
  if (cgroup[0] != '\0' && clone3_works) {
    cgfd = open(cgroup, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (cgfd >= 0) {
      struct sg_clone_args args;
      memset(&args, 0, sizeof args);
      args.flags = SG_CLONE_INTO_CGROUP;
      args.exit_signal = SIGCHLD;
      args.cgroup = (uint64_t)cgfd;
      pid = (pid_t)syscall(SYS_clone3, &args, sizeof args);
      if (pid < 0 && (errno == ENOSYS || errno == E2BIG || errno == EINVAL)) {
        clone3_works = 0; /* an older kernel: fork and enter the cgroup by hand */
      } else if (pid < 0) {
        int e = errno;
        close(cgfd);
        errno = e;
        return -1;
      }
    }
  }
  int entered = pid >= 0;
  if (pid < 0) pid = fork();
  if (pid < 0) {
    int e = errno;
    if (cgfd >= 0) close(cgfd);
    errno = e;
    return -1;
  }
  if (pid == 0) {
    if (cgroup[0] != '\0' && !entered) {
      char path[4096];
      snprintf(path, sizeof path, "%s/cgroup.procs", cgroup);
      int fd = open(path, O_WRONLY | O_CLOEXEC);
      if (fd < 0 || write(fd, "0", 1) != 1) child_fail(errw, STAGE_CGROUP);
      close(fd);
    }
    /* Its own session and process group, like Node's detached: true. */
    if (setsid() < 0) child_fail(errw, STAGE_SETUP);
    /* What this helper ignores or blocks must not be inherited. */
    struct sigaction dfl;
    memset(&dfl, 0, sizeof dfl);
    dfl.sa_handler = SIG_DFL;
    for (int s = 1; s < NSIG; s++) sigaction(s, &dfl, NULL);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    int devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (devnull < 0 || dup2(devnull, 0) < 0 || dup2(outw, 1) < 0 || dup2(outw, 2) < 0) child_fail(errw, STAGE_SETUP);
    /* Every other descriptor closes at exec, whatever opened it. */
    syscall(SYS_close_range, 3U, ~0U, SG_CLOSE_RANGE_CLOEXEC);
    if (chdir(cwd) < 0) child_fail(errw, STAGE_CHDIR);
    execve(file, argv, envp);
    child_fail(errw, STAGE_EXEC);
  }
  if (cgfd >= 0) close(cgfd);
  return pid;
}

static struct child *find_pid(pid_t pid) {
  for (size_t i = 0; i < nkids; i++)
    if (kids[i].pid == pid) return &kids[i];
  return NULL;
}

static void forget_done(void) {
  size_t j = 0;
  for (size_t i = 0; i < nkids; i++)
    if (!(kids[i].exited && kids[i].out < 0)) kids[j++] = kids[i];
  nkids = j;
}

/* Split a request's payload into its strings; NULL when it is malformed. */
static char **split(char *p, char *end, size_t *count) {
  size_t n = 0;
  for (char *q = p; q < end; q++)
    if (*q == '\0') n++;
  if (n == 0 || end[-1] != '\0') return NULL;
  char **out = calloc(n + 1, sizeof *out);
  if (!out) die("out of memory");
  size_t k = 0;
  for (char *q = p; q < end; q += strlen(q) + 1) out[k++] = q;
  *count = n;
  return out;
}

static void spawn_request(uint32_t id, char *payload, uint32_t len) {
  size_t n = 0;
  char **s = split(payload, payload + len, &n);
  /* cgroup, cwd, file, argc, argv..., envc, env... */
  if (!s || n < 5) {
    reply('E', id, "malformed request", 17);
    free(s);
    return;
  }
  size_t argc = strtoul(s[3], NULL, 10);
  if (argc == 0 || 4 + argc >= n) {
    reply('E', id, "malformed request", 17);
    free(s);
    return;
  }
  size_t envc = strtoul(s[4 + argc], NULL, 10);
  if (5 + argc + envc != n) {
    reply('E', id, "malformed request", 17);
    free(s);
    return;
  }
  char **argv = calloc(argc + 1, sizeof *argv);
  char **envp = calloc(envc + 1, sizeof *envp);
  if (!argv || !envp) die("out of memory");
  for (size_t i = 0; i < argc; i++) argv[i] = s[4 + i];
  for (size_t i = 0; i < envc; i++) envp[i] = s[5 + argc + i];

  int out[2], err[2];
  /* A socket pair, as libuv gives Node's children: unlike a pipe, a socket cannot be opened again
   * through /proc/PID/fd, so no other command can write into this one's output. */
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, out) < 0) {
    reply_error(id, "cannot make a pipe for %s: %s", s[2], errno);
    goto done;
  }
  if (pipe2(err, O_CLOEXEC) < 0) {
    reply_error(id, "cannot make a pipe for %s: %s", s[2], errno);
    close(out[0]);
    close(out[1]);
    goto done;
  }
  pid_t pid = start_child(s[0], s[1], s[2], argv, envp, out[1], err[1]);
  int e = errno;
  close(out[1]);
  close(err[1]);
  if (pid < 0) {
    close(out[0]);
    close(err[0]);
    reply_error(id, "cannot start %s: %s", s[2], e);
    goto done;
  }
  /* Wait for exec (the error pipe closes) or for the reason it failed. */
  int v[2];
  ssize_t got;
  do got = read(err[0], v, sizeof v); while (got < 0 && errno == EINTR);
  close(err[0]);
  if (got == (ssize_t)sizeof v) {
    close(out[0]);
    waitpid(pid, NULL, 0);
    if (v[0] == STAGE_CGROUP)
      reply_error(id, "shipgate: cannot enter the cgroup %s (%s); refusing to run uncontained [RUN_CONTAIN_FAILED]", s[0], v[1]);
    else if (v[0] == STAGE_CHDIR)
      reply_error(id, "cannot change into %s: %s", s[1], v[1]);
    else
      reply_error(id, "cannot start %s: %s", s[2], v[1]);
    goto done;
  }
  if (nkids == capkids) {
    capkids = capkids ? capkids * 2 : 16;
    kids = realloc(kids, capkids * sizeof *kids);
    if (!kids) die("out of memory");
  }
  kids[nkids++] = (struct child){.id = id, .pid = pid, .out = out[0], .exited = 0};
  reply32('P', id, (uint32_t)pid);
done:
  free(argv);
  free(envp);
  free(s);
}

static void reap(void) {
  int status;
  pid_t pid;
  while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
    struct child *c = find_pid(pid);
    if (!c) continue;
    c->exited = 1;
    reply32('X', c->id, (uint32_t)status);
  }
}

/* shipgate is gone or done: become the watchdog, with nothing of this process's state. */
static void become(char **then) {
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, NULL);
  signal(SIGPIPE, SIG_DFL);
  int devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
  if (devnull >= 0) {
    dup2(devnull, 1);
    dup2(devnull, 2);
  }
  /* stdin stays: the socket at EOF, which tells the watchdog that shipgate has ended. */
  fcntl(0, F_SETFD, 0);
  execv(then[0], then);
  _exit(71);
}

int main(int argc, char **argv) {
  char **then = argc > 2 && strcmp(argv[1], "--then") == 0 ? argv + 2 : NULL;
  /* No same-user process may read its memory or reopen its descriptors (an exit status forged into
   * its socket). Not tied to shipgate's life by PDEATHSIG: it must outlive a killed shipgate to
   * become the watchdog. */
  prctl(PR_SET_DUMPABLE, 0);
  /* Whatever shipgate's parent let it inherit without CLOEXEC is nobody's business here, and a
   * descriptor kept open would be one a command could reach through /proc. */
  if (syscall(SYS_close_range, 3U, ~0U, 0U) < 0) {
    long max = sysconf(_SC_OPEN_MAX);
    for (long fd = 3; fd < (max > 0 && max < 65536 ? max : 65536); fd++) close((int)fd);
  }
  /* Interrupts are shipgate's to handle: it stops the cells, and this helper reports how they ended. */
  signal(SIGINT, SIG_IGN);
  signal(SIGQUIT, SIG_IGN);
  signal(SIGTERM, SIG_IGN);
  signal(SIGHUP, SIG_IGN);
  signal(SIGTSTP, SIG_IGN);
  signal(SIGPIPE, SIG_IGN);
  sigset_t chld;
  sigemptyset(&chld);
  sigaddset(&chld, SIGCHLD);
  if (sigprocmask(SIG_BLOCK, &chld, NULL) < 0) die("sigprocmask");
  int sfd = signalfd(-1, &chld, SFD_CLOEXEC | SFD_NONBLOCK);
  if (sfd < 0) die("signalfd");
  fcntl(0, F_SETFD, FD_CLOEXEC);
  fcntl(1, F_SETFD, FD_CLOEXEC);
  /* libuv hands its end non-blocking; this side reads and writes blocking. */
  fcntl(0, F_SETFL, fcntl(0, F_GETFL) & ~O_NONBLOCK);
  fcntl(1, F_SETFL, fcntl(1, F_GETFL) & ~O_NONBLOCK);

  size_t cap = 1 << 16, have = 0;
  unsigned char *in = malloc(cap);
  static char buf[65536];
  struct pollfd *fds = NULL;
  size_t capfds = 0;
  int input_open = 1;
  if (!in) die("out of memory");

  while (input_open) {
    if (capfds < nkids + 2) {
      capfds = nkids + 16;
      fds = realloc(fds, capfds * sizeof *fds);
      if (!fds) die("out of memory");
    }
    size_t nf = 0;
    fds[nf++] = (struct pollfd){.fd = sfd, .events = POLLIN};
    fds[nf++] = (struct pollfd){.fd = 0, .events = POLLIN};
    for (size_t i = 0; i < nkids; i++) fds[nf++] = (struct pollfd){.fd = kids[i].out, .events = POLLIN};
    if (poll(fds, nf, -1) < 0) {
      if (errno == EINTR) continue;
      die("poll");
    }
    /* Output before exits, so that a command's last words reach its log before its 'X'. */
    for (size_t i = 2; i < nf; i++) {
      if (!fds[i].revents) continue;
      struct child *c = &kids[i - 2];
      ssize_t n = read(c->out, buf, sizeof buf);
      if (n > 0) {
        reply('O', c->id, buf, (uint32_t)n);
      } else if (n == 0 || (errno != EINTR && errno != EAGAIN)) {
        close(c->out);
        c->out = -1;
        reply('C', c->id, NULL, 0);
      }
    }
    if (fds[0].revents) {
      struct signalfd_siginfo si;
      while (read(sfd, &si, sizeof si) == (ssize_t)sizeof si) {
      }
      reap();
    }
    if (fds[1].revents) {
      if (have == cap) {
        cap *= 2;
        in = realloc(in, cap);
        if (!in) die("out of memory");
      }
      ssize_t n = read(0, in + have, cap - have);
      if (n == 0 || (n < 0 && errno != EINTR && errno != EAGAIN)) {
        input_open = 0;
      } else if (n > 0) {
        have += (size_t)n;
        size_t off = 0;
        while (have - off >= 9) {
          uint32_t id = get32(in + off + 1), len = get32(in + off + 5);
          if (in[off] != 'S' || len > (64U << 20)) {
            fprintf(stderr, "shipgate-spawner: malformed request\n");
            _exit(65);
          }
          if (have - off - 9 < len) break;
          spawn_request(id, (char *)in + off + 9, len);
          off += 9 + len;
        }
        memmove(in, in + off, have - off);
        have -= off;
        /* Room for the whole of a large request (a big environment). */
        if (have >= 9) {
          size_t need = 9 + get32(in + 5);
          while (cap < need) cap *= 2;
          in = realloc(in, cap);
          if (!in) die("out of memory");
        }
      }
    }
    forget_done();
  }
  if (then) become(then);
  return 0;
}
