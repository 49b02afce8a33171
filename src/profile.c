/* Profiles: a profile line is a long option without its dashes, so a
 * profile can say whatever the command line can. This file reads the
 * files (comments, quotes, variables, optional lines, includes) and hands
 * each directive to the option table. */
#include "profile.h"

#include "error.h"
#include "util.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

enum { MAX_DEPTH = 16, MAX_WORDS = 64 };

/* The files being read, innermost last, to catch include cycles. */
struct include_stack {
  const char *paths[MAX_DEPTH + 1];
  int depth;
};

static noreturn void __attribute__ ((format (printf, 3, 4)))
profile_error (const char *file, unsigned line, const char *fmt, ...)
{
  char msg[768];
  va_list ap;
  va_start (ap, fmt);
  vsnprintf (msg, sizeof msg, fmt, ap);
  va_end (ap);
  if (line > 0)
    sbx_die ("%s:%u: %s", file, line, msg);
  sbx_die ("%s: %s", file, msg);
}

/* --- the search path -------------------------------------------------- */

static char *
user_profile_dir (void)
{
  const char *config = getenv ("XDG_CONFIG_HOME");
  if (config != NULL && config[0] == '/')
    return sbx_xasprintf ("%s/sbx/profiles", config);
  const char *home = getenv ("HOME");
  if (home != NULL && home[0] == '/')
    return sbx_xasprintf ("%s/.config/sbx/profiles", home);
  return NULL;
}

char **
sbx_profile_dirs (void)
{
  char **dirs = sbx_xcalloc (4, sizeof *dirs);
  size_t n = 0;
  char *user = user_profile_dir ();
  if (user != NULL)
    dirs[n++] = user;
  dirs[n++] = sbx_xstrdup (SBX_SYSCONFDIR_PROFILES);
  /* Running from the build tree, the shipped profiles are in the sources. */
  const char *data = getenv ("SBX_PROFILES_DATADIR");
  dirs[n++] = sbx_xstrdup (data != NULL && data[0] == '/' ? data : SBX_DATADIR_PROFILES);
  dirs[n] = NULL;
  return dirs;
}

void
sbx_profile_dirs_free (char **dirs)
{
  for (char **d = dirs; d && *d; d++)
    free (*d);
  free (dirs);
}

static bool
is_file (const char *path)
{
  struct stat st;
  return stat (path, &st) == 0 && S_ISREG (st.st_mode);
}

static bool
has_profile_extension (const char *name)
{
  const char *dot = strrchr (name, '.');
  return dot != NULL && (strcmp (dot, ".sbx") == 0 || strcmp (dot, ".inc") == 0 || strcmp (dot, ".local") == 0);
}

/* NAME.sbx in the search path (or NAME itself when it is a file name of a
 * profile or fragment, like desktop.inc). */
char *
sbx_profile_find (const char *name)
{
  if (strchr (name, '/') != NULL)
    return is_file (name) ? realpath (name, NULL) : NULL;
  bool file_name = has_profile_extension (name);
  char **dirs = sbx_profile_dirs ();
  char *found = NULL;
  for (char **d = dirs; *d && found == NULL; d++)
    {
      char *path = sbx_xasprintf ("%s/%s%s", *d, name, file_name ? "" : ".sbx");
      if (is_file (path))
        found = path;
      else
        free (path);
    }
  sbx_profile_dirs_free (dirs);
  return found;
}

/* --- variables -------------------------------------------------------- */

static char *
xdg_dir (const char *env, const char *fallback)
{
  const char *value = getenv (env);
  if (value != NULL && value[0] == '/')
    return sbx_xstrdup (value);
  const char *home = getenv ("HOME");
  return home ? sbx_xasprintf ("%s/%s", home, fallback) : sbx_xstrdup ("");
}

/* XDG_DOWNLOAD_DIR from user-dirs.dirs, with $HOME expanded; else
 * ~/Downloads. */
static char *
downloads_dir (void)
{
  const char *home = getenv ("HOME");
  if (home == NULL)
    return sbx_xstrdup ("");
  autofree char *config = xdg_dir ("XDG_CONFIG_HOME", ".config");
  autofree char *path = sbx_xasprintf ("%s/user-dirs.dirs", config);
  FILE *f = fopen (path, "re");
  char line[1024];
  while (f != NULL && fgets (line, sizeof line, f) != NULL)
    {
      if (strncmp (line, "XDG_DOWNLOAD_DIR=\"", 18) != 0)
        continue;
      char *value = line + 18;
      char *end = strchr (value, '"');
      if (end == NULL)
        break;
      *end = '\0';
      fclose (f);
      if (strncmp (value, "$HOME", 5) == 0)
        return sbx_xasprintf ("%s%s", home, value + 5);
      return sbx_xstrdup (value);
    }
  if (f != NULL)
    fclose (f);
  return sbx_xasprintf ("%s/Downloads", home);
}

/* The value of a profile variable (malloc'd), or NULL if unknown. */
static char *
variable (const char *name, const char *profile_dir)
{
  if (strcmp (name, "HOME") == 0)
    return sbx_xstrdup (getenv ("HOME") ? getenv ("HOME") : "");
  if (strcmp (name, "USER") == 0)
    {
      /* No NSS look-up: sbx is linked statically. */
      const char *user = getenv ("USER") ? getenv ("USER") : getenv ("LOGNAME");
      return user ? sbx_xstrdup (user) : sbx_xasprintf ("%u", (unsigned) getuid ());
    }
  if (strcmp (name, "UID") == 0)
    return sbx_xasprintf ("%u", (unsigned) getuid ());
  if (strcmp (name, "GID") == 0)
    return sbx_xasprintf ("%u", (unsigned) getgid ());
  if (strcmp (name, "RUNTIME_DIR") == 0)
    return sbx_xstrdup (getenv ("XDG_RUNTIME_DIR") ? getenv ("XDG_RUNTIME_DIR") : "");
  if (strcmp (name, "CWD") == 0)
    {
      char cwd[PATH_MAX];
      return sbx_xstrdup (getcwd (cwd, sizeof cwd) ? cwd : "");
    }
  if (strcmp (name, "CONFIG") == 0)
    return xdg_dir ("XDG_CONFIG_HOME", ".config");
  if (strcmp (name, "CACHE") == 0)
    return xdg_dir ("XDG_CACHE_HOME", ".cache");
  if (strcmp (name, "DATA") == 0)
    return xdg_dir ("XDG_DATA_HOME", ".local/share");
  if (strcmp (name, "DOWNLOADS") == 0)
    return downloads_dir ();
  if (strcmp (name, "PROFILE_DIR") == 0)
    return sbx_xstrdup (profile_dir);
  return NULL;
}

/* Expand ${NAME} in WORD. *EMPTY is set when a variable was empty. */
static char *
expand (const char *word, const char *file, unsigned line, const char *profile_dir, bool *empty)
{
  size_t cap = strlen (word) + 64, n = 0;
  char *out = sbx_xmalloc (cap);
  for (const char *p = word; *p;)
    {
      const char *value_src = NULL;
      autofree char *value = NULL;
      if (p[0] == '$' && p[1] == '{')
        {
          const char *close = strchr (p, '}');
          if (close == NULL)
            profile_error (file, line, "unterminated variable in '%s'", word);
          char name[64];
          snprintf (name, sizeof name, "%.*s", (int) (close - p - 2), p + 2);
          value = variable (name, profile_dir);
          if (value == NULL)
            profile_error (file, line, "unknown variable '${%s}'", name);
          if (value[0] == '\0')
            *empty = true;
          value_src = value;
          p = close + 1;
        }
      size_t add = value_src ? strlen (value_src) : 1;
      if (n + add + 1 > cap)
        out = sbx_xrealloc_array (out, cap = (n + add + 1) * 2, 1);
      if (value_src)
        memcpy (out + n, value_src, add);
      else
        out[n] = *p++;
      n += add;
    }
  out[n] = '\0';
  return out;
}

/* --- lines ------------------------------------------------------------ */

/* Split LINE into words: blanks separate, double quotes group, # starts a
 * comment outside quotes. Returns the number of words. */
static int
split (char *line, char **words, const char *file, unsigned lineno)
{
  int n = 0;
  char *p = line, *out;
  for (;;)
    {
      while (isspace ((unsigned char) *p))
        p++;
      if (*p == '\0' || *p == '#')
        return n;
      if (n == MAX_WORDS)
        profile_error (file, lineno, "too many words on one line");
      words[n++] = out = p;
      bool quoted = false;
      while (*p != '\0' && (quoted || !isspace ((unsigned char) *p)))
        {
          if (*p == '"')
            {
              quoted = !quoted;
              p++;
              continue;
            }
          if (*p == '\\' && quoted && (p[1] == '"' || p[1] == '\\'))
            p++;
          *out++ = *p++;
        }
      if (quoted)
        profile_error (file, lineno, "unterminated quote");
      bool end = *p == '\0';
      *out = '\0';
      if (end)
        return n;
      p++;
    }
}

static bool
listed (char *const *list, const char *name)
{
  for (; list != NULL && *list != NULL; list++)
    if (strcmp (*list, name) == 0)
      return true;
  return false;
}

/* ?NAME lines apply when SBX_NAME=1 or --enable NAME. */
static bool
enabled (const struct sbx_parse *ctx, const char *name)
{
  char env[128];
  snprintf (env, sizeof env, "SBX_%s", name);
  for (char *c = env + 4; *c; c++)
    *c = *c == '-' ? '_' : (char) toupper ((unsigned char) *c);
  const char *value = getenv (env);
  return (value != NULL && strcmp (value, "1") == 0) || listed (ctx->enabled, name);
}

static void read_profile (struct sbx_parse *ctx, const char *path, struct include_stack *stack);

static void
include (struct sbx_parse *ctx, const char *name, const char *file, unsigned line,
         const char *dir, struct include_stack *stack)
{
  autofree char *path = NULL;
  /* A name with a slash is a path, relative to the including file. */
  if (strchr (name, '/') != NULL)
    {
      autofree char *joined = name[0] == '/' ? sbx_xstrdup (name) : sbx_xasprintf ("%s/%s", dir, name);
      path = realpath (joined, NULL);
    }
  else
    path = sbx_profile_find (name);
  if (path == NULL || !is_file (path))
    profile_error (file, line, "include: cannot find '%s'", name);
  for (int i = 0; i < stack->depth; i++)
    if (strcmp (stack->paths[i], path) == 0)
      profile_error (file, line, "include cycle: %s is already being read", path);
  if (stack->depth == MAX_DEPTH)
    profile_error (file, line, "includes nested deeper than %d", MAX_DEPTH);
  read_profile (ctx, path, stack);
}

static void
apply_line (struct sbx_parse *ctx, char **words, int n, const char *file, unsigned line,
            const char *dir, struct include_stack *stack)
{
  if (words[0][0] == '?')
    {
      if (words[0][1] == '\0' || n < 2)
        profile_error (file, line, "'?NAME' must be followed by a directive");
      if (!enabled (ctx, words[0] + 1))
        return;
      words++, n--;
    }
  const char *name = words[0];
  if (listed (ctx->ignored, name))
    return;

  bool empty = false;
  char *expanded[MAX_WORDS];
  for (int i = 1; i < n; i++)
    expanded[i - 1] = plan_own (ctx->plan, expand (words[i], file, line, dir, &empty));

  if (strcmp (name, "include") == 0)
    {
      if (n != 2)
        profile_error (file, line, "include: expects one NAME");
      include (ctx, expanded[0], file, line, dir, stack);
      return;
    }
  const struct sbx_option *opt = sbx_option_find (name);
  if (opt == NULL || (opt->flags & SBX_OPT_CLI_ONLY))
    profile_error (file, line, "unknown directive '%s'", name);
  if (empty)
    {
      /* An empty variable: the -try form skips the line; others fail. */
      if (strstr (name, "-try") == NULL)
        profile_error (file, line, "%s: a variable in this line is empty (use the -try form to skip it)", name);
      return;
    }
  int nargs = n - 1;
  char *args[MAX_WORDS];
  memcpy (args, expanded, (size_t) nargs * sizeof *args);
  if ((opt->flags & SBX_OPT_LIST) && nargs > 1)
    {
      /* A list option takes the rest of the line as one list. */
      size_t len = 0;
      for (int i = 0; i < nargs; i++)
        len += strlen (args[i]) + 1;
      char *joined = plan_own (ctx->plan, sbx_xcalloc (len + 1, 1));
      for (int i = 0; i < nargs; i++)
        {
          strcat (joined, args[i]);
          if (i + 1 < nargs)
            strcat (joined, ",");
        }
      args[0] = joined;
      nargs = 1;
    }
  if ((unsigned) nargs != opt->nargs)
    profile_error (file, line, "%s: expects %u argument%s%s%s, got %d", name, opt->nargs,
                   opt->nargs == 1 ? "" : "s", opt->metavar ? " " : "", opt->metavar ? opt->metavar : "", nargs);

  char where[PATH_MAX + 32];
  snprintf (where, sizeof where, "%s:%u", file, line);
  if (ctx->print_to != NULL)
    {
      fputs (name, ctx->print_to);
      for (int i = 0; i < nargs; i++)
        {
          bool plain = args[i][0] != '\0' && strpbrk (args[i], " \t\"#") == NULL;
          fprintf (ctx->print_to, plain ? " %s" : " \"%s\"", args[i]);
        }
      fprintf (ctx->print_to, "  # %s\n", where);
      return;
    }
  const char *saved = ctx->where;
  ctx->where = where;
  sbx_option_apply (ctx, opt, args);
  ctx->where = saved;
}

static void
read_profile (struct sbx_parse *ctx, const char *path, struct include_stack *stack)
{
  for (int i = 0; i < stack->depth; i++)
    if (strcmp (stack->paths[i], path) == 0)
      profile_error (path, 0, "include cycle (%s includes itself again)", path);
  if (stack->depth == MAX_DEPTH)
    profile_error (path, 0, "includes nested deeper than %d", MAX_DEPTH);
  FILE *f = fopen (path, "re");
  if (f == NULL)
    sbx_die_errno (errno, "read profile", path);
  stack->paths[stack->depth++] = path;

  autofree char *dir = sbx_xstrdup (path);
  char *slash = strrchr (dir, '/');
  if (slash != NULL)
    *slash = '\0';
  char *line = NULL;
  size_t cap = 0;
  unsigned lineno = 0;
  while (getline (&line, &cap, f) >= 0)
    {
      lineno++;
      char *words[MAX_WORDS];
      int n = split (line, words, path, lineno);
      if (n > 0)
        apply_line (ctx, words, n, path, lineno, dir, stack);
    }
  free (line);
  fclose (f);
  stack->depth--;
}

void
sbx_profile_apply (struct sbx_parse *ctx, const char *name)
{
  autofree char *path = sbx_profile_find (name);
  if (path == NULL)
    {
      char **dirs = sbx_profile_dirs ();
      char searched[2048] = "";
      for (char **d = dirs; *d; d++)
        snprintf (searched + strlen (searched), sizeof searched - strlen (searched), "%s%s", searched[0] ? ", " : "", *d);
      sbx_profile_dirs_free (dirs);
      if (strchr (name, '/') != NULL)
        sbx_die ("profile %s: no such file", name);
      sbx_die ("no profile named '%s' (searched %s)", name, searched);
    }
  struct include_stack stack = { .depth = 0 };
  read_profile (ctx, path, &stack);

  /* NAME.local, from any folder of the search path, adds to NAME. */
  if (strchr (name, '/') == NULL)
    {
      char **dirs = sbx_profile_dirs ();
      for (char **d = dirs; *d; d++)
        {
          autofree char *local = sbx_xasprintf ("%s/%s.local", *d, name);
          if (is_file (local))
            read_profile (ctx, local, &stack);
        }
      sbx_profile_dirs_free (dirs);
    }
  ctx->plan->profile = plan_own (ctx->plan, sbx_xstrdup (path));
}
