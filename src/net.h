/* Networking beyond loopback: the --net modes, port forwards, and the
 * allow-list proxy. Parsing and checking live in netplan.c, the helper
 * process in network.c, the user-mode backends in netuser.c and the
 * filtering proxy in netproxy.c.
 *
 * The helper process is forked by sbx before it unshares, so it stays in
 * the host's network namespace. Once the sandbox's namespace exists, sbx
 * sends it "go" over a socket pair; the helper then attaches pasta or
 * slirp4netns to /proc/SBXPID/ns/net (--net user), or serves the proxy on
 * a listening socket that sbx created inside the sandbox's namespace and
 * passed over (--net allow=). It answers once the network is ready, and
 * when the socket pair closes (sbx exited, even by SIGKILL) it stops the
 * backend and exits. */
#ifndef SBX_NET_H
#define SBX_NET_H

#include "parse.h"
#include "plan.h"

/* The sandbox's fixed addresses, the same for both backends (they are
 * slirp4netns's defaults). */
#define SBX_NET_ADDRESS "10.0.2.100"
#define SBX_NET_GATEWAY "10.0.2.2"
#define SBX_NET_DNS "10.0.2.3"
#define SBX_NET_PROXY_PORT 3128

/* netplan.c: option handlers (options.c's table refers to them). */
void sbx_net_handle_mode (struct sbx_parse *ctx, const struct sbx_option *opt, char *const *args);
void sbx_net_handle_option (struct sbx_parse *ctx, const struct sbx_option *opt, char *const *args);
enum { SBX_NETOPT_BACKEND, SBX_NETOPT_PORT, SBX_NETOPT_HOST_LOOPBACK, SBX_NETOPT_DNS,
       SBX_NETOPT_HOSTS_FILE, SBX_NETOPT_LOG };

/* netplan.c: plan_finalize's network part (helper found, ports free,
 * resolv.conf, hosts, proxy environment), and --dry-run's lines. */
void sbx_net_finalize (struct sbx_plan *plan);
void sbx_net_print (const struct sbx_plan *plan, FILE *out);
bool sbx_net_needs_helper (const struct sbx_plan *plan);

/* network.c: the helper process. sbx_net_start forks it before the
 * namespaces exist and returns sbx's end of the socket pair (or -1 when
 * the plan needs none); sbx_net_attach runs after lo is up, inside the
 * sandbox's namespace, and tells the helper to go without waiting for it:
 * pasta's start-up (a good hundred milliseconds, mostly its own) overlaps
 * with the sandbox's. The child takes its end of the gate
 * (sbx_net_child_gate) and waits at it (sbx_net_pass_gate) once its root
 * is built, just before the command; the helper holds the other end and
 * opens the gate itself once the network is ready, one wake-up less than
 * through sbx. sbx, the monitor, hears the outcome in sbx_net_ready: on a
 * failure it kills the child and dies with the helper's message. */
struct sbx_net_helper { int control; pid_t pid; int gate[2]; };
void sbx_net_start (const struct sbx_plan *plan, struct sbx_net_helper *helper);
void sbx_net_attach (const struct sbx_plan *plan, struct sbx_net_helper *helper);
int sbx_net_child_gate (struct sbx_net_helper *helper);
void sbx_net_pass_gate (int gate);
void sbx_net_ready (struct sbx_net_helper *helper, pid_t child);
/* After the sandbox: close the socket pair and wait until the helper and
 * its backend are gone. */
void sbx_net_stop (struct sbx_net_helper *helper);

/* netuser.c: in the helper, attach the backend to process SBX_PID's
 * network namespace; on success returns the backend's pid (our child),
 * else writes a message to ERR and returns -1. */
pid_t sbx_net_user_start (const struct sbx_plan *plan, pid_t sbx_pid, char *err, size_t errlen);

/* netproxy.c: in the helper, serve the allow-list proxy on LISTENER until
 * CONTROL reports hang-up. LOG is an open file or -1. */
void sbx_net_proxy_run (const struct sbx_plan *plan, int listener, int control, int log);

#endif
