/*
 * secret.c - the generated signing secret in the data folder.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "auth/secret.h"
#include "util/banned.h"

#define SECRET_BYTES 32
#define SECRET_FILE_MAX 4096

static enum gh_err
create_secret(const char *path, char *err, size_t errsz)
{
	unsigned char raw[SECRET_BYTES];
	char hex[SECRET_BYTES * 2 + 2];
	size_t n;
	int fd;

	fd = open(
	    path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0) {
		if (errno == EEXIST)
			return GH_OK; /* another process won the race */
		snprintf(
		    err, errsz, "cannot create %s: %s", path, strerror(errno));
		return GH_ERR_INVALID;
	}
	randombytes_buf(raw, sizeof(raw));
	sodium_bin2hex(hex, sizeof(hex), raw, sizeof(raw));
	n = strlen(hex);
	hex[n++] = '\n';
	if (write(fd, hex, n) != (ssize_t)n || fsync(fd) != 0) {
		snprintf(
		    err, errsz, "cannot write %s: %s", path, strerror(errno));
		close(fd);
		unlink(path);
		return GH_ERR_INVALID;
	}
	sodium_memzero(raw, sizeof(raw));
	sodium_memzero(hex, sizeof(hex));
	close(fd);
	return GH_OK;
}

enum gh_err
gh_secret_load(
    const char *data_dir, bool create, char **out, char *err, size_t errsz)
{
	char path[4096], buf[SECRET_FILE_MAX + 1];
	enum gh_err r = GH_ERR_INVALID;
	struct stat st;
	ssize_t n;
	int fd;

	*out = NULL;
	snprintf(path, sizeof(path), "%s/secret_key", data_dir);
	if (create && (r = create_secret(path, err, errsz)) != GH_OK)
		return r;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) < 0) {
		if (errno == ENOENT)
			return GH_ERR_NOTFOUND;
		snprintf(
		    err, errsz, "cannot open %s: %s", path, strerror(errno));
		return GH_ERR_INVALID;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		snprintf(err, errsz, "%s is not a regular file", path);
		r = GH_ERR_INVALID;
		goto out;
	}
	if (st.st_mode & 077) {
		snprintf(err, errsz,
		    "%s is readable by others (mode %03o): chmod 600 it", path,
		    (unsigned)(st.st_mode & 0777));
		r = GH_ERR_DENIED;
		goto out;
	}
	n = read(fd, buf, SECRET_FILE_MAX);
	if (n <= 0) {
		snprintf(err, errsz, "%s is empty or unreadable", path);
		r = GH_ERR_INVALID;
		goto out;
	}
	while (n > 0 &&
	       (buf[n - 1] == '\n' || buf[n - 1] == '\r' || buf[n - 1] == ' '))
		n--;
	if (n == 0 || memchr(buf, '\0', (size_t)n) != NULL) {
		snprintf(err, errsz, "%s holds no usable secret", path);
		r = GH_ERR_INVALID;
		goto out;
	}
	*out = gh_xstrndup(buf, (size_t)n);
	r = GH_OK;
out:
	sodium_memzero(buf, sizeof(buf));
	close(fd);
	return r;
}
