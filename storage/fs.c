/*
 * storage/fs.c: the filesystem driver, a local one (driver.h).
 *
 * The root directory is opened once and every operation is done with
 * the *at() calls relative to that descriptor, so a relative root keeps
 * working whatever the current directory and, with the paths
 * stor_path_valid() lets through, nothing can leave the root.
 *
 * put() writes "<dir>/.tmp-<pid>-<random>", syncs it, renames it over
 * the target (links it, for a create-only put) and syncs the
 * directory; copy() links the source to such a name and renames that.
 * Missing parent directories are created on demand; another process
 * creating them at the same time is fine.  Locks are flock(2) on a lock
 * file, checked after the wait to be still the file at its path (a
 * holder may remove it); a lock's slots are byte-range locks on the same
 * open file (fcntl(2) F_OFD_SETLKW, which Linux keeps apart from
 * flock(2)).  The
 * clock is the root directory's mtime, set to now; use() touches a
 * blob whose mtime is before the current second.
 *
 * An upload is a directory, uploads/<uuid>/ (layout.c): "lock",
 * created with the upload and flock()ed exclusively for each session
 * (opened without O_CREAT afterwards, so a session that waited on an
 * upload finished meanwhile finds nothing), "data", the bytes, and
 * "state", the store's record, replaced with put().  A session appends
 * to "data" at the committed offset, dropping any tail a killed worker
 * left; closing without a commit cuts it back, so a client that gives
 * up in the middle of a PATCH leaves no tail on disk.  Finishing
 * removes "state", then renames "data" to the blob: from the removal
 * on the upload is unknown, and a worker killed after the rename
 * leaves no state claiming bytes that are gone, only debris for prune.
 *
 * A session starts the writeback of each FS_WRITEBACK bytes it wrote
 * (sync_file_range(2), without waiting), so that the data sync that
 * commits an upload finds little left to write: the kernel itself
 * starts writing back only when a share of all memory is dirty, and a
 * large push would otherwise leave its whole blob for that sync.
 */
#include "config.h"

#include <sys/file.h>
#include <sys/stat.h>
#include <sys/types.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/conf.h"
#include "common/log.h"
#include "common/util.h"
#include "common/xmalloc.h"
#include "storage/driver.h"

#define FS_CHUNK	(256 * 1024)
#define FS_FILE_MODE	0644
#define FS_DIR_MODE	0755

struct fs_driver {
	struct stor_driver	 base;		/* must be first */
	int			 dirfd;
	char			*root;		/* realpath of the root */
};

#define FS_WRITEBACK	(8 * 1024 * 1024)
#define FS_STATE_MAX	(64 * 1024)	/* the longest upload state */
#define FS_UPLOADS	"uploads"

struct stor_lock {
	int			 fd;
	int			 slotted;	/* a slot is held */
};

struct fs_stage {
	struct stor_stage	 base;		/* must be first */
	struct fs_driver	*fs;
	struct stor_lock	*lk;
	char			*dir;		/* uploads/<uuid> */
	char			*data;		/* uploads/<uuid>/data */
	char			*state;		/* uploads/<uuid>/state */
	int			 fd;		/* data, -1 until written */
	int			 created;	/* data was created by us */
	off_t			 start;		/* close() cuts back to it */
	off_t			 pos;		/* where the next write goes */
	off_t			 kicked;	/* writeback started below */
};

/* Turn errno into a storage error; log everything but "not there". */
static enum reg_err
fs_errno(const char *op, const char *path)
{
	int	saved = errno;

	if (saved == ENOENT || saved == ENOTDIR)
		return (REG_E_NOENT);
	log_warn("fs: %s %s", op, path);
	if (saved == ENOSPC || saved == EDQUOT)
		return (REG_E_NOSPC);
	return (REG_E_IO);
}

static struct fs_driver *
fs_of(struct stor_driver *sd)
{
	return ((struct fs_driver *)sd);
}

/* Create every directory above "path" (mkdir -p of its parent). */
static enum reg_err
fs_mkparents(struct fs_driver *fs, const char *path)
{
	char		*p, *slash;
	enum reg_err	 rc = REG_OK;

	p = xstrdup(path);
	for (slash = strchr(p, '/'); slash != NULL;
	    slash = strchr(slash + 1, '/')) {
		*slash = '\0';
		if (mkdirat(fs->dirfd, p, FS_DIR_MODE) == -1 &&
		    errno != EEXIST) {
			rc = fs_errno("mkdir", p);
			break;
		}
		*slash = '/';
	}
	free(p);
	return (rc);
}

/* Sync the directory holding "path" (the root for a top-level name). */
static enum reg_err
fs_syncdir(struct fs_driver *fs, const char *path)
{
	const char	*slash;
	char		*dir;
	int		 fd, rc = REG_OK;

	if ((slash = strrchr(path, '/')) == NULL) {
		if (fsync(fs->dirfd) == -1)
			return (fs_errno("fsync", "."));
		return (REG_OK);
	}
	dir = xstrndup(path, (size_t)(slash - path));
	if ((fd = openat(fs->dirfd, dir, O_RDONLY | O_DIRECTORY |
	    O_CLOEXEC)) == -1)
		rc = fs_errno("open", dir);
	else {
		if (fsync(fd) == -1)
			rc = fs_errno("fsync", dir);
		close(fd);
	}
	free(dir);
	return (rc);
}

static int
fs_openat(struct fs_driver *fs, const char *path, int flags, int *created)
{
	int	fd;

	if (created != NULL)
		*created = 0;
	fd = openat(fs->dirfd, path, flags | O_CLOEXEC, FS_FILE_MODE);
	if (fd == -1 && errno == ENOENT && (flags & O_CREAT)) {
		if (fs_mkparents(fs, path) != REG_OK)
			return (-1);
		fd = openat(fs->dirfd, path, flags | O_CLOEXEC, FS_FILE_MODE);
	}
	if (fd != -1 && created != NULL && (flags & O_CREAT))
		*created = 1;
	return (fd);
}

static enum reg_err
fs_write_all(int fd, const void *data, size_t len, const char *path)
{
	const char	*p = data;
	ssize_t		 n;

	while (len > 0) {
		n = write(fd, p, len);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			return (fs_errno("write", path));
		}
		p += n;
		len -= (size_t)n;
	}
	return (REG_OK);
}

static enum reg_err
fs_stat(struct stor_driver *sd, const char *path, struct stor_stat *out)
{
	struct stat	st;

	if (fstatat(fs_of(sd)->dirfd, path, &st, 0) == -1)
		return (fs_errno("stat", path));
	out->size = (uint64_t)st.st_size;
	out->mtime = st.st_mtime;
	out->is_dir = S_ISDIR(st.st_mode);
	return (REG_OK);
}

/*
 * The root answers a stat by its name and is still the directory the
 * driver opened (not unmounted, removed or replaced since).
 */
static enum reg_err
fs_check(struct stor_driver *sd, struct buf *why)
{
	struct fs_driver	*fs = fs_of(sd);
	struct stat		 byname, held;

	if (stat(fs->root, &byname) == -1) {
		buf_addf(why, "stat %s: %m", fs->root);
		return (REG_E_IO);
	}
	if (fstat(fs->dirfd, &held) == -1) {
		buf_addf(why, "fstat %s: %m", fs->root);
		return (REG_E_IO);
	}
	if (byname.st_dev != held.st_dev || byname.st_ino != held.st_ino) {
		buf_addf(why, "%s is no longer the directory opened at start",
		    fs->root);
		return (REG_E_IO);
	}
	return (REG_OK);
}

static enum reg_err
fs_get(struct stor_driver *sd, const char *path, size_t max, struct buf *out)
{
	size_t		 orig = out->len;
	ssize_t		 n;
	int		 fd;
	enum reg_err	 rc = REG_OK;

	if ((fd = fs_openat(fs_of(sd), path, O_RDONLY, NULL)) == -1)
		return (fs_errno("open", path));
	for (;;) {
		buf_grow(out, 16384);
		n = read(fd, out->buf + out->len, out->alloc - out->len - 1);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			rc = fs_errno("read", path);
			break;
		}
		if (n == 0)
			break;
		if (out->len - orig + (size_t)n > max) {
			log_warnx("fs: %s: larger than %zu bytes", path, max);
			rc = REG_E_IO;
			break;
		}
		buf_setlen(out, out->len + (size_t)n);
	}
	close(fd);
	if (rc != REG_OK)
		buf_setlen(out, orig);
	return (rc);
}

/* Write "<dir>/.tmp-<pid>-<random>" for "path" into "tmp". */
static void
fs_tmpname(const char *path, struct buf *tmp)
{
	const char	*slash;
	unsigned char	 rnd[8];
	char		 hex[2 * sizeof(rnd) + 1];

	random_bytes(rnd, sizeof(rnd));
	hex_encode(hex, rnd, sizeof(rnd));
	buf_reset(tmp);
	if ((slash = strrchr(path, '/')) != NULL)
		buf_add(tmp, path, (size_t)(slash - path) + 1);
	buf_addf(tmp, ".tmp-%ld-%s", (long)getpid(), hex);
}

static enum reg_err
fs_read(struct stor_driver *sd, const char *path, uint64_t off,
    uint64_t len, stor_sink_fn sink, void *arg)
{
	char		*chunk;
	size_t		 want;
	ssize_t		 n;
	int		 fd;
	enum reg_err	 rc = REG_OK;

	if ((fd = fs_openat(fs_of(sd), path, O_RDONLY, NULL)) == -1)
		return (fs_errno("open", path));
	(void)posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
	chunk = xmalloc(FS_CHUNK);
	while (len > 0) {
		want = len < FS_CHUNK ? (size_t)len : FS_CHUNK;
		n = pread(fd, chunk, want, (off_t)off);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			rc = fs_errno("read", path);
			break;
		}
		if (n == 0)
			break;
		if ((rc = sink(chunk, (size_t)n, arg)) != REG_OK)
			break;
		off += (uint64_t)n;
		if (len != UINT64_MAX)
			len -= (uint64_t)n;
	}
	free(chunk);
	close(fd);
	return (rc);
}

/* Remove "name" below "dfd", a directory with everything in it. */
static enum reg_err
fs_remove_at(int dfd, const char *name, const char *path)
{
	struct dirent	*de;
	DIR		*dir;
	int		 fd;
	enum reg_err	 rc = REG_OK;

	if (unlinkat(dfd, name, 0) == 0)
		return (REG_OK);
	if (errno != EISDIR && errno != EPERM)
		return (fs_errno("unlink", path));
	fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC);
	if (fd == -1)
		return (fs_errno("open", path));
	if ((dir = fdopendir(fd)) == NULL) {
		close(fd);
		return (fs_errno("opendir", path));
	}
	while (rc == REG_OK && (de = readdir(dir)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		rc = fs_remove_at(dirfd(dir), de->d_name, path);
		if (rc == REG_E_NOENT)
			rc = REG_OK;	/* removed by someone else */
	}
	closedir(dir);
	if (rc == REG_OK && unlinkat(dfd, name, AT_REMOVEDIR) == -1)
		rc = fs_errno("rmdir", path);
	return (rc);
}

/* Rename or link the synced temporary "tmp" to "path". */
static enum reg_err
fs_tmp_install(struct fs_driver *fs, const char *tmp, const char *path,
    int excl)
{
	if (!excl) {
		if (renameat(fs->dirfd, tmp, fs->dirfd, path) == -1)
			return (fs_errno("rename", path));
		return (REG_OK);
	}
	if (linkat(fs->dirfd, tmp, fs->dirfd, path, 0) == -1) {
		if (errno == EEXIST)
			return (REG_E_EXISTS);
		return (fs_errno("link", path));
	}
	(void)unlinkat(fs->dirfd, tmp, 0);
	return (REG_OK);
}

/*
 * An empty object that is not there yet (a link) is created in place: a
 * reader can see it whole or not at all, so it needs no temporary file,
 * no fdatasync() and no rename.  REG_E_NOENT: it is there already, take
 * the general way (which replaces it, with a new mtime).
 */
static enum reg_err
fs_put_empty(struct fs_driver *fs, const char *path, int flags)
{
	int	fd;

	if ((fd = fs_openat(fs, path, O_WRONLY | O_CREAT | O_EXCL,
	    NULL)) == -1) {
		if (errno != EEXIST)
			return (fs_errno("create", path));
		return ((flags & STOR_PUT_EXCL) ? REG_E_EXISTS : REG_E_NOENT);
	}
	if (close(fd) == -1) {
		(void)unlinkat(fs->dirfd, path, 0);
		return (fs_errno("close", path));
	}
	return (fs_syncdir(fs, path));
}

/*
 * Write "path" through a temporary file renamed (or, create-only,
 * linked) into place.  With "sync" the bytes and the name are durable
 * when it returns.
 */
static enum reg_err
fs_put_file(struct fs_driver *fs, const char *path, const void *data,
    size_t len, int flags, int sync)
{
	struct buf		 tmp = BUF_INIT;
	int			 fd;
	enum reg_err		 rc;

	if (len == 0 && sync &&
	    (rc = fs_put_empty(fs, path, flags)) != REG_E_NOENT)
		return (rc);
	fs_tmpname(path, &tmp);
	if ((fd = fs_openat(fs, tmp.buf, O_WRONLY | O_CREAT | O_EXCL,
	    NULL)) == -1) {
		rc = fs_errno("create", tmp.buf);
		goto out;
	}
	rc = fs_write_all(fd, data, len, tmp.buf);
	if (rc == REG_OK && sync && fdatasync(fd) == -1)
		rc = fs_errno("fdatasync", tmp.buf);
	if (close(fd) == -1 && rc == REG_OK)
		rc = fs_errno("close", tmp.buf);
	if (rc == REG_OK)
		rc = fs_tmp_install(fs, tmp.buf, path, flags & STOR_PUT_EXCL);
	if (rc != REG_OK)
		(void)unlinkat(fs->dirfd, tmp.buf, 0);
	else if (sync)
		rc = fs_syncdir(fs, path);
out:
	buf_release(&tmp);
	return (rc);
}

static enum reg_err
fs_put(struct stor_driver *sd, const char *path, const void *data,
    size_t len, int flags)
{
	return (fs_put_file(fs_of(sd), path, data, len, flags, 1));
}

/* A second name for the file, renamed over the target: atomic there. */
static enum reg_err
fs_copy(struct stor_driver *sd, const char *from, const char *to)
{
	struct fs_driver	*fs = fs_of(sd);
	struct buf		 tmp = BUF_INIT;
	struct stat		 st;
	enum reg_err		 rc;

	if (fstatat(fs->dirfd, from, &st, 0) == -1)
		return (fs_errno("stat", from));
	if (S_ISDIR(st.st_mode))
		return (REG_E_NOENT);
	fs_tmpname(to, &tmp);
	if ((rc = fs_mkparents(fs, to)) != REG_OK)
		goto out;
	if (linkat(fs->dirfd, from, fs->dirfd, tmp.buf, 0) == -1) {
		rc = fs_errno("link", from);
		goto out;
	}
	if ((rc = fs_tmp_install(fs, tmp.buf, to, 0)) != REG_OK)
		(void)unlinkat(fs->dirfd, tmp.buf, 0);
	else
		rc = fs_syncdir(fs, to);
out:
	buf_release(&tmp);
	return (rc);
}

static enum reg_err
fs_touch(struct stor_driver *sd, const char *path)
{
	struct fs_driver	*fs = fs_of(sd);
	struct stat		 st;

	if (utimensat(fs->dirfd, path, NULL, 0) == 0)
		return (REG_OK);
	if ((errno != EACCES && errno != EPERM) ||
	    fstatat(fs->dirfd, path, &st, AT_SYMLINK_NOFOLLOW) == -1)
		return (fs_errno("touch", path));
	/* Say what to do: e.g. a CLI run as root wrote it. */
	log_warnx("fs: cannot mark %s/%s used: it belongs to uid %ld, not to "
	    "uid %ld that runs here: run specreg commands as the store's "
	    "owner", fs->root, path, (long)st.st_uid, (long)geteuid());
	return (REG_E_IO);
}

/* An object, not a directory: that is remove_tree()'s. */
static enum reg_err
fs_remove(struct stor_driver *sd, const char *path)
{
	if (unlinkat(fs_of(sd)->dirfd, path, 0) == -1) {
		if (errno == EISDIR || errno == EPERM)
			return (REG_E_NOENT);
		return (fs_errno("unlink", path));
	}
	return (REG_OK);
}

static enum reg_err
fs_remove_tree(struct stor_driver *sd, const char *path)
{
	return (fs_remove_at(fs_of(sd)->dirfd, path, path));
}

struct fs_ent {
	char			*name;
	struct stor_stat	 ss;
};

static int
fs_ent_cmp(const void *a, const void *b)
{
	return (strcmp(((const struct fs_ent *)a)->name,
	    ((const struct fs_ent *)b)->name));
}

static void
fs_stat_of(const struct stat *st, struct stor_stat *ss)
{
	ss->size = (uint64_t)st->st_size;
	ss->mtime = st->st_mtime;
	ss->is_dir = S_ISDIR(st->st_mode);
}

/*
 * The entries of "path", sorted: temporaries of fs_put() ("tmp") or
 * everything but dot files.
 */
static enum reg_err
fs_entries(struct fs_driver *fs, const char *path, int tmp,
    struct fs_ent **out, size_t *n)
{
	struct dirent	*de;
	struct stat	 st;
	struct fs_ent	*v = NULL;
	DIR		*dir;
	size_t		 alloc = 0;
	int		 fd, wanted;
	enum reg_err	 rc = REG_OK;

	*n = 0;
	fd = openat(fs->dirfd, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd == -1)
		return (fs_errno("open", path));
	if ((dir = fdopendir(fd)) == NULL) {
		close(fd);
		return (fs_errno("opendir", path));
	}
	for (;;) {
		errno = 0;
		if ((de = readdir(dir)) == NULL) {
			if (errno != 0)
				rc = fs_errno("readdir", path);
			break;
		}
		wanted = tmp ? strncmp(de->d_name, ".tmp-", 5) == 0 :
		    de->d_name[0] != '.';
		if (!wanted)
			continue;
		if (fstatat(dirfd(dir), de->d_name, &st,
		    AT_SYMLINK_NOFOLLOW) == -1) {
			if (errno == ENOENT)
				continue;	/* removed meanwhile */
			rc = fs_errno("stat", de->d_name);
			break;
		}
		if (*n == alloc) {
			alloc = alloc == 0 ? 64 : alloc * 2;
			v = xreallocarray(v, alloc, sizeof(*v));
		}
		v[*n].name = xstrdup(de->d_name);
		fs_stat_of(&st, &v[*n].ss);
		(*n)++;
	}
	closedir(dir);
	if (*n > 1)
		qsort(v, *n, sizeof(*v), fs_ent_cmp);
	*out = v;
	return (rc);
}

static void
fs_entries_free(struct fs_ent *v, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++)
		free(v[i].name);
	free(v);
}

static enum reg_err
fs_list(struct stor_driver *sd, const char *path, stor_list_fn fn, void *arg)
{
	struct fs_ent	*v = NULL;
	size_t		 i, n;
	enum reg_err	 rc;

	rc = fs_entries(fs_of(sd), path, 0, &v, &n);
	for (i = 0; i < n && rc == REG_OK; i++)
		rc = fn(v[i].name, &v[i].ss, arg);
	fs_entries_free(v, n);
	return (rc);
}

/*
 * Whether "fd" is still the file at "path": a lock file removed (and
 * perhaps created anew) while we waited for it is no longer the lock.
 */
static int
fs_lock_current(struct fs_driver *fs, int fd, const char *path)
{
	struct stat	held, named;

	if (fstat(fd, &held) == -1 ||
	    fstatat(fs->dirfd, path, &named, AT_SYMLINK_NOFOLLOW) == -1)
		return (0);
	return (held.st_dev == named.st_dev && held.st_ino == named.st_ino);
}

/* Open and flock "path"; -1 (errno set) on failure. */
static int
fs_lock_open(struct fs_driver *fs, const char *path,
    enum stor_lock_mode mode, int create)
{
	int	fd, saved;

	fd = fs_openat(fs, path, O_RDWR | (create ? O_CREAT : 0), NULL);
	if (fd == -1)
		return (-1);
	while (flock(fd, mode == STOR_LOCK_EX ? LOCK_EX : LOCK_SH) == -1) {
		if (errno != EINTR) {
			saved = errno;
			close(fd);
			errno = saved;
			return (-1);
		}
	}
	return (fd);
}

/*
 * A holder may remove the lock file before it unlocks: whoever waited
 * on that file then locks the one at the path, made anew if "create",
 * so that it never holds a lock a newcomer does not wait for.
 */
static enum reg_err
fs_lock(struct stor_driver *sd, const char *path, enum stor_lock_mode mode,
    int create, struct stor_lock **out)
{
	struct fs_driver	*fs = fs_of(sd);
	struct stor_lock	*lk;
	int			 fd;

	for (;;) {
		if ((fd = fs_lock_open(fs, path, mode, create)) == -1)
			return (fs_errno("lock", path));
		if (fs_lock_current(fs, fd, path))
			break;
		(void)flock(fd, LOCK_UN);
		close(fd);
		if (!create)
			return (REG_E_NOENT);
	}
	lk = xcalloc(1, sizeof(*lk));
	lk->fd = fd;
	*out = lk;
	return (REG_OK);
}

/* Slots are bytes; beyond the end of the (empty) file is fine. */
#define FS_SLOTS	(1ULL << 40)

static enum reg_err
fs_lock_slot(struct stor_lock *lk, uint64_t slot)
{
	struct flock	fl;

	memset(&fl, 0, sizeof(fl));
	fl.l_type = F_WRLCK;
	fl.l_whence = SEEK_SET;
	fl.l_start = (off_t)(slot % FS_SLOTS);
	fl.l_len = 1;
	while (fcntl(lk->fd, F_OFD_SETLKW, &fl) == -1) {
		if (errno != EINTR)
			return (fs_errno("fcntl", "F_OFD_SETLKW"));
	}
	lk->slotted = 1;
	return (REG_OK);
}

/*
 * Unlock explicitly rather than by close(): a child forked meanwhile
 * shares the open file, and with it the locks, until it closes it too.
 */
static void
fs_unlock(struct stor_lock *lk)
{
	struct flock	fl;

	if (lk->slotted) {
		memset(&fl, 0, sizeof(fl));
		fl.l_type = F_UNLCK;
		fl.l_whence = SEEK_SET;
		(void)fcntl(lk->fd, F_OFD_SETLK, &fl);
	}
	(void)flock(lk->fd, LOCK_UN);
	close(lk->fd);
	free(lk);
}

/* Staging. */

static void
fs_upload_path(struct buf *out, const char *uuid, const char *part)
{
	buf_reset(out);
	buf_addf(out, FS_UPLOADS "/%s%s%s", uuid, part == NULL ? "" : "/",
	    part == NULL ? "" : part);
}

/*
 * The lock, the empty data file and the first state, none of it synced:
 * an upload that holds no byte yet is not worth two syncs (a
 * monolithic push finishes in the same request).  After a crash it may
 * be gone or have an empty state, which reads as an unknown upload;
 * prune removes what is left.  The first commit syncs the upload
 * directory, data file and state together; a finish syncs the data and
 * the blob's directory.
 */
static enum reg_err
fs_stage_create(struct stor_driver *sd, const char *uuid, const void *state,
    size_t len)
{
	struct fs_driver	*fs = fs_of(sd);
	struct stor_lock	*lk;
	struct buf		 path = BUF_INIT;
	int			 fd;
	enum reg_err		 rc;

	fs_upload_path(&path, uuid, "lock");
	if ((rc = fs_lock(sd, path.buf, STOR_LOCK_EX, 1, &lk)) != REG_OK)
		goto out;
	fs_upload_path(&path, uuid, "data");
	if ((fd = fs_openat(fs, path.buf, O_WRONLY | O_CREAT, NULL)) == -1)
		rc = fs_errno("create", path.buf);
	else
		close(fd);
	fs_upload_path(&path, uuid, "state");
	if (rc == REG_OK)
		rc = fs_put_file(fs, path.buf, state, len, 0, 0);
	if (rc != REG_OK) {
		fs_upload_path(&path, uuid, NULL);
		(void)fs_remove_tree(sd, path.buf);
	}
	fs_unlock(lk);
out:
	buf_release(&path);
	return (rc);
}

static void
fs_stage_free(struct fs_stage *sg)
{
	if (sg->lk != NULL)
		fs_unlock(sg->lk);
	free(sg->dir);
	free(sg->data);
	free(sg->state);
	free(sg);
}

static enum reg_err
fs_stage_open(struct stor_driver *sd, const char *uuid,
    struct stor_stage **out, struct buf *state)
{
	struct fs_driver	*fs = fs_of(sd);
	struct fs_stage		*sg;
	struct buf		 path = BUF_INIT;
	enum reg_err		 rc;

	sg = xcalloc(1, sizeof(*sg));
	sg->base.sd = sd;
	sg->fs = fs;
	sg->fd = -1;
	fs_upload_path(&path, uuid, NULL);
	sg->dir = xstrdup(path.buf);
	fs_upload_path(&path, uuid, "data");
	sg->data = xstrdup(path.buf);
	fs_upload_path(&path, uuid, "state");
	sg->state = xstrdup(path.buf);
	fs_upload_path(&path, uuid, "lock");
	if ((rc = fs_lock(sd, path.buf, STOR_LOCK_EX, 0, &sg->lk)) == REG_OK)
		rc = fs_get(sd, sg->state, FS_STATE_MAX, state);
	buf_release(&path);
	if (rc != REG_OK) {
		fs_stage_free(sg);
		return (rc);
	}
	*out = &sg->base;
	return (REG_OK);
}

/* Open the data file at "off", dropping what lies beyond it. */
static enum reg_err
fs_stage_seek(struct fs_stage *sg, uint64_t off)
{
	struct stat	st;
	int		fd;

	sg->created = 0;
	fd = fs_openat(sg->fs, sg->data, O_WRONLY, NULL);
	if (fd == -1 && errno == ENOENT)
		fd = fs_openat(sg->fs, sg->data, O_WRONLY | O_CREAT,
		    &sg->created);
	if (fd == -1)
		return (fs_errno("open", sg->data));
	if (fstat(fd, &st) == -1) {
		close(fd);
		return (fs_errno("fstat", sg->data));
	}
	if ((uint64_t)st.st_size < off) {
		log_warnx("fs: %s: %llu bytes, cannot append at %llu",
		    sg->data, (unsigned long long)st.st_size,
		    (unsigned long long)off);
		close(fd);
		return (REG_E_IO);
	}
	if (ftruncate(fd, (off_t)off) == -1 ||
	    lseek(fd, (off_t)off, SEEK_SET) == -1) {
		close(fd);
		return (fs_errno("truncate", sg->data));
	}
	sg->fd = fd;
	sg->start = sg->pos = sg->kicked = (off_t)off;
	return (REG_OK);
}

static enum reg_err
fs_stage_write(struct stor_stage *ssg, uint64_t off, const void *data,
    size_t len)
{
	struct fs_stage	*sg = (struct fs_stage *)ssg;
	enum reg_err	 rc;

	if (sg->fd == -1 && (rc = fs_stage_seek(sg, off)) != REG_OK)
		return (rc);
	if ((off_t)off != sg->pos) {
		log_warnx("fs: %s: append at %llu, the end is %lld", sg->data,
		    (unsigned long long)off, (long long)sg->pos);
		return (REG_E_IO);
	}
	if ((rc = fs_write_all(sg->fd, data, len, sg->data)) != REG_OK)
		return (rc);
	sg->pos += (off_t)len;
#ifdef SYNC_FILE_RANGE_WRITE
	/* Advice only: the commit's fdatasync() reports what fails. */
	if (sg->pos - sg->kicked >= FS_WRITEBACK) {
		(void)sync_file_range(sg->fd, sg->kicked, sg->pos - sg->kicked,
		    SYNC_FILE_RANGE_WRITE);
		sg->kicked = sg->pos;
	}
#endif
	return (REG_OK);
}

/* Make the appended bytes durable and close the data file. */
static enum reg_err
fs_stage_sync(struct fs_stage *sg)
{
	enum reg_err	rc = REG_OK;

	if (sg->fd == -1)
		return (REG_OK);
	if (fdatasync(sg->fd) == -1)
		rc = fs_errno("fdatasync", sg->data);
	if (close(sg->fd) == -1 && rc == REG_OK)
		rc = fs_errno("close", sg->data);
	sg->fd = -1;
	if (rc == REG_OK && sg->created)
		rc = fs_syncdir(sg->fs, sg->data);
	if (rc == REG_OK)
		sg->start = sg->pos;
	return (rc);
}

static enum reg_err
fs_stage_commit(struct stor_stage *ssg, const void *state, size_t len)
{
	struct fs_stage	*sg = (struct fs_stage *)ssg;
	enum reg_err	 rc;

	if ((rc = fs_stage_sync(sg)) != REG_OK)
		return (rc);
	return (fs_put(ssg->sd, sg->state, state, len, 0));
}

static enum reg_err
fs_stage_read(struct stor_stage *ssg, uint64_t off, uint64_t len,
    stor_sink_fn sink, void *arg)
{
	struct fs_stage	*sg = (struct fs_stage *)ssg;

	return (fs_read(ssg->sd, sg->data, off, len, sink, arg));
}

/* Cut the data file to "size" bytes if it is longer (a killed writer). */
static enum reg_err
fs_stage_cut(struct fs_stage *sg, uint64_t size)
{
	struct stat	st;
	int		fd;
	enum reg_err	rc = REG_OK;

	if (fstatat(sg->fs->dirfd, sg->data, &st, 0) == -1)
		return (fs_errno("stat", sg->data));
	if ((uint64_t)st.st_size == size)
		return (REG_OK);
	if ((uint64_t)st.st_size < size) {
		log_warnx("fs: %s: %llu bytes, not %llu", sg->data,
		    (unsigned long long)st.st_size, (unsigned long long)size);
		return (REG_E_IO);
	}
	if ((fd = fs_openat(sg->fs, sg->data, O_WRONLY, NULL)) == -1)
		return (fs_errno("open", sg->data));
	if (ftruncate(fd, (off_t)size) == -1 || fdatasync(fd) == -1)
		rc = fs_errno("truncate", sg->data);
	close(fd);
	return (rc);
}

static enum reg_err
fs_rename(struct fs_driver *fs, const char *from, const char *to)
{
	struct stat	st;
	enum reg_err	rc;

	if (renameat(fs->dirfd, from, fs->dirfd, to) == -1) {
		if (errno != ENOENT)
			return (fs_errno("rename", to));
		if (fstatat(fs->dirfd, from, &st, AT_SYMLINK_NOFOLLOW) == -1)
			return (fs_errno("rename", from));
		if ((rc = fs_mkparents(fs, to)) != REG_OK)
			return (rc);
		if (renameat(fs->dirfd, from, fs->dirfd, to) == -1)
			return (fs_errno("rename", to));
	}
	return (fs_syncdir(fs, to));
}

/*
 * The rename is atomic and blobs are content-addressed, so when several
 * uploads of the same blob finish at once each rename replaces an
 * identical file.
 */
static enum reg_err
fs_stage_finish(struct stor_stage *ssg, uint64_t size, const char *dest)
{
	struct fs_stage	*sg = (struct fs_stage *)ssg;
	enum reg_err	 rc;

	if ((rc = fs_stage_sync(sg)) != REG_OK ||
	    (rc = fs_stage_cut(sg, size)) != REG_OK)
		return (rc);
	if (unlinkat(sg->fs->dirfd, sg->state, 0) == -1)
		return (fs_errno("unlink", sg->state));
	if ((rc = fs_rename(sg->fs, sg->data, dest)) != REG_OK)
		return (rc);
	(void)fs_remove_tree(ssg->sd, sg->dir);
	return (REG_OK);
}

static void
fs_stage_close(struct stor_stage *ssg)
{
	struct fs_stage	*sg = (struct fs_stage *)ssg;

	if (sg->fd != -1) {
		if (sg->pos != sg->start && ftruncate(sg->fd, sg->start) == -1)
			log_warn("fs: truncate %s", sg->data);
		close(sg->fd);
	}
	fs_stage_free(sg);
}

/* The newest mtime of an upload's directory, data and state, and its bytes. */
static enum reg_err
fs_upload_newest(struct fs_driver *fs, const char *uuid,
    struct stor_stat *ss)
{
	const char	*parts[] = { NULL, "data", "state" };
	struct buf	 path = BUF_INIT;
	struct stat	 st;
	size_t		 i;
	enum reg_err	 rc = REG_OK;

	memset(ss, 0, sizeof(*ss));
	ss->is_dir = 1;
	for (i = 0; i < nitems(parts) && rc == REG_OK; i++) {
		fs_upload_path(&path, uuid, parts[i]);
		if (fstatat(fs->dirfd, path.buf, &st, 0) == -1) {
			if ((rc = fs_errno("stat", path.buf)) == REG_E_NOENT &&
			    i > 0)
				rc = REG_OK;
			continue;
		}
		if (st.st_mtime > ss->mtime)
			ss->mtime = st.st_mtime;
		if (i == 1)
			ss->size = (uint64_t)st.st_size;
	}
	buf_release(&path);
	return (rc);
}

static enum reg_err
fs_stage_remove(struct stor_driver *sd, const char *uuid, time_t before)
{
	struct fs_driver	*fs = fs_of(sd);
	struct stor_lock	*lk = NULL;
	struct stor_stat	 ss;
	struct buf		 path = BUF_INIT;
	enum reg_err		 rc = REG_OK;

	if (before != 0) {
		fs_upload_path(&path, uuid, "lock");
		if ((rc = fs_lock(sd, path.buf, STOR_LOCK_EX, 0, &lk)) ==
		    REG_E_NOENT)
			rc = REG_OK;	/* none yet, or debris */
		if (rc == REG_OK &&
		    (rc = fs_upload_newest(fs, uuid, &ss)) == REG_OK &&
		    ss.mtime >= before)
			rc = REG_E_BUSY;
	}
	fs_upload_path(&path, uuid, NULL);
	if (rc == REG_OK)
		rc = fs_remove_tree(sd, path.buf);
	if (lk != NULL)
		fs_unlock(lk);
	buf_release(&path);
	return (rc);
}

static enum reg_err
fs_list_uploads(struct fs_driver *fs, stor_list_fn fn, void *arg)
{
	struct fs_ent	*v = NULL;
	struct stor_stat ss;
	size_t		 i, n;
	enum reg_err	 rc;

	rc = fs_entries(fs, FS_UPLOADS, 0, &v, &n);
	for (i = 0; i < n && rc == REG_OK; i++) {
		ss = v[i].ss;
		if (ss.is_dir && uuid_valid(v[i].name, strlen(v[i].name)) &&
		    (rc = fs_upload_newest(fs, v[i].name, &ss)) != REG_OK) {
			if (rc == REG_E_NOENT)
				rc = REG_OK;	/* removed meanwhile */
			continue;
		}
		rc = fn(v[i].name, &ss, arg);
	}
	fs_entries_free(v, n);
	return (rc);
}

/* fs_put()'s temporaries below "dir", by path, then its subdirectories'. */
static enum reg_err
fs_list_debris(struct fs_driver *fs, const char *dir, stor_list_fn fn,
    void *arg)
{
	struct fs_ent	*v = NULL;
	struct buf	 path = BUF_INIT;
	size_t		 i, n;
	int		 tmp;
	enum reg_err	 rc = REG_OK;

	for (tmp = 1; tmp >= 0 && rc == REG_OK; tmp--) {
		if ((rc = fs_entries(fs, dir, tmp, &v, &n)) == REG_E_NOENT)
			rc = REG_OK;
		for (i = 0; i < n && rc == REG_OK; i++) {
			if (!tmp && !v[i].ss.is_dir)
				continue;
			buf_reset(&path);
			buf_addf(&path, "%s/%s", dir, v[i].name);
			rc = tmp ? fn(path.buf, &v[i].ss, arg) :
			    fs_list_debris(fs, path.buf, fn, arg);
		}
		fs_entries_free(v, n);
		v = NULL;
		n = 0;
	}
	buf_release(&path);
	return (rc);
}

/* Where fs_put() writes: the trees of layout.c. */
static const char *fs_debris_roots[] = { "blobs", FS_UPLOADS, "repos" };

static enum reg_err
fs_stage_list(struct stor_driver *sd, enum stor_stage_what what,
    stor_list_fn fn, void *arg)
{
	struct fs_driver	*fs = fs_of(sd);
	size_t			 i;
	enum reg_err		 rc = REG_OK;

	if (what == STOR_STAGE_UPLOADS) {
		rc = fs_list_uploads(fs, fn, arg);
		return (rc == REG_E_NOENT ? REG_OK : rc);
	}
	if (what == STOR_STAGE_TRASH)
		return (REG_OK);	/* a removal is final */
	for (i = 0; i < nitems(fs_debris_roots) && rc == REG_OK; i++)
		rc = fs_list_debris(fs, fs_debris_roots[i], fn, arg);
	return (rc);
}

/* Coordination. */

static enum reg_err
fs_clock(struct stor_driver *sd, time_t *now)
{
	struct fs_driver	*fs = fs_of(sd);
	struct stat		 st;

	if (futimens(fs->dirfd, NULL) == -1 || fstat(fs->dirfd, &st) == -1)
		return (fs_errno("touch", fs->root));
	*now = st.st_mtime;
	return (REG_OK);
}

/*
 * Inside the caller's shared gc lock: an mtime in the current second is
 * >= any epoch taken before, an older one is set to now.
 */
static enum reg_err
fs_use(struct stor_driver *sd, const char *path, time_t fresh,
    struct stor_stat *ss)
{
	time_t		now;
	enum reg_err	rc;

	if ((rc = fs_stat(sd, path, ss)) == REG_OK && ss->is_dir)
		rc = REG_E_NOENT;
	now = time(NULL);
	if (rc != REG_OK || ss->mtime >= now ||
	    (fresh > 0 && ss->mtime > now - fresh))
		return (rc);
	if ((rc = fs_touch(sd, path)) == REG_OK)
		rc = fs_stat(sd, path, ss);
	return (rc);
}

/* Inside the exclusive gc lock: a second look, then the removal. */
static enum reg_err
fs_remove_unused(struct stor_driver *sd, const char *path, time_t cutoff,
    struct stor_stat *ss)
{
	enum reg_err	rc;

	if ((rc = fs_stat(sd, path, ss)) == REG_OK && ss->is_dir)
		rc = REG_E_NOENT;
	if (rc != REG_OK)
		return (rc);
	if (ss->mtime >= cutoff)
		return (REG_E_BUSY);
	return (fs_remove(sd, path));
}

static enum reg_err
fs_local_path(struct stor_driver *sd, const char *path, struct buf *out)
{
	buf_addf(out, "%s/%s", fs_of(sd)->root, path);
	return (REG_OK);
}

static void
fs_close(struct stor_driver *sd)
{
	struct fs_driver	*fs = fs_of(sd);

	close(fs->dirfd);
	free(fs->root);
	free(fs);
}

static const struct stor_ops fs_ops = {
	.name		= "fs",
	.caps		= STOR_CAP_EXCL,
	.stat		= fs_stat,
	.get		= fs_get,
	.put		= fs_put,
	.read		= fs_read,
	.list		= fs_list,
	.remove		= fs_remove,
	.remove_tree	= fs_remove_tree,
	.copy		= fs_copy,
	.touch		= fs_touch,
	.stage_create	= fs_stage_create,
	.stage_open	= fs_stage_open,
	.stage_write	= fs_stage_write,
	.stage_commit	= fs_stage_commit,
	.stage_read	= fs_stage_read,
	.stage_finish	= fs_stage_finish,
	.stage_close	= fs_stage_close,
	.stage_remove	= fs_stage_remove,
	.stage_list	= fs_stage_list,
	.lock		= fs_lock,
	.lock_slot	= fs_lock_slot,
	.unlock		= fs_unlock,
	.clock		= fs_clock,
	.use		= fs_use,
	.remove_unused	= fs_remove_unused,
	.local_path	= fs_local_path,
	.check		= fs_check,
	.close		= fs_close,
};

/* [storage] keys of driver = fs. */
const struct stor_key stor_fs_keys[] = {
	{ "root",	STOR_KEY_REQUIRED },
	{ NULL,		0 }
};

/* mkdir -p "root"; -1 after logging. */
static int
fs_mkroot(const char *root)
{
	char	*p, *slash;
	int	 rv = 0;

	p = xstrdup(root);
	slash = p;
	while (rv == 0 && slash != NULL) {
		if ((slash = strchr(slash + 1, '/')) != NULL)
			*slash = '\0';
		if (mkdir(p, FS_DIR_MODE) == -1 && errno != EEXIST) {
			log_warn("fs: mkdir %s", p);
			rv = -1;
		}
		if (slash != NULL)
			*slash = '/';
	}
	free(p);
	return (rv);
}

struct stor_driver *
stor_fs_open(const struct conf *c)
{
	struct fs_driver	*fs;
	const char		*root = conf_storage_get(c, "root");
	char			*real;
	int			 fd;

	if (root == NULL || *root == '\0') {
		log_warnx("fs: no storage root");
		return (NULL);
	}
	if (fs_mkroot(root) == -1)
		return (NULL);
	if ((fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1) {
		log_warn("fs: open %s", root);
		return (NULL);
	}
	if (faccessat(fd, ".", R_OK | W_OK | X_OK, 0) == -1 ||
	    (real = realpath(root, NULL)) == NULL) {
		log_warn("fs: %s", root);
		close(fd);
		return (NULL);
	}
	fs = xcalloc(1, sizeof(*fs));
	fs->base.ops = &fs_ops;
	fs->dirfd = fd;
	fs->root = real;
	return (&fs->base);
}
