/* --net user: pasta or slirp4netns, attached from the host's network
 * namespace to the sandbox's, both with the same addresses (sandbox
 * 10.0.2.100/24, gateway 10.0.2.2, DNS forwarder 10.0.2.3). Runs in the
 * network helper process (network.c), which sbx forked before it
 * unshared; the backend is the helper's child, so the helper can stop it.
 *
 * Readiness: pasta, kept in the foreground, writes its pid file only once
 * the interface, addresses, routes and port forwards are set up (we give
 * it a pipe for one); slirp4netns writes to --ready-fd after --configure. Port forwards for slirp4netns go through its API socket. */
#include "net.h"

#include "error.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

struct argv_builder { char *v[64]; size_t n; };

static void
arg (struct argv_builder *a, char *s)
{
  if (a->n + 1 < sizeof a->v / sizeof a->v[0])
    a->v[a->n++] = s;
}

static void
free_args (struct argv_builder *a)
{
  for (size_t i = 0; i < a->n; i++)
    free (a->v[i]);
}

/* The backend's last words on its stderr pipe, for our one-line error;
 * pasta's complaints about a missing syslog are not them. */
static void
last_words (int fd, const char *program, char *err, size_t errlen)
{
  char buf[4096];
  ssize_t n = read (fd, buf, sizeof buf - 1);
  buf[n > 0 ? n : 0] = '\0';
  const char *best = NULL;
  size_t best_len = 0;
  for (char *line = buf, *next; *line; line = next)
    {
      next = line + strcspn (line, "\n");
      size_t len = (size_t) (next - line);
      if (*next)
        *next++ = '\0';
      if (len > 0 && strncmp (line, "Failed to send", 14) != 0)
        best = line, best_len = len;
    }
  if (best != NULL)
    snprintf (err, errlen, "%s: %.*s", program, (int) best_len, best);
  else
    snprintf (err, errlen, "%s exited before the network was ready", program);
}

static pid_t
spawn (char *const *argv, int errfd, const int *keep, size_t n_keep)
{
  pid_t pid = fork ();
  if (pid != 0)
    return pid;
  int null = open ("/dev/null", O_RDWR | O_CLOEXEC);
  dup2 (null, 0);
  dup2 (null, 1);
  dup2 (errfd, 2);
  for (size_t i = 0; i < n_keep; i++)
    fcntl (keep[i], F_SETFD, 0);
  execv (argv[0], argv);
  _exit (127);
}

static pid_t
start_pasta (const struct sbx_plan *plan, pid_t sbx_pid, const int errpipe[2], char *err, size_t errlen)
{
  int pidpipe[2];
  if (pipe2 (pidpipe, O_CLOEXEC) < 0)
    return snprintf (err, errlen, "pipe: %s", strerror (errno)), -1;
  struct argv_builder a = { .n = 0 };
  static const char *const fixed[] = {
    "--config-net", "-f", "-q", "-I", "eth0", "-a", SBX_NET_ADDRESS, "-n", "24", "-g", SBX_NET_GATEWAY,
    "--dns-forward", SBX_NET_DNS, "-T", "none", "-U", "none",
  };
  arg (&a, sbx_xstrdup (plan->net_helper));
  for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++)
    arg (&a, sbx_xstrdup (fixed[i]));
  if (!plan->net_host_loopback)
    arg (&a, sbx_xstrdup ("--no-map-gw"));
  bool tcp = false, udp = false;
  for (size_t i = 0; i < plan->n_net_ports; i++)
    {
      const struct sbx_net_port *p = &plan->net_ports[i];
      arg (&a, sbx_xstrdup (p->udp ? "-u" : "-t"));
      arg (&a, sbx_xasprintf ("%s/%u:%u", p->addr, p->host_port, p->sandbox_port));
      *(p->udp ? &udp : &tcp) = true;
    }
  if (!tcp)
    arg (&a, sbx_xstrdup ("-t")), arg (&a, sbx_xstrdup ("none"));
  if (!udp)
    arg (&a, sbx_xstrdup ("-u")), arg (&a, sbx_xstrdup ("none"));
  arg (&a, sbx_xstrdup ("-P"));
  arg (&a, sbx_xasprintf ("/proc/self/fd/%d", pidpipe[1]));
  arg (&a, sbx_xasprintf ("%d", (int) sbx_pid));
  a.v[a.n] = NULL;
  pid_t pid = spawn (a.v, errpipe[1], &pidpipe[1], 1);
  free_args (&a);
  close (pidpipe[1]);
  autoclose int pidfd = pidpipe[0];
  if (pid < 0)
    return snprintf (err, errlen, "fork: %s", strerror (errno)), -1;
  /* In the foreground, pasta writes its pid file once the interface,
   * addresses, routes and port forwards are set up: that is "ready". It
   * stays our child, and the pipe reads end-of-file if it fails. */
  char buf[32] = "";
  ssize_t n;
  do
    n = read (pidfd, buf, sizeof buf - 1);
  while (n < 0 && errno == EINTR);
  if (n > 0)
    return pid;
  while (waitpid (pid, NULL, 0) < 0 && errno == EINTR)
    ;
  last_words (errpipe[0], "pasta", err, errlen);
  return -1;
}

/* One request on slirp4netns's API socket; NULL on success, else the
 * reply. */
static bool
slirp_api (const char *path, const struct sbx_net_port *p, char *err, size_t errlen)
{
  autoclose int s = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  struct sockaddr_un addr = { .sun_family = AF_UNIX };
  snprintf (addr.sun_path, sizeof addr.sun_path, "%s", path);
  if (s < 0 || connect (s, (struct sockaddr *) &addr, sizeof addr) < 0)
    return snprintf (err, errlen, "slirp4netns: API socket: %s", strerror (errno)), false;
  char req[256];
  int len = snprintf (req, sizeof req,
                      "{\"execute\": \"add_hostfwd\", \"arguments\": {\"proto\": \"%s\", "
                      "\"host_addr\": \"%s\", \"host_port\": %u, \"guest_port\": %u}}",
                      p->udp ? "udp" : "tcp", p->addr, p->host_port, p->sandbox_port);
  char reply[512] = "";
  if (sbx_write_all (s, req, (size_t) len) < 0)
    return snprintf (err, errlen, "slirp4netns: API socket: %s", strerror (errno)), false;
  shutdown (s, SHUT_WR);
  ssize_t n = read (s, reply, sizeof reply - 1);
  reply[n > 0 ? n : 0] = '\0';
  if (strstr (reply, "\"return\"") == NULL)
    return snprintf (err, errlen, "slirp4netns: port %s:%u: %s", p->addr, p->host_port,
                     reply[0] ? reply : "no answer"), false;
  return true;
}

static pid_t
start_slirp (const struct sbx_plan *plan, pid_t sbx_pid, const int errpipe[2], char *err, size_t errlen)
{
  int ready[2], quit[2];
  if (pipe2 (ready, O_CLOEXEC) < 0 || pipe2 (quit, O_CLOEXEC) < 0)
    return snprintf (err, errlen, "pipe: %s", strerror (errno)), -1;
  autofree char *dir = NULL;
  autofree char *api = NULL;
  if (plan->n_net_ports > 0)
    {
      /* A private folder: nobody else may talk to the API. */
      const char *runtime = getenv ("XDG_RUNTIME_DIR");
      dir = sbx_xasprintf ("%s/sbx-slirp-XXXXXX", runtime && runtime[0] == '/' ? runtime : "/tmp");
      if (mkdtemp (dir) == NULL)
        return snprintf (err, errlen, "mkdtemp %s: %s", dir, strerror (errno)), -1;
      api = sbx_xasprintf ("%s/api.sock", dir);
    }
  struct argv_builder a = { .n = 0 };
  arg (&a, sbx_xstrdup (plan->net_helper));
  arg (&a, sbx_xstrdup ("--configure"));
  arg (&a, sbx_xstrdup ("--mtu=65520"));
  if (!plan->net_host_loopback)
    arg (&a, sbx_xstrdup ("--disable-host-loopback"));
  arg (&a, sbx_xasprintf ("--ready-fd=%d", ready[1]));
  arg (&a, sbx_xasprintf ("--exit-fd=%d", quit[0]));
  arg (&a, sbx_xasprintf ("--userns-path=/proc/%d/ns/user", (int) sbx_pid));
  if (api != NULL)
    arg (&a, sbx_xasprintf ("--api-socket=%s", api));
  arg (&a, sbx_xasprintf ("%d", (int) sbx_pid));
  arg (&a, sbx_xstrdup ("eth0"));
  a.v[a.n] = NULL;
  int keep[] = { ready[1], quit[0] };
  pid_t pid = spawn (a.v, errpipe[1], keep, 2);
  free_args (&a);
  close (ready[1]);
  close (quit[0]);
  /* quit[1] stays open in this process, unclosed on purpose: when the
   * helper exits, slirp4netns sees it close and exits too. */
  char byte;
  ssize_t n;
  do
    n = read (ready[0], &byte, 1);
  while (n < 0 && errno == EINTR);
  close (ready[0]);
  bool ok = pid > 0 && n == 1;
  if (!ok)
    last_words (errpipe[0], "slirp4netns", err, errlen);
  for (size_t i = 0; ok && i < plan->n_net_ports; i++)
    ok = slirp_api (api, &plan->net_ports[i], err, errlen);
  if (api != NULL)
    {
      unlink (api);
      rmdir (dir);
    }
  if (ok)
    return pid;
  if (pid > 0)
    {
      kill (pid, SIGTERM);
      waitpid (pid, NULL, 0);
    }
  return -1;
}

pid_t
sbx_net_user_start (const struct sbx_plan *plan, pid_t sbx_pid, char *err, size_t errlen)
{
  int errpipe[2];
  if (pipe2 (errpipe, O_CLOEXEC | O_NONBLOCK) < 0)
    return snprintf (err, errlen, "pipe: %s", strerror (errno)), -1;
  pid_t pid = plan->net_backend == SBX_NET_BACKEND_PASTA
    ? start_pasta (plan, sbx_pid, errpipe, err, errlen)
    : start_slirp (plan, sbx_pid, errpipe, err, errlen);
  close (errpipe[1]);
  /* On success the read end stays open for the helper's lifetime: a
   * backend that writes to a pipe nobody reads would die of SIGPIPE. */
  if (pid < 0)
    close (errpipe[0]);
  return pid;
}
