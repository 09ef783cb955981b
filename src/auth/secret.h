/*
 * secret.h - the JWT signing secret when SECRET_KEY is not configured.
 *
 * gatehouse never ships a default secret.  Without SECRET_KEY it keeps
 * one in DATA_DIR/secret_key: generated on first start from
 * randombytes_buf (32 bytes, hex-encoded so it can be copied into
 * SECRET_KEY for other services), created with O_EXCL and mode 0600,
 * and refused afterwards if its mode lets group or others read it.
 */
#ifndef GH_SECRET_H
#define GH_SECRET_H

#include <stddef.h>

#include "gh.h"

/*
 * Read DATA_DIR/secret_key, creating it if create is true and it does
 * not exist.  *out is a malloc'd NUL-terminated secret; the caller wipes
 * and frees it.  GH_ERR_NOTFOUND when absent and !create; GH_ERR_DENIED
 * when its mode is too loose; GH_ERR_INVALID otherwise (reason in err).
 */
enum gh_err gh_secret_load(
    const char *data_dir, bool create, char **out, char *err, size_t errsz);

#endif /* GH_SECRET_H */
