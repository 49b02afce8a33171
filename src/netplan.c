/* The network options: parsed into the plan, checked by plan_finalize
 * (the helper is installed, the host ports are free), shown by --dry-run. */
#include "net.h"

#include "error.h"
#include "util.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *
keep (struct sbx_parse *ctx, const char *s)
{
  return plan_own (ctx->plan, sbx_xstrdup (s));
}

/* A domain for the allow-list: letters, digits, '-' and '.', with an
 * optional leading "*." for its subdomains. */
static bool
valid_domain (const char *d)
{
  if (strncmp (d, "*.", 2) == 0)
    d += 2;
  if (*d == '\0' || *d == '.' || strlen (d) > 253)
    return false;
  for (; *d; d++)
    if (!isalnum ((unsigned char) *d) && *d != '-' && *d != '.')
      return false;
  return true;
}

/* A port number, 1 to 65535 in decimal; 0 if TEXT is not one. */
static unsigned
port_number (const char *text)
{
  char *end = NULL;
  errno = 0;
  unsigned long n = isdigit ((unsigned char) text[0]) ? strtoul (text, &end, 10) : 0;
  if (end == NULL || *end != '\0' || errno != 0 || n > 65535)
    return 0;
  return (unsigned) n;
}

/* allow=DOMAIN[:PORT][,DOMAIN[:PORT]...] */
static void
parse_allow (struct sbx_parse *ctx, const struct sbx_option *opt, const char *list)
{
  struct sbx_plan *plan = ctx->plan;
  autofree char *copy = sbx_xstrdup (list);
  char *save = NULL;
  plan->n_net_allow = 0;
  for (char *d = strtok_r (copy, ",", &save); d != NULL; d = strtok_r (NULL, ",", &save))
    {
      struct sbx_net_allow entry = { .port = 0 };
      char *colon = strchr (d, ':');
      if (colon != NULL)
        {
          *colon = '\0';
          const char *text = colon + 1;
          entry.port = port_number (text);
          if (entry.port == 0)
            sbx_parse_error (ctx, opt, "malformed allow-list entry '%s:%s': '%s' is not a port number "
                             "(allow=DOMAIN[:PORT][,DOMAIN[:PORT]...])", d, text, text);
        }
      if (!valid_domain (d))
        sbx_parse_error (ctx, opt, "not a domain name: '%s' (allow=DOMAIN[:PORT][,*.DOMAIN[:PORT]...])", d);
      for (char *c = d; *c; c++)
        *c = (char) tolower ((unsigned char) *c);
      entry.domain = keep (ctx, d);
      plan->net_allow = sbx_xrealloc_array (plan->net_allow, plan->n_net_allow + 1, sizeof *plan->net_allow);
      plan->net_allow[plan->n_net_allow++] = entry;
    }
  if (plan->n_net_allow == 0)
    sbx_parse_error (ctx, opt, "allow= needs at least one domain");
}

void
sbx_net_handle_mode (struct sbx_parse *ctx, const struct sbx_option *opt, char *const *args)
{
  struct sbx_plan *plan = ctx->plan;
  const char *mode = args[0];
  if (strcmp (mode, "none") == 0)
    plan->net_mode = SBX_NET_NONE;
  else if (strcmp (mode, "host") == 0)
    plan->net_mode = SBX_NET_HOST;
  else if (strcmp (mode, "user") == 0)
    plan->net_mode = SBX_NET_USER;
  else if (strncmp (mode, "allow=", 6) == 0)
    {
      parse_allow (ctx, opt, mode + 6);
      plan->net_mode = SBX_NET_ALLOW;
    }
  else
    sbx_parse_error (ctx, opt, "unknown network mode '%s' (none, host, user or allow=DOMAIN[:PORT][,DOMAIN[:PORT]...])", mode);
  if (plan->net_mode == SBX_NET_HOST)
    plan->namespaces &= ~(unsigned) SBX_NS_NET;
  else
    plan->namespaces |= SBX_NS_NET;
}

static unsigned
parse_port (const struct sbx_parse *ctx, const struct sbx_option *opt, const char *text, const char *spec)
{
  unsigned n = port_number (text);
  if (n == 0)
    sbx_parse_error (ctx, opt, "malformed port spec '%s': '%s' is not a port number "
                     "([ADDR:]HOSTPORT:SANDBOXPORT[/tcp|/udp])", spec, text);
  return n;
}

/* [ADDR:]HOSTPORT:SANDBOXPORT[/tcp|/udp], ADDR in brackets for IPv6. */
static void
parse_port_spec (struct sbx_parse *ctx, const struct sbx_option *opt, const char *spec)
{
  struct sbx_net_port port = { .addr = "127.0.0.1" };
  autofree char *s = sbx_xstrdup (spec);
  char *proto = strrchr (s, '/');
  if (proto != NULL)
    {
      *proto++ = '\0';
      if (strcmp (proto, "udp") == 0)
        port.udp = true;
      else if (strcmp (proto, "tcp") != 0)
        sbx_parse_error (ctx, opt, "malformed port spec '%s': unknown protocol '%s' (tcp or udp)", spec, proto);
    }
  char *inner = strrchr (s, ':');
  if (inner == NULL)
    sbx_parse_error (ctx, opt, "malformed port spec '%s' ([ADDR:]HOSTPORT:SANDBOXPORT[/tcp|/udp])", spec);
  *inner++ = '\0';
  char *outer = strrchr (s, ':');
  char *host = s;
  if (outer != NULL && (s[0] != '[' || outer > strchr (s, ']')))
    {
      *outer++ = '\0';
      char *addr = s;
      host = outer;
      size_t len = strlen (addr);
      if (addr[0] == '[' && len > 2 && addr[len - 1] == ']')
        {
          addr[len - 1] = '\0';
          addr++;
        }
      unsigned char bin[16];
      if (strlen (addr) >= sizeof port.addr
          || (inet_pton (AF_INET, addr, bin) != 1 && inet_pton (AF_INET6, addr, bin) != 1))
        sbx_parse_error (ctx, opt, "malformed port spec '%s': '%s' is not an IP address", spec, addr);
      strcpy (port.addr, addr);
    }
  port.host_port = parse_port (ctx, opt, host, spec);
  port.sandbox_port = parse_port (ctx, opt, inner, spec);
  struct sbx_plan *plan = ctx->plan;
  plan->net_ports = sbx_xrealloc_array (plan->net_ports, plan->n_net_ports + 1, sizeof *plan->net_ports);
  plan->net_ports[plan->n_net_ports++] = port;
}

void
sbx_net_handle_option (struct sbx_parse *ctx, const struct sbx_option *opt, char *const *args)
{
  struct sbx_plan *plan = ctx->plan;
  switch (opt->data)
    {
    case SBX_NETOPT_BACKEND:
      if (strcmp (args[0], "pasta") == 0)
        plan->net_backend = SBX_NET_BACKEND_PASTA;
      else if (strcmp (args[0], "slirp4netns") == 0)
        plan->net_backend = SBX_NET_BACKEND_SLIRP4NETNS;
      else
        sbx_parse_error (ctx, opt, "unknown network backend '%s' (pasta or slirp4netns)", args[0]);
      break;
    case SBX_NETOPT_PORT:
      parse_port_spec (ctx, opt, args[0]);
      break;
    case SBX_NETOPT_HOST_LOOPBACK:
      plan->net_host_loopback = true;
      break;
    case SBX_NETOPT_DNS:
      {
        unsigned char bin[16];
        if (inet_pton (AF_INET, args[0], bin) != 1 && inet_pton (AF_INET6, args[0], bin) != 1)
          sbx_parse_error (ctx, opt, "not an IP address: '%s'", args[0]);
        plan->net_dns = keep (ctx, args[0]);
        break;
      }
    case SBX_NETOPT_HOSTS_FILE:
      plan->net_hosts_file = keep (ctx, args[0]);
      break;
    case SBX_NETOPT_LOG:
      plan->net_log = keep (ctx, args[0]);
      break;
    }
}

/* The program's path if it is on PATH, else NULL. */
static char *
find_program (const char *program)
{
  const char *path = getenv ("PATH");
  autofree char *copy = sbx_xstrdup (path ? path : "/usr/local/bin:/usr/bin:/bin");
  char *save = NULL;
  for (char *dir = strtok_r (copy, ":", &save); dir; dir = strtok_r (NULL, ":", &save))
    {
      char *candidate = sbx_xasprintf ("%s/%s", dir, program);
      if (access (candidate, X_OK) == 0)
        return candidate;
      free (candidate);
    }
  return NULL;
}

static void
choose_helper (struct sbx_plan *plan)
{
  static const char *const package[] = {
    [SBX_NET_BACKEND_PASTA] = "passt", [SBX_NET_BACKEND_SLIRP4NETNS] = "slirp4netns",
  };
  static const char *const program[] = {
    [SBX_NET_BACKEND_PASTA] = "pasta", [SBX_NET_BACKEND_SLIRP4NETNS] = "slirp4netns",
  };
  char *found = NULL;
  if (plan->net_backend != SBX_NET_BACKEND_AUTO)
    {
      found = find_program (program[plan->net_backend]);
      if (found == NULL)
        sbx_die ("--net user: %s is not installed (install the Debian package %s)",
                 program[plan->net_backend], package[plan->net_backend]);
    }
  else if ((found = find_program ("pasta")) != NULL)
    plan->net_backend = SBX_NET_BACKEND_PASTA;
  else if ((found = find_program ("slirp4netns")) != NULL)
    plan->net_backend = SBX_NET_BACKEND_SLIRP4NETNS;
  else
    sbx_die ("--net user: neither pasta nor slirp4netns is installed "
             "(install the Debian package passt, or slirp4netns)");
  plan->net_helper = plan_own (plan, found);
}

/* A forward's host port must be free now: the backend would fail later,
 * or (pasta) only warn. Nothing is left bound. */
static void
check_port_free (const struct sbx_net_port *port)
{
  union { struct sockaddr sa; struct sockaddr_in in; struct sockaddr_in6 in6; } addr = { 0 };
  socklen_t len;
  if (inet_pton (AF_INET, port->addr, &addr.in.sin_addr) == 1)
    {
      addr.in.sin_family = AF_INET;
      addr.in.sin_port = htons ((uint16_t) port->host_port);
      len = sizeof addr.in;
    }
  else
    {
      inet_pton (AF_INET6, port->addr, &addr.in6.sin6_addr);
      addr.in6.sin6_family = AF_INET6;
      addr.in6.sin6_port = htons ((uint16_t) port->host_port);
      len = sizeof addr.in6;
    }
  autoclose int s = socket (addr.sa.sa_family, (port->udp ? SOCK_DGRAM : SOCK_STREAM) | SOCK_CLOEXEC, 0);
  int one = 1;
  if (s < 0 || setsockopt (s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0)
    sbx_die_errno (errno, "--port: check the host port", port->addr);
  if (bind (s, &addr.sa, len) < 0)
    {
      if (errno == EADDRINUSE)
        sbx_die ("--port: %s:%u/%s: host port already in use", port->addr, port->host_port,
                 port->udp ? "udp" : "tcp");
      sbx_die_errno (errno, "--port: bind the host port", port->addr);
    }
}

/* A file with TEXT, for a bind-data operation. */
static int
data_fd (const char *name, const char *text)
{
  int fd = memfd_create (name, MFD_CLOEXEC);
  if (fd < 0 || sbx_write_all (fd, text, strlen (text)) < 0 || lseek (fd, 0, SEEK_SET) < 0)
    sbx_die_errno (errno, "create", name);
  return fd;
}

void
sbx_net_finalize (struct sbx_plan *plan)
{
  /* A later --share-net or --unshare-net overrides none and host, as the
   * last word wins elsewhere; user and allow= cannot work without their
   * own namespace, so a --share-net after them is a contradiction. */
  bool own_ns = (plan->namespaces & SBX_NS_NET) != 0;
  if ((plan->net_mode == SBX_NET_USER || plan->net_mode == SBX_NET_ALLOW) && !own_ns)
    sbx_die ("--net %s: needs its own network namespace, which a later --share-net undid",
             plan->net_mode == SBX_NET_USER ? "user" : "allow=");
  if ((plan->net_mode == SBX_NET_NONE && !own_ns) || (plan->net_mode == SBX_NET_HOST && own_ns))
    plan->net_mode = SBX_NET_UNSET;
  bool user = plan->net_mode == SBX_NET_USER;
  if (!user && plan->net_backend != SBX_NET_BACKEND_AUTO)
    sbx_die ("--net-backend: needs --net user");
  if (!user && plan->n_net_ports > 0)
    sbx_die ("--port: needs --net user");
  if (!user && plan->net_host_loopback)
    sbx_die ("--host-loopback: needs --net user");
  if (plan->net_mode != SBX_NET_ALLOW && plan->net_log != NULL)
    sbx_die ("--net-log: needs --net allow=DOMAIN[,DOMAIN...]");
  if (user)
    {
      choose_helper (plan);
      for (size_t i = 0; i < plan->n_net_ports; i++)
        check_port_free (&plan->net_ports[i]);
    }

  const char *dns = plan->net_dns != NULL ? plan->net_dns : user ? SBX_NET_DNS : NULL;
  if (dns != NULL)
    {
      autofree char *text = sbx_xasprintf ("# written by sbx\nnameserver %s\n", dns);
      struct sbx_fs_op *op = plan_add_fs_op (plan, SBX_FS_RO_BIND_DATA);
      op->fd = data_fd ("resolv.conf", text);
      op->dest = "/etc/resolv.conf";
      op->perms = 0644;
    }
  if (plan->net_hosts_file != NULL)
    {
      struct stat st;
      if (stat (plan->net_hosts_file, &st) < 0)
        sbx_die_errno (errno, "--hosts-file", plan->net_hosts_file);
      if (!S_ISREG (st.st_mode))
        sbx_die ("--hosts-file: %s: not a regular file", plan->net_hosts_file);
      struct sbx_fs_op *op = plan_add_fs_op (plan, SBX_FS_RO_BIND);
      op->source = plan->net_hosts_file;
      op->dest = "/etc/hosts";
    }
  if (plan->net_mode == SBX_NET_ALLOW)
    {
      /* Programs find the proxy through the usual variables; the
       * sandbox's own loopback is not the host's, so it is never proxied. */
      autofree char *url = sbx_xasprintf ("http://127.0.0.1:%d", SBX_NET_PROXY_PORT);
      static const char *const names[] = { "http_proxy", "https_proxy", "HTTPS_PROXY" };
      for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        plan_add_env_op (plan, SBX_ENV_SET, names[i], plan_own (plan, sbx_xstrdup (url)));
      plan_add_env_op (plan, SBX_ENV_SET, "no_proxy", "localhost,127.0.0.1,::1");
      plan_add_env_op (plan, SBX_ENV_SET, "NO_PROXY", "localhost,127.0.0.1,::1");
    }
}

bool
sbx_net_needs_helper (const struct sbx_plan *plan)
{
  return plan->net_mode == SBX_NET_USER || plan->net_mode == SBX_NET_ALLOW;
}

void
sbx_net_print (const struct sbx_plan *plan, FILE *out)
{
  switch (plan->net_mode)
    {
    case SBX_NET_UNSET:
      return;
    case SBX_NET_NONE:
      fputs ("network: none (lo only)\n", out);
      return;
    case SBX_NET_HOST:
      fputs ("network: host\n", out);
      return;
    case SBX_NET_USER:
      fprintf (out, "network: user %s address=%s gateway=%s host-loopback=%s\n", plan->net_helper,
               SBX_NET_ADDRESS, SBX_NET_GATEWAY, plan->net_host_loopback ? "yes" : "no");
      for (size_t i = 0; i < plan->n_net_ports; i++)
        {
          const struct sbx_net_port *p = &plan->net_ports[i];
          fprintf (out, "port: %s:%u -> %u/%s\n", p->addr, p->host_port, p->sandbox_port, p->udp ? "udp" : "tcp");
        }
      return;
    case SBX_NET_ALLOW:
      fprintf (out, "network: allow-list proxy on 127.0.0.1:%d inside, for", SBX_NET_PROXY_PORT);
      for (size_t i = 0; i < plan->n_net_allow; i++)
        if (plan->net_allow[i].port != 0)
          fprintf (out, " %s:%u", plan->net_allow[i].domain, plan->net_allow[i].port);
        else
          fprintf (out, " %s", plan->net_allow[i].domain);
      fputc ('\n', out);
      if (plan->net_log != NULL)
        fprintf (out, "net-log: %s\n", plan->net_log);
      return;
    }
}
