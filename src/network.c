/* Stage 3: a new network namespace starts with lo down; bring it up over
 * rtnetlink so that loopback services inside the sandbox work. */
#include "stages.h"

#include "error.h"
#include "util.h"

#include <errno.h>
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
