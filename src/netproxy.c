/* --net allow=: the filtering HTTP/HTTPS proxy, a small poll(2) loop.
 *
 * Design: the sandbox gets a network namespace with nothing but lo, so
 * it has no route out at all. sbx creates the proxy's listening socket
 * on 127.0.0.1:3128 while it is inside that namespace and passes it to
 * the network helper, which stayed in the host's namespace: the sandbox
 * connects to its own loopback (http_proxy=http://127.0.0.1:3128 works
 * for curl and everything else), and every outgoing connection is made
 * here, after the allow-list said yes. Nothing of the host is bound into
 * the sandbox for it.
 *
 * Only the first request of a client connection is read: CONNECT
 * host:port, or a plain request with an absolute http:// URI. Once it is
 * allowed, the bytes that follow are relayed unchanged to that one host,
 * so a later request on the same connection can only reach the same host.
 * An entry opens port 443 to CONNECT and port 80 to plain HTTP, unless it
 * names its port (DOMAIN:PORT), which then opens that one to both.
 *
 * Names resolve through --hosts-file first (the names the sandbox sees),
 * then the host's resolver. A lookup can take as long as the resolver
 * likes, so each runs in a child process of its own that writes the
 * address into a pipe the loop polls: a slow name stalls only its own
 * connection. The child keeps no other descriptor of the proxy, and is
 * killed when its client leaves first. */
#include "net.h"

#include "error.h"
#include "util.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <arpa/inet.h>
#include <poll.h>
#include <signal.h>
#include <linux/close_range.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_CONNS 256
#define HEAD_MAX 16384
#define BUF_SIZE 65536

enum conn_state { READING_HEAD, RESOLVING, CONNECTING, TUNNEL, ANSWERING };

struct buf { char data[BUF_SIZE]; size_t len; };

struct conn {
  enum conn_state state;
  int client, upstream;
  bool client_eof, upstream_eof;
  size_t head_len;
  char head[HEAD_MAX + 1];
  struct buf up, down;          /* client->upstream, upstream->client */
  bool is_connect;
  char *request;                /* what goes upstream first (plain HTTP) */
  pid_t resolver;               /* RESOLVING: the lookup's child, and */
  int answer;                   /* the pipe it answers on */
  char host[256];
  unsigned port;
};

/* What a resolver child writes: the address, or ok = false. */
struct lookup_answer {
  bool ok;
  socklen_t len;
  struct sockaddr_storage addr;
};

struct proxy {
  const struct sbx_plan *plan;
  int log;
  struct conn *conns[MAX_CONNS];
};

static void
log_decision (const struct proxy *px, const char *verdict, const char *method, const char *host, const char *port)
{
  if (px->log < 0)
    return;
  char when[32];
  time_t now = time (NULL);
  struct tm tm;
  strftime (when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", gmtime_r (&now, &tm));
  dprintf (px->log, "%s %s %s %s:%s\n", when, verdict, method, host, port);
}

enum verdict { ALLOWED, HOST_NOT_LISTED, PORT_NOT_LISTED };

static bool
domain_matches (const char *domain, const char *host)
{
  size_t hlen = strlen (host);
  if (strncmp (domain, "*.", 2) != 0)
    return strcmp (host, domain) == 0;
  size_t dlen = strlen (domain + 1);    /* ".example.com" */
  return hlen > dlen && strcmp (host + hlen - dlen, domain + 1) == 0;
}

static enum verdict
allowed (const struct sbx_plan *plan, const char *host, unsigned port, bool is_connect)
{
  enum verdict v = HOST_NOT_LISTED;
  for (size_t i = 0; i < plan->n_net_allow; i++)
    {
      const struct sbx_net_allow *a = &plan->net_allow[i];
      if (!domain_matches (a->domain, host))
        continue;
      unsigned open = a->port != 0 ? a->port : is_connect ? 443 : 80;
      if (port == open)
        return ALLOWED;
      v = PORT_NOT_LISTED;
    }
  return v;
}

static void
answer (struct conn *c, int code, const char *reason, const char *body)
{
  int n = snprintf (c->down.data, sizeof c->down.data,
                    "HTTP/1.1 %d %s\r\nContent-Type: text/plain\r\nContent-Length: %zu\r\n"
                    "Connection: close\r\n\r\n%s", code, reason, strlen (body), body);
  c->down.len = n > 0 ? (size_t) n : 0;
  c->state = ANSWERING;
}

/* The address of HOST in the hosts file, if it names it. */
static bool
hosts_file_lookup (const char *file, const char *host, struct sockaddr_storage *ss, socklen_t *len)
{
  FILE *f = file != NULL ? fopen (file, "re") : NULL;
  if (f == NULL)
    return false;
  char line[1024];
  bool found = false;
  while (!found && fgets (line, sizeof line, f) != NULL)
    {
      line[strcspn (line, "#\n")] = '\0';
      char *save = NULL;
      char *addr = strtok_r (line, " \t", &save);
      for (char *name; addr && !found && (name = strtok_r (NULL, " \t", &save)) != NULL;)
        if (strcasecmp (name, host) == 0)
          {
            struct sockaddr_in *in = (struct sockaddr_in *) ss;
            struct sockaddr_in6 *in6 = (struct sockaddr_in6 *) ss;
            memset (ss, 0, sizeof *ss);
            if (inet_pton (AF_INET, addr, &in->sin_addr) == 1)
              in->sin_family = AF_INET, *len = sizeof *in, found = true;
            else if (inet_pton (AF_INET6, addr, &in6->sin6_addr) == 1)
              in6->sin6_family = AF_INET6, *len = sizeof *in6, found = true;
          }
    }
  fclose (f);
  return found;
}

/* In the resolver child: HOST's address (without the port), through the
 * hosts file first, then the host's resolver. */
static struct lookup_answer
look_up (const struct sbx_plan *plan, const char *host)
{
  struct lookup_answer a = { .ok = false };
  if (hosts_file_lookup (plan->net_hosts_file, host, &a.addr, &a.len))
    return a.ok = true, a;
  struct addrinfo hints = { .ai_socktype = SOCK_STREAM, .ai_flags = AI_ADDRCONFIG };
  struct addrinfo *res = NULL;
  if (getaddrinfo (host, NULL, &hints, &res) != 0 || res == NULL)
    return a;
  if (res->ai_addrlen <= sizeof a.addr)
    {
      memcpy (&a.addr, res->ai_addr, res->ai_addrlen);
      a.len = res->ai_addrlen;
      a.ok = true;
    }
  freeaddrinfo (res);
  return a;
}

/* Start C's lookup in a child; false if it could not start. */
static bool
start_lookup (const struct proxy *px, struct conn *c)
{
  int p[2];
  if (pipe2 (p, O_CLOEXEC | O_NONBLOCK) < 0)
    return false;
  pid_t pid = fork ();
  if (pid == 0)
    {
      /* Only the pipe's write end stays: a child that hangs in the
       * resolver must not hold other clients' connections open. */
      if (dup2 (p[1], 3) < 0)
        _exit (1);
      syscall (SYS_close_range, 4U, ~0U, 0);
      struct lookup_answer a = look_up (px->plan, c->host);
      _exit (write (3, &a, sizeof a) == (ssize_t) sizeof a ? 0 : 1);
    }
  close (p[1]);
  if (pid < 0)
    {
      close (p[0]);
      return false;
    }
  c->resolver = pid;
  c->answer = p[0];
  c->state = RESOLVING;
  return true;
}

static void
end_lookup (struct conn *c, bool kill_it)
{
  if (c->resolver > 0)
    {
      if (kill_it)
        kill (c->resolver, SIGKILL);
      while (waitpid (c->resolver, NULL, 0) < 0 && errno == EINTR)
        ;
      c->resolver = 0;
    }
  if (c->answer >= 0)
    close (c->answer);
  c->answer = -1;
}

static int
dial (struct sockaddr_storage *ss, socklen_t len, unsigned port)
{
  if (ss->ss_family == AF_INET)
    ((struct sockaddr_in *) ss)->sin_port = htons ((uint16_t) port);
  else
    ((struct sockaddr_in6 *) ss)->sin6_port = htons ((uint16_t) port);
  int s = socket (ss->ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (s < 0)
    return -1;
  if (connect (s, (struct sockaddr *) ss, len) < 0 && errno != EINPROGRESS)
    {
      close (s);
      return -1;
    }
  return s;
}

/* The request to send upstream: origin-form target, hop-by-hop headers
 * dropped, one request per connection. */
static char *
rewrite_request (const char *method, const char *path, char *headers)
{
  size_t cap = strlen (headers) + strlen (method) + strlen (path) + 64;
  char *out = sbx_xmalloc (cap);
  size_t n = (size_t) snprintf (out, cap, "%s %s HTTP/1.1\r\n", method, path);
  char *save = NULL;
  for (char *h = strtok_r (headers, "\r\n", &save); h != NULL; h = strtok_r (NULL, "\r\n", &save))
    {
      if (strncasecmp (h, "Proxy-", 6) == 0 || strncasecmp (h, "Connection:", 11) == 0
          || strncasecmp (h, "Keep-Alive:", 11) == 0)
        continue;
      n += (size_t) snprintf (out + n, cap - n, "%s\r\n", h);
    }
  snprintf (out + n, cap - n, "Connection: close\r\n\r\n");
  return out;
}

static void
decide (struct proxy *px, struct conn *c, char *end_of_head)
{
  char *rest = end_of_head + 4;
  size_t rest_len = c->head_len - (size_t) (rest - c->head);
  *end_of_head = '\0';
  char *line_end = strstr (c->head, "\r\n");
  char *headers = line_end != NULL ? line_end + 2 : c->head + strlen (c->head);
  if (line_end != NULL)
    *line_end = '\0';
  char method[16], target[2048], version[16];
  if (sscanf (c->head, "%15s %2047s %15s", method, target, version) != 3)
    return answer (c, 400, "Bad Request", "sbx proxy: malformed request\n");

  char host[256] = "", port[8] = "80", path[2048] = "/";
  c->is_connect = strcmp (method, "CONNECT") == 0;
  const char *authority = target;
  if (!c->is_connect)
    {
      if (strncasecmp (target, "http://", 7) != 0)
        return answer (c, 400, "Bad Request",
                       "sbx proxy: only CONNECT and absolute http:// requests are proxied\n");
      authority = target + 7;
      char *slash = strchr (authority, '/');
      if (slash != NULL)
        {
          snprintf (path, sizeof path, "%s", slash);
          *slash = '\0';
        }
    }
  else
    strcpy (port, "443");
  const char *colon = authority[0] == '[' ? strstr (authority, "]:") : strrchr (authority, ':');
  size_t hlen = colon != NULL ? (size_t) (colon - authority) + (authority[0] == '[') : strlen (authority);
  if (colon != NULL)
    snprintf (port, sizeof port, "%s", colon + 1 + (authority[0] == '['));
  if (authority[0] == '[')
    authority++, hlen -= 2;
  snprintf (host, sizeof host, "%.*s", (int) (hlen < sizeof host ? hlen : sizeof host - 1), authority);
  for (char *h = host; *h; h++)
    *h = (char) tolower ((unsigned char) *h);
  size_t l = strlen (host);
  if (l > 0 && host[l - 1] == '.')
    host[l - 1] = '\0';
  char *endp;
  unsigned long pnum = strtoul (port, &endp, 10);
  if (host[0] == '\0' || *endp != '\0' || pnum == 0 || pnum > 65535)
    return answer (c, 400, "Bad Request", "sbx proxy: malformed host or port\n");

  enum verdict v = allowed (px->plan, host, (unsigned) pnum, c->is_connect);
  if (v != ALLOWED)
    {
      log_decision (px, "deny", method, host, port);
      char body[512];
      if (v == HOST_NOT_LISTED)
        snprintf (body, sizeof body, "sbx: %s is not in the network allow-list (--net allow=...); "
                  "the request was refused\n", host);
      else
        snprintf (body, sizeof body, "sbx: port %s of %s is not in the network allow-list (%s opens %s; "
                  "--net allow=%s:%s would open this one); the request was refused\n", port, host,
                  c->is_connect ? "CONNECT" : "plain HTTP", c->is_connect ? "443" : "80", host, port);
      return answer (c, 403, "Forbidden", body);
    }
  log_decision (px, "allow", method, host, port);
  if (!c->is_connect)
    c->request = rewrite_request (method, path, headers);
  /* Whatever the client sent after the head goes along. */
  memcpy (c->up.data, rest, rest_len);
  c->up.len = rest_len;
  snprintf (c->host, sizeof c->host, "%s", host);
  c->port = (unsigned) pnum;
  if (!start_lookup (px, c))
    return answer (c, 502, "Bad Gateway", "sbx proxy: cannot start the name lookup\n");
}

/* C's lookup answered: dial the address. */
static void
resolved (struct conn *c)
{
  struct lookup_answer a;
  ssize_t n = read (c->answer, &a, sizeof a);
  if (n < 0 && (errno == EAGAIN || errno == EINTR))
    return;
  end_lookup (c, n != (ssize_t) sizeof a);
  if (n != (ssize_t) sizeof a || !a.ok)
    {
      char body[512];
      snprintf (body, sizeof body, "sbx proxy: cannot resolve %s\n", c->host);
      return answer (c, 502, "Bad Gateway", body);
    }
  c->upstream = dial (&a.addr, a.len, c->port);
  if (c->upstream < 0)
    return answer (c, 502, "Bad Gateway", "sbx proxy: cannot connect to the allowed host\n");
  c->state = CONNECTING;
}

static void
connected (struct conn *c)
{
  int err = 0;
  socklen_t len = sizeof err;
  if (getsockopt (c->upstream, SOL_SOCKET, SO_ERROR, &err, &len) < 0 || err != 0)
    return answer (c, 502, "Bad Gateway", "sbx proxy: cannot connect to the allowed host\n");
  if (c->is_connect)
    {
      static const char ok[] = "HTTP/1.1 200 Connection established\r\n\r\n";
      memcpy (c->down.data, ok, sizeof ok - 1);
      c->down.len = sizeof ok - 1;
    }
  else
    {
      size_t rlen = strlen (c->request);
      if (rlen + c->up.len <= sizeof c->up.data)
        {
          memmove (c->up.data + rlen, c->up.data, c->up.len);
          memcpy (c->up.data, c->request, rlen);
          c->up.len += rlen;
        }
      else
        return answer (c, 431, "Request Header Fields Too Large", "sbx proxy: request too large\n");
    }
  c->state = TUNNEL;
}

static void
conn_free (struct conn *c)
{
  end_lookup (c, true);
  if (c->client >= 0)
    close (c->client);
  if (c->upstream >= 0)
    close (c->upstream);
  free (c->request);
  free (c);
}

/* Move bytes from FROM into B; false on error. */
static bool
fill (int from, struct buf *b, bool *eof)
{
  ssize_t n = read (from, b->data + b->len, sizeof b->data - b->len);
  if (n == 0)
    *eof = true;
  if (n > 0)
    b->len += (size_t) n;
  return n >= 0 || errno == EAGAIN || errno == EINTR;
}

static bool
drain (int to, struct buf *b)
{
  ssize_t n = send (to, b->data, b->len, MSG_NOSIGNAL);
  if (n > 0)
    {
      memmove (b->data, b->data + n, b->len - (size_t) n);
      b->len -= (size_t) n;
    }
  return n >= 0 || errno == EAGAIN || errno == EINTR;
}

/* Handle events on C; false when it is finished. */
static bool
step (struct proxy *px, struct conn *c, short cev, short uev)
{
  switch (c->state)
    {
    case READING_HEAD:
      if (cev & (POLLIN | POLLHUP | POLLERR))
        {
          ssize_t n = read (c->client, c->head + c->head_len, HEAD_MAX - c->head_len);
          if (n <= 0)
            return n < 0 && (errno == EAGAIN || errno == EINTR);
          c->head_len += (size_t) n;
          c->head[c->head_len] = '\0';
          char *end = strstr (c->head, "\r\n\r\n");
          if (end != NULL)
            decide (px, c, end);
          else if (c->head_len == HEAD_MAX)
            answer (c, 431, "Request Header Fields Too Large", "sbx proxy: request head too large\n");
        }
      return true;
    case RESOLVING:
      /* A client gone before its answer takes its lookup along. */
      if (cev & (POLLRDHUP | POLLHUP | POLLERR))
        return false;
      if (uev)
        resolved (c);
      return true;
    case CONNECTING:
      if (uev)
        connected (c);
      return true;
    case ANSWERING:
      if ((cev & POLLOUT) && !drain (c->client, &c->down))
        return false;
      return c->down.len > 0 && !(cev & (POLLERR | POLLHUP));
    case TUNNEL:
      if ((cev & (POLLIN | POLLHUP)) && c->up.len == 0 && !fill (c->client, &c->up, &c->client_eof))
        return false;
      if ((uev & (POLLIN | POLLHUP)) && c->down.len == 0 && !fill (c->upstream, &c->down, &c->upstream_eof))
        return false;
      if ((uev & POLLOUT) && c->up.len > 0 && !drain (c->upstream, &c->up))
        return false;
      if ((cev & POLLOUT) && c->down.len > 0 && !drain (c->client, &c->down))
        return false;
      if ((cev | uev) & POLLERR)
        return false;
      if (c->client_eof && c->up.len == 0)
        shutdown (c->upstream, SHUT_WR);
      if (c->upstream_eof && c->down.len == 0)
        shutdown (c->client, SHUT_WR);
      return !(c->client_eof && c->upstream_eof && c->up.len == 0 && c->down.len == 0);
    }
  return false;
}

static void
interest (const struct conn *c, struct pollfd *cp, struct pollfd *up)
{
  cp->fd = c->client;
  up->fd = c->upstream;
  cp->events = up->events = 0;
  switch (c->state)
    {
    case READING_HEAD: cp->events = POLLIN; break;
    case RESOLVING:
      cp->events = POLLRDHUP;
      up->fd = c->answer;
      up->events = POLLIN;
      break;
    case CONNECTING: up->events = POLLOUT; break;
    case ANSWERING: cp->events = POLLOUT; break;
    case TUNNEL:
      if (c->up.len == 0 && !c->client_eof)
        cp->events |= POLLIN;
      if (c->down.len > 0)
        cp->events |= POLLOUT;
      if (c->down.len == 0 && !c->upstream_eof)
        up->events |= POLLIN;
      if (c->up.len > 0)
        up->events |= POLLOUT;
      break;
    }
  /* Half-closed both ways with nothing to send: only errors are left. */
  if (cp->events == 0)
    cp->fd = -1;
  if (up->events == 0 && c->state != TUNNEL)
    up->fd = -1;
}

void
sbx_net_proxy_run (const struct sbx_plan *plan, int listener, int control, int log)
{
  static struct proxy px;
  px.plan = plan;
  px.log = log;
  struct pollfd fds[2 + 2 * MAX_CONNS];
  for (;;)
    {
      fds[0] = (struct pollfd) { .fd = control, .events = POLLIN };
      fds[1] = (struct pollfd) { .fd = listener, .events = POLLIN };
      for (size_t i = 0; i < MAX_CONNS; i++)
        {
          struct pollfd *cp = &fds[2 + 2 * i], *up = cp + 1;
          if (px.conns[i] != NULL)
            interest (px.conns[i], cp, up);
          else
            cp->fd = up->fd = -1;
        }
      if (poll (fds, 2 + 2 * MAX_CONNS, -1) < 0)
        {
          if (errno == EINTR)
            continue;
          _exit (SBX_EXIT_FAILURE);
        }
      if (fds[0].revents)
        {
          /* sbx is gone: so are the lookups still running. */
          for (size_t i = 0; i < MAX_CONNS; i++)
            if (px.conns[i] != NULL)
              conn_free (px.conns[i]);
          return;
        }
      if (fds[1].revents & POLLIN)
        {
          int client = accept4 (listener, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
          size_t slot = 0;
          while (slot < MAX_CONNS && px.conns[slot] != NULL)
            slot++;
          if (client >= 0 && slot == MAX_CONNS)
            close (client);
          else if (client >= 0)
            {
              struct conn *c = sbx_xcalloc (1, sizeof *c);
              c->client = client;
              c->upstream = -1;
              c->answer = -1;
              px.conns[slot] = c;
            }
        }
      for (size_t i = 0; i < MAX_CONNS; i++)
        {
          struct conn *c = px.conns[i];
          short cev = fds[2 + 2 * i].revents, uev = fds[3 + 2 * i].revents;
          if (c == NULL || (cev == 0 && uev == 0))
            continue;
          if (!step (&px, c, cev, uev))
            {
              conn_free (c);
              px.conns[i] = NULL;
            }
        }
    }
}
