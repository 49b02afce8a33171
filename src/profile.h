/* Reading profiles: the search path, the language, and applying each line
 * through the option table. */
#ifndef SBX_PROFILE_H
#define SBX_PROFILE_H

#include "parse.h"

/* The folders searched, in order: $XDG_CONFIG_HOME/sbx/profiles,
 * /etc/sbx/profiles, $(datadir)/sbx/profiles. NULL-terminated, malloc'd. */
char **sbx_profile_dirs (void);
void sbx_profile_dirs_free (char **dirs);

/* The file for NAME (NAME.sbx on the search path, or a path), or NULL. */
char *sbx_profile_find (const char *name);

/* Read profile NAME (and NAME.local) into CTX's plan, or list its
 * directives when CTX->print_to is set. Bad lines die with FILE:LINE. */
void sbx_profile_apply (struct sbx_parse *ctx, const char *name);

#endif
