/* High-level directives: each expands, at parse time, into the low-level
 * operations of the option table, so --dry-run shows exactly what they
 * do. A desktop service the host lacks is skipped with one warning. */
#include "parse.h"

#include "error.h"
#include "net.h"
#include "util.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *
own (struct sbx_parse *ctx, char *s)
{
  return plan_own (ctx->plan, s);
}

static void
add_bind (struct sbx_parse *ctx, const struct sbx_option *opt, enum sbx_fs_kind kind,
          const char *source, const char *dest, bool optional)
{
  struct sbx_fs_op *op = sbx_parse_add_fs_op (ctx, opt, kind);
  op->source = own (ctx, sbx_xstrdup (source));
  op->dest = own (ctx, sbx_xstrdup (dest));
  op->optional = optional;
}

static void
add_dest_op (struct sbx_parse *ctx, const struct sbx_option *opt, enum sbx_fs_kind kind, const char *dest)
{
  sbx_parse_add_fs_op (ctx, opt, kind)->dest = own (ctx, sbx_xstrdup (dest));
}

static const char *
home (const struct sbx_parse *ctx, const struct sbx_option *opt)
{
  const char *h = getenv ("HOME");
  if (h == NULL || h[0] != '/')
    sbx_parse_error (ctx, opt, "HOME is not set to an absolute path");
  return h;
}

/* PATH as given if absolute, else under $HOME; it must stay under $HOME. */
static char *
home_path (const struct sbx_parse *ctx, const struct sbx_option *opt, const char *path)
{
  const char *h = home (ctx, opt);
  char *full = path[0] == '/' ? sbx_xstrdup (path) : sbx_xasprintf ("%s/%s", h, path);
  size_t len = strlen (h);
  if (strncmp (full, h, len) != 0 || (full[len] != '/' && full[len] != '\0') || strstr (full, "/../") != NULL
      || (strlen (full) >= 3 && strcmp (full + strlen (full) - 3, "/..") == 0))
    {
      free (full);
      sbx_parse_error (ctx, opt, "'%s' is not under the home folder %s", path, h);
    }
  return full;
}

static bool
exists (const char *path)
{
  struct stat st;
  return stat (path, &st) == 0;
}

void
sbx_directive_home_private (struct sbx_parse *ctx, const struct sbx_option *opt, char *const *args)
{
  (void) args;
  add_dest_op (ctx, opt, SBX_FS_TMPFS, home (ctx, opt));
}

/* Each path under home is bound back read-write; a missing one is
 * skipped, and nothing is created on the host (see mkdir). */
void
sbx_directive_home_bind (struct sbx_parse *ctx, const struct sbx_option *opt, char *const *args)
{
  autofree char *copy = sbx_xstrdup (args[0]);
  char *save = NULL;
  for (char *p = strtok_r (copy, ",", &save); p != NULL; p = strtok_r (NULL, ",", &save))
    {
      autofree char *full = home_path (ctx, opt, p);
      autofree char *real = realpath (full, NULL);
      autofree char *real_home = realpath (home (ctx, opt), NULL);
      if (real != NULL && real_home != NULL && strcmp (real, real_home) == 0)
        sbx_parse_error (ctx, opt, "'%s' is the whole home folder; name folders inside it", p);
      add_bind (ctx, opt, SBX_FS_BIND, full, full, true);
    }
}

void
sbx_directive_mkdir (struct sbx_parse *ctx, const struct sbx_option *opt, char *const *args)
{
  struct sbx_plan *plan = ctx->plan;
  plan->host_mkdirs = sbx_xrealloc_array (plan->host_mkdirs, plan->n_host_mkdirs + 1, sizeof (char *));
  plan->host_mkdirs[plan->n_host_mkdirs++] = plan_own (plan, home_path (ctx, opt, args[0]));
}

void
sbx_directive_private_tmp (struct sbx_parse *ctx, const struct sbx_option *opt, char *const *args)
{
  (void) args;
  add_dest_op (ctx, opt, SBX_FS_TMPFS, "/tmp");
}

/* /usr and /etc read-only; the top-level links of a merged-/usr system
 * as the same links, or read-only binds where they are real folders. */
void
sbx_directive_ro_system (struct sbx_parse *ctx, const struct sbx_option *opt, char *const *args)
{
  (void) args;
  static const char *const tops[] = { "bin", "sbin", "lib", "lib32", "lib64", "libx32" };
  add_bind (ctx, opt, SBX_FS_RO_BIND, "/usr", "/usr", false);
  add_bind (ctx, opt, SBX_FS_RO_BIND, "/etc", "/etc", true);
  for (size_t i = 0; i < sizeof tops / sizeof tops[0]; i++)
    {
      char path[64], target[PATH_MAX];
      snprintf (path, sizeof path, "/%s", tops[i]);
      ssize_t n = readlink (path, target, sizeof target - 1);
      if (n > 0)
        {
          target[n] = '\0';
          struct sbx_fs_op *op = sbx_parse_add_fs_op (ctx, opt, SBX_FS_SYMLINK);
          op->source = own (ctx, sbx_xstrdup (target));
          op->dest = own (ctx, sbx_xstrdup (path));
        }
      else if (exists (path))
        add_bind (ctx, opt, SBX_FS_RO_BIND, path, path, true);
    }
}

void
sbx_directive_cwd_rw (struct sbx_parse *ctx, const struct sbx_option *opt, char *const *args)
{
  (void) args;
  char cwd[PATH_MAX];
  if (getcwd (cwd, sizeof cwd) == NULL)
    sbx_parse_error (ctx, opt, "cannot tell the current directory: %s", strerror (errno));
  /* From the home folder (or above it) this would hand over all of home,
   * defeating home-private: refuse that case loudly instead. */
  autofree char *h = getenv ("HOME") ? realpath (getenv ("HOME"), NULL) : NULL;
  size_t len = strlen (cwd);
  if (h != NULL && strncmp (h, cwd, len) == 0 && (h[len] == '/' || h[len] == '\0' || len == 1))
    {
      sbx_warn ("%s: the current directory %s holds the home folder; not bound (run from a project folder)",
                opt->name, cwd);
      return;
    }
  add_bind (ctx, opt, SBX_FS_BIND, cwd, cwd, false);
  ctx->plan->chdir = own (ctx, sbx_xstrdup (cwd));
}

void
sbx_directive_net (struct sbx_parse *ctx, const struct sbx_option *opt, char *const *args)
{
  sbx_net_handle_mode (ctx, opt, args);
}

static void
set_env (struct sbx_parse *ctx, const char *name, const char *value)
{
  plan_add_env_op (ctx->plan, SBX_ENV_SET, name, own (ctx, sbx_xstrdup (value)));
}

static bool
skip (const struct sbx_option *opt, const char *why)
{
  sbx_warn ("%s: %s; skipped", opt->name, why);
  return false;
}

static bool
desktop_x11 (struct sbx_parse *ctx, const struct sbx_option *opt)
{
  const char *display = getenv ("DISPLAY");
  const char *colon = display ? strrchr (display, ':') : NULL;
  if (colon == NULL || (colon != display && strncmp (display, "unix", 4) != 0))
    return skip (opt, "no local X server (DISPLAY is unset or not local)");
  int number = atoi (colon + 1);
  char socket[64];
  snprintf (socket, sizeof socket, "/tmp/.X11-unix/X%d", number);
  if (!exists (socket))
    return skip (opt, "no X server socket");
  add_bind (ctx, opt, SBX_FS_RO_BIND, socket, socket, false);
  const char *xauth = getenv ("XAUTHORITY");
  if (xauth != NULL && xauth[0] == '/' && exists (xauth))
    add_bind (ctx, opt, SBX_FS_RO_BIND, xauth, xauth, false);
  set_env (ctx, "DISPLAY", display);
  return true;
}

static const char *
runtime_dir (void)
{
  const char *dir = getenv ("XDG_RUNTIME_DIR");
  return dir != NULL && dir[0] == '/' ? dir : NULL;
}

/* A socket under XDG_RUNTIME_DIR, bound at the same place. */
static bool
runtime_socket (struct sbx_parse *ctx, const struct sbx_option *opt, const char *name)
{
  const char *dir = runtime_dir ();
  if (dir == NULL)
    return skip (opt, "XDG_RUNTIME_DIR is not set");
  autofree char *path = sbx_xasprintf ("%s/%s", dir, name);
  if (!exists (path))
    return skip (opt, "the service's socket is not there");
  add_bind (ctx, opt, SBX_FS_RO_BIND, path, path, false);
  set_env (ctx, "XDG_RUNTIME_DIR", dir);
  return true;
}

static void
desktop_dbus (struct sbx_parse *ctx, const struct sbx_option *opt)
{
  const char *address = getenv ("DBUS_SESSION_BUS_ADDRESS");
  const char *path = address ? strstr (address, "unix:path=") : NULL;
  if (path == NULL)
    {
      skip (opt, "no session bus at a unix:path= address");
      return;
    }
  autofree char *socket = sbx_xstrdup (path + strlen ("unix:path="));
  socket[strcspn (socket, ",;")] = '\0';
  if (!exists (socket))
    {
      skip (opt, "the session bus socket is not there");
      return;
    }
  add_bind (ctx, opt, SBX_FS_RO_BIND, socket, socket, false);
  ctx->plan->dbus_socket_op = (long) ctx->plan->n_fs_ops - 1;
  ctx->plan->dbus_address = own (ctx, sbx_xstrdup (address));
  autofree char *value = sbx_xasprintf ("unix:path=%s", socket);
  set_env (ctx, "DBUS_SESSION_BUS_ADDRESS", value);
}

static void
desktop_fonts_themes (struct sbx_parse *ctx, const struct sbx_option *opt)
{
  static const char *const system[] = { "/usr/share/fonts", "/etc/fonts", "/usr/share/themes", "/usr/share/icons" };
  static const char *const user[] = { ".fonts", ".local/share/fonts", ".config/fontconfig", ".themes", ".icons",
                                      ".local/share/themes", ".local/share/icons", ".config/gtk-3.0" };
  for (size_t i = 0; i < sizeof system / sizeof system[0]; i++)
    add_bind (ctx, opt, SBX_FS_RO_BIND, system[i], system[i], true);
  const char *h = getenv ("HOME");
  for (size_t i = 0; h != NULL && i < sizeof user / sizeof user[0]; i++)
    {
      autofree char *path = sbx_xasprintf ("%s/%s", h, user[i]);
      add_bind (ctx, opt, SBX_FS_RO_BIND, path, path, true);
    }
}

/* x11, wayland, pulseaudio, pipewire, dri, dbus-session, fonts-themes. */
void
sbx_directive_desktop (struct sbx_parse *ctx, const struct sbx_option *opt, char *const *args)
{
  (void) args;
  const char *name = opt->name;
  if (strcmp (name, "x11") == 0)
    desktop_x11 (ctx, opt);
  else if (strcmp (name, "wayland") == 0)
    {
      const char *display = getenv ("WAYLAND_DISPLAY");
      if (runtime_socket (ctx, opt, display ? display : "wayland-0"))
        set_env (ctx, "WAYLAND_DISPLAY", display ? display : "wayland-0");
    }
  else if (strcmp (name, "pulseaudio") == 0)
    {
      if (runtime_socket (ctx, opt, "pulse/native"))
        {
          autofree char *server = sbx_xasprintf ("unix:%s/pulse/native", runtime_dir ());
          set_env (ctx, "PULSE_SERVER", server);
        }
    }
  else if (strcmp (name, "pipewire") == 0)
    runtime_socket (ctx, opt, "pipewire-0");
  else if (strcmp (name, "dri") == 0)
    {
      if (!exists ("/dev/dri"))
        skip (opt, "no GPU device nodes in /dev/dri");
      else
        {
          add_bind (ctx, opt, SBX_FS_DEV_BIND, "/dev/dri", "/dev/dri", true);
          add_bind (ctx, opt, SBX_FS_RO_BIND, "/sys/dev/char", "/sys/dev/char", true);
          add_bind (ctx, opt, SBX_FS_RO_BIND, "/sys/devices", "/sys/devices", true);
        }
    }
  else if (strcmp (name, "dbus-session") == 0)
    desktop_dbus (ctx, opt);
  else
    desktop_fonts_themes (ctx, opt);
}

/* Names the sandbox may talk to on the session bus. Recorded for the
 * filtering proxy; without it the whole socket is bound (dbus-session). */
void
sbx_directive_dbus_talk (struct sbx_parse *ctx, const struct sbx_option *opt, char *const *args)
{
  struct sbx_plan *plan = ctx->plan;
  if (args[0][0] == '\0' || strchr (args[0], '/') != NULL)
    sbx_parse_error (ctx, opt, "not a bus name: '%s'", args[0]);
  plan->dbus_talk = sbx_xrealloc_array (plan->dbus_talk, plan->n_dbus_talk + 1, sizeof (char *));
  plan->dbus_talk[plan->n_dbus_talk++] = plan_own (plan, sbx_xstrdup (args[0]));
}
