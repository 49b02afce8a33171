/* --commit's owner helper. --diff, --commit and --discard run in a user
 * namespace of their own that maps only the caller's uid and gid, so that
 * the caller's own mode-000 upper files can be read; but there no other
 * id exists: a file cannot be given to one of the caller's supplementary
 * groups, and an upper file of such a group shows the overflow id. So
 * --commit forks before it enters that namespace, and the parent, left
 * with the caller's host credentials, does the chowns the namespace
 * cannot: it gets the target's fd and the upper file's fd over a socket,
 * and gives the target the ids asked for, or the upper file's own real
 * ones where the child saw an id it could not map. */
#include "overlay.h"

#include "error.h"
#include "util.h"

#include <errno.h>
#include <signal.h>
#include <sys/prctl.h>
#include <stdbool.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

struct owner_request
{
  uid_t uid;
  gid_t gid;
  bool uid_of_upper; /* the child saw the upper file's own id: take its real one */
  bool gid_of_upper;
};

/* A request with room for its two fds. */
struct owner_message
{
  struct owner_request req;
  struct iovec iov;
  union
  {
    char buf[CMSG_SPACE (2 * sizeof (int))];
    struct cmsghdr align;
  } control;
  struct msghdr msg;
};

static void
message_init (struct owner_message *m)
{
  memset (m, 0, sizeof *m);
  m->iov = (struct iovec) { .iov_base = &m->req, .iov_len = sizeof m->req };
  m->msg = (struct msghdr) { .msg_iov = &m->iov, .msg_iovlen = 1, .msg_control = m->control.buf,
                             .msg_controllen = sizeof m->control.buf };
}

int
sbx_give_owner (int fd, uid_t uid, gid_t gid)
{
  struct stat there;
  if (fstat (fd, &there) < 0)
    return -errno;
  if (there.st_uid == uid && there.st_gid == gid)
    return 0;
  return fchown (fd, uid, gid) < 0 ? -errno : 1;
}

static int
serve_one (int sock)
{
  struct owner_message m;
  message_init (&m);
  ssize_t n = recvmsg (sock, &m.msg, MSG_CMSG_CLOEXEC);
  if (n <= 0)
    return -1;
  struct cmsghdr *c = CMSG_FIRSTHDR (&m.msg);
  int reply = -EINVAL;
  if (n == sizeof m.req && c != NULL && c->cmsg_type == SCM_RIGHTS && c->cmsg_len == CMSG_LEN (2 * sizeof (int)))
    {
      int fds[2];
      memcpy (fds, CMSG_DATA (c), sizeof fds);
      struct stat upper;
      if (fstat (fds[1], &upper) < 0)
        reply = -errno;
      else
        reply = sbx_give_owner (fds[0], m.req.uid_of_upper ? upper.st_uid : m.req.uid,
                                m.req.gid_of_upper ? upper.st_gid : m.req.gid);
      close (fds[0]);
      close (fds[1]);
    }
  return send (sock, &reply, sizeof reply, MSG_NOSIGNAL) == sizeof reply ? 0 : -1;
}

int
sbx_owner_helper_start (void)
{
  int pair[2];
  if (socketpair (AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) < 0)
    return -1;
  pid_t parent = getpid ();
  pid_t pid = fork ();
  if (pid < 0)
    sbx_die_errno (errno, "fork", "--commit's owner helper");
  if (pid == 0)
    {
      /* The work is the child's, but sbx's status is the parent's: the
       * child ends with it. */
      if (prctl (PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid () != parent)
        _exit (125);
      close (pair[0]);
      return pair[1];
    }
  close (pair[1]);
  while (serve_one (pair[0]) == 0)
    ;
  int status;
  while (waitpid (pid, &status, 0) < 0)
    if (errno != EINTR)
      sbx_die_errno (errno, "wait", "--commit");
  if (WIFSIGNALED (status))
    {
      signal (WTERMSIG (status), SIG_DFL);
      raise (WTERMSIG (status));
      _exit (128 + WTERMSIG (status));
    }
  _exit (WEXITSTATUS (status));
}

/* 1: given, 0: it had those owners already, or -errno. */
int
sbx_owner_helper_chown (int sock, int target, int upper, uid_t uid, gid_t gid, bool uid_of_upper, bool gid_of_upper)
{
  struct owner_message m;
  message_init (&m);
  m.req = (struct owner_request) { uid, gid, uid_of_upper, gid_of_upper };
  struct cmsghdr *c = CMSG_FIRSTHDR (&m.msg);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  c->cmsg_len = CMSG_LEN (2 * sizeof (int));
  int fds[2] = { target, upper };
  memcpy (CMSG_DATA (c), fds, sizeof fds);
  int reply;
  if (sendmsg (sock, &m.msg, MSG_NOSIGNAL) != sizeof m.req || recv (sock, &reply, sizeof reply, 0) != sizeof reply)
    return -EIO;
  return reply;
}
