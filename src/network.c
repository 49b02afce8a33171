/* Stage 3: a new network namespace starts with lo down; bring it up over
 * rtnetlink so that loopback services inside the sandbox work. Then, for
 * --net user and --net allow=, the helper process that connects it. */
#include "stages.h"

#include "error.h"
#include "net.h"
#include "util.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <linux/close_range.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <string.h>
#include <sys/socket.h>

void
sbx_stage_network (const struct sbx_plan *plan)
{
  if (!(plan->namespaces & SBX_NS_NET))
    return;

  struct {
    struct nlmsghdr header;
    struct ifinfomsg info;
  } request = {
    .header = {
      .nlmsg_len = sizeof request,
      .nlmsg_type = RTM_NEWLINK,
      .nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK,
      .nlmsg_seq = 1,
    },
    .info = {
      .ifi_family = AF_UNSPEC,
      .ifi_index = 1,           /* lo is always index 1 in a new namespace */
      .ifi_flags = IFF_UP,
      .ifi_change = IFF_UP,
    },
  };
  autoclose int sock = socket (AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
  if (sock < 0)
    sbx_die_errno (errno, "bring up loopback", "lo");
  struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
  if (sendto (sock, &request, sizeof request, 0, (struct sockaddr *) &kernel, sizeof kernel) < 0)
    sbx_die_errno (errno, "bring up loopback", "lo");

  union {
    struct nlmsghdr header;
    char bytes[512];
  } reply;
  ssize_t n = recv (sock, &reply, sizeof reply, 0);
  if (n < 0)
    sbx_die_errno (errno, "bring up loopback", "lo");
  if ((size_t) n >= sizeof (struct nlmsghdr) + sizeof (struct nlmsgerr)
      && reply.header.nlmsg_type == NLMSG_ERROR)
    {
      const struct nlmsgerr *err = NLMSG_DATA (&reply.header);
      if (err->error != 0)
        sbx_die_errno (-err->error, "bring up loopback", "lo");
    }
}

/* --- the network helper process (see net.h) --------------------------- */

static void
send_reply (int control, const char *error)
{
  const char *msg = error != NULL ? error : "";
  (void) !send (control, msg, strlen (msg) + 1, MSG_NOSIGNAL);
}

static void
open_gate (int gate, int control)
{
  /* sbx sends nothing after "go": anything on CONTROL means it is gone,
   * and then so is the sandbox, which must not run without it. A child
   * already gone is not an error here: sbx_supervise reports how it
   * ended. */
  struct pollfd p = { .fd = control, .events = POLLIN };
  if (poll (&p, 1, 0) == 0)
    (void) !send (gate, "", 1, MSG_NOSIGNAL);
  close (gate);
}

/* The helper: forked before the namespaces, so in the host's network
 * namespace, in its own session so that a terminal's ^C reaches only the
 * sandbox; sbx ends it by closing the socket pair. */
static noreturn void
helper_main (const struct sbx_plan *plan, int control, int log)
{
  setsid ();
  /* Nothing of sbx's reaches pasta or slirp4netns but what they are
   * given on purpose, and the caller's stdin and stdout are let go. */
  syscall (SYS_close_range, 3U, ~0U, CLOSE_RANGE_CLOEXEC);
  int null = open ("/dev/null", O_RDWR | O_CLOEXEC);
  if (null >= 0)
    {
      dup2 (null, 0);
      dup2 (null, 1);
      close (null);
    }
  pid_t sbx_pid = 0;
  int fds[2] = { -1, -1 };      /* the gate's open end, and the proxy's listener */
  char cbuf[CMSG_SPACE (sizeof fds)];
  struct iovec iov = { .iov_base = &sbx_pid, .iov_len = sizeof sbx_pid };
  struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof cbuf };
  ssize_t n;
  do
    n = recvmsg (control, &msg, MSG_CMSG_CLOEXEC);
  while (n < 0 && errno == EINTR);
  if (n != sizeof sbx_pid)
    _exit (0);                  /* sbx gave up before the namespaces */
  struct cmsghdr *cmsg = CMSG_FIRSTHDR (&msg);
  if (cmsg != NULL && cmsg->cmsg_type == SCM_RIGHTS)
    memcpy (fds, CMSG_DATA (cmsg), cmsg->cmsg_len - CMSG_LEN (0));
  int gate = fds[0], listener = fds[1];

  /* Ready: the sandbox's child hears it from us directly, not through
   * sbx, which only needs to know of a failure. */
  if (plan->net_mode == SBX_NET_ALLOW)
    {
      open_gate (gate, control);
      send_reply (control, NULL);
      sbx_net_proxy_run (plan, listener, control, log);
      _exit (0);
    }

  char err[512] = "";
  pid_t backend = sbx_net_user_start (plan, sbx_pid, err, sizeof err);
  if (backend >= 0)
    open_gate (gate, control);
  else
    close (gate);
  send_reply (control, backend < 0 ? err : NULL);
  if (backend < 0)
    _exit (SBX_EXIT_FAILURE);
  struct pollfd p = { .fd = control, .events = POLLIN };
  while (poll (&p, 1, -1) < 0 && errno == EINTR)
    ;
  kill (backend, SIGTERM);
  while (waitpid (backend, NULL, 0) < 0 && errno == EINTR)
    ;
  _exit (0);
}

void
sbx_net_start (const struct sbx_plan *plan, struct sbx_net_helper *helper)
{
  *helper = (struct sbx_net_helper) { .control = -1, .pid = -1, .gate = { -1, -1 } };
  if (!sbx_net_needs_helper (plan))
    return;
  autoclose int log = -1;
  if (plan->net_log != NULL)
    {
      log = open (plan->net_log, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY, 0600);
      if (log < 0)
        sbx_die_errno (errno, "--net-log", plan->net_log);
    }
  int pair[2];
  if (socketpair (AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) < 0)
    sbx_die_errno (errno, "start the network helper", NULL);
  pid_t pid = fork ();
  if (pid < 0)
    sbx_die_errno (errno, "start the network helper", NULL);
  if (pid == 0)
    {
      close (pair[0]);
      helper_main (plan, pair[1], log);
    }
  close (pair[1]);
  helper->control = pair[0];
  helper->pid = pid;
}

/* The proxy's listening socket is made here, by sbx inside the sandbox's
 * network namespace: the sandbox reaches it at 127.0.0.1, while the
 * helper that accepts on it dials out from the host's namespace. */
static int
proxy_listener (void)
{
  int s = socket (AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  struct sockaddr_in addr = {
    .sin_family = AF_INET,
    .sin_port = htons (SBX_NET_PROXY_PORT),
    .sin_addr.s_addr = htonl (INADDR_LOOPBACK),
  };
  if (s < 0 || bind (s, (struct sockaddr *) &addr, sizeof addr) < 0 || listen (s, 128) < 0)
    sbx_die_errno (errno, "start the network proxy", "127.0.0.1");
  return s;
}

void
sbx_net_attach (const struct sbx_plan *plan, struct sbx_net_helper *helper)
{
  if (helper->control < 0)
    return;
  /* A socket pair, not a pipe: a child that died before the gate must not
   * take the helper down with SIGPIPE. */
  if (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, helper->gate) < 0)
    sbx_die_errno (errno, "start the network helper", NULL);
  pid_t self = getpid ();
  struct iovec iov = { .iov_base = &self, .iov_len = sizeof self };
  int fds[2] = { helper->gate[1], -1 };
  size_t n_fds = 1;
  autoclose int listener = -1;
  if (plan->net_mode == SBX_NET_ALLOW)
    fds[n_fds++] = listener = proxy_listener ();
  char cbuf[CMSG_SPACE (sizeof fds)] = { 0 };
  struct msghdr msg = {
    .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = CMSG_SPACE (n_fds * sizeof (int)),
  };
  struct cmsghdr *cmsg = CMSG_FIRSTHDR (&msg);
  cmsg->cmsg_level = SOL_SOCKET;
  cmsg->cmsg_type = SCM_RIGHTS;
  cmsg->cmsg_len = CMSG_LEN (n_fds * sizeof (int));
  memcpy (CMSG_DATA (cmsg), fds, n_fds * sizeof (int));
  if (sendmsg (helper->control, &msg, MSG_NOSIGNAL) < 0)
    sbx_die_errno (errno, "start the network helper", NULL);
  /* The gate's open end is the helper's alone. */
  close (helper->gate[1]);
  helper->gate[1] = -1;
}

int
sbx_net_child_gate (struct sbx_net_helper *helper)
{
  if (helper->control >= 0)
    close (helper->control);
  return helper->gate[0];
}

/* In the child: the command runs only once the network is ready; end of
 * file means the helper failed (sbx says why). */
void
sbx_net_pass_gate (int gate)
{
  if (gate < 0)
    return;
  char byte;
  ssize_t n;
  do
    n = read (gate, &byte, 1);
  while (n < 0 && errno == EINTR);
  if (n != 1)
    _exit (SBX_EXIT_FAILURE);
  close (gate);
}

void
sbx_net_ready (struct sbx_net_helper *helper, pid_t child)
{
  if (helper->control < 0)
    return;
  close (helper->gate[0]);
  helper->gate[0] = -1;
  char reply[512];
  ssize_t n;
  do
    n = recv (helper->control, reply, sizeof reply - 1, 0);
  while (n < 0 && errno == EINTR);
  reply[n > 0 ? n : 0] = '\0';
  if (n > 0 && reply[0] == '\0')
    return;
  kill (child, SIGKILL);
  if (n <= 0)
    sbx_die ("network: the helper exited before the network was ready");
  sbx_die ("network: %s", reply);
}

void
sbx_net_stop (struct sbx_net_helper *helper)
{
  if (helper->control < 0)
    return;
  close (helper->control);
  helper->control = -1;
  while (waitpid (helper->pid, NULL, 0) < 0 && errno == EINTR)
    ;
}
