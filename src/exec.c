/* Stage 8: the working directory, the session, then exec. The command is
 * searched on the sandbox's own PATH, in the sandbox's own file system. */
#include "stages.h"

#include "limits.h"

#include "error.h"
#include "util.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char default_path[] = "/usr/local/bin:/usr/bin:/bin";

static const char *
env_get (char *const *envp, const char *name)
{
  size_t len = strlen (name);
  for (; *envp != NULL; envp++)
    if (strncmp (*envp, name, len) == 0 && (*envp)[len] == '=')
      return *envp + len + 1;
  return NULL;
}

/* The plan's environment with PWD set to where the command starts. */
static char **
with_pwd (char *const *envp, const char *cwd)
{
  size_t n = 0;
  while (envp[n] != NULL)
    n++;
  char **out = sbx_xcalloc (n + 2, sizeof *out);
  size_t k = 0;
  for (size_t i = 0; i < n; i++)
    if (strncmp (envp[i], "PWD=", 4) != 0)
      out[k++] = envp[i];
  out[k++] = sbx_xasprintf ("PWD=%s", cwd);
  out[k] = NULL;
  return out;
}

static const char *
enter_working_directory (const struct sbx_plan *plan)
{
  if (plan->chdir != NULL)
    {
      if (chdir (plan->chdir) < 0)
        sbx_die_errno (errno, "change directory", plan->chdir);
      return plan->chdir;
    }
  /* As bubblewrap does: stay where the caller was if that exists inside. */
  if (plan->outer_cwd != NULL && chdir (plan->outer_cwd) == 0)
    return plan->outer_cwd;
  if (chdir ("/") < 0)
    sbx_die_errno (errno, "change directory", "/");
  return "/";
}

static bool
is_not_found (int errnum)
{
  return errnum == ENOENT || errnum == ENOTDIR || errnum == ELOOP || errnum == ENAMETOOLONG;
}

static noreturn void
exec_command (const char *file, char *const *argv, char *const *envp)
{
  if (strchr (file, '/') != NULL)
    {
      execve (file, argv, envp);
      int err = errno;
      sbx_die_status (is_not_found (err) ? SBX_EXIT_NOT_FOUND : SBX_EXIT_CANNOT_EXEC, err, "execute", file);
    }
  const char *path = env_get (envp, "PATH");
  if (path == NULL)
    path = default_path;
  bool denied = false;
  char candidate[PATH_MAX];
  for (const char *dir = path;; dir++)
    {
      const char *end = strchrnul (dir, ':');
      int len = (int) (end - dir);
      if (snprintf (candidate, sizeof candidate, "%.*s%s%s", len, dir, len ? "/" : "", file)
          < (int) sizeof candidate)
        {
          execve (candidate, argv, envp);
          struct stat st;
          /* EACCES may be about a PATH directory we cannot search; only a
           * file that is there but cannot be run makes it 126. */
          if (errno == EACCES && stat (candidate, &st) == 0)
            denied = true;
          else if (errno != EACCES && !is_not_found (errno))
            sbx_die_status (SBX_EXIT_CANNOT_EXEC, errno, "execute", candidate);
        }
      if (*end == '\0')
        break;
      dir = end;
    }
  if (denied)
    sbx_die_status (SBX_EXIT_CANNOT_EXEC, EACCES, "execute", file);
  sbx_die_status (SBX_EXIT_NOT_FOUND, ENOENT, "execute", file);
}

noreturn void
sbx_stage_exec (const struct sbx_plan *plan)
{
  const char *cwd = enter_working_directory (plan);
  if (plan->new_session && setsid () < 0)
    sbx_die_errno (errno, "start a new session", NULL);

  size_t argc = 0;
  while (plan->argv[argc] != NULL)
    argc++;
  char **argv = sbx_xcalloc (argc + 1, sizeof *argv);
  memcpy (argv, plan->argv, argc * sizeof *argv);
  if (plan->argv0 != NULL)
    argv[0] = (char *) plan->argv0;
  char **envp = with_pwd (plan->envp, cwd);
  /* Last, with nothing left to allocate: a small RLIMIT_AS must not
   * starve sbx itself (nor a sanitizer's shadow memory). */
  sbx_stage_rlimits (&plan->limits);
  exec_command (plan->argv[0], argv, envp);
}
