/*
 * storage/fs.c: the filesystem driver.
 *
 * The root directory is opened once and every operation is done with
 * the *at() calls relative to that descriptor, so a relative root keeps
 * working whatever the current directory and, with the paths
 * stor_path_valid() lets through, nothing can leave the root.
 *
 * put() writes "<dir>/.tmp-<pid>-<random>", syncs it, renames it over
 * the target and syncs the directory.  move() is a rename followed by a
 * sync of the target's directory.  Missing parent directories are
 * created on demand; another process creating them at the same time is
 * fine.  Locks are flock(2) on a lock file; a lock's slots are
 * byte-range locks on the same open file (fcntl(2) F_OFD_SETLKW, which
 * Linux keeps apart from flock(2)).
 *
 * A writer starts the writeback of each FS_WRITEBACK bytes it wrote
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
#include <unistd.h>

#include "common/buf.h"
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

struct fs_writer {
	struct stor_writer	 base;		/* must be first */
	int			 fd;
	int			 created;
	off_t			 start;		/* abort() cuts back to it */
	off_t			 pos;		/* where the next write goes */
	off_t			 kicked;	/* writeback started below */
	struct fs_driver	*fs;
	char			*path;
};

struct stor_lock {
	int			 fd;
	int			 slotted;	/* a slot is held */
};

static const struct stor_writer_ops fs_writer_ops;

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
fs_put(struct stor_driver *sd, const char *path, const void *data,
    size_t len)
{
	struct fs_driver	*fs = fs_of(sd);
	struct buf		 tmp = BUF_INIT;
	int			 fd;
	enum reg_err		 rc;

	fs_tmpname(path, &tmp);
	if ((fd = fs_openat(fs, tmp.buf, O_WRONLY | O_CREAT | O_EXCL,
	    NULL)) == -1) {
		rc = fs_errno("create", tmp.buf);
		goto out;
	}
	rc = fs_write_all(fd, data, len, tmp.buf);
	if (rc == REG_OK && fdatasync(fd) == -1)
		rc = fs_errno("fdatasync", tmp.buf);
	if (close(fd) == -1 && rc == REG_OK)
		rc = fs_errno("close", tmp.buf);
	if (rc == REG_OK &&
	    renameat(fs->dirfd, tmp.buf, fs->dirfd, path) == -1)
		rc = fs_errno("rename", path);
	if (rc != REG_OK)
		(void)unlinkat(fs->dirfd, tmp.buf, 0);
	else
		rc = fs_syncdir(fs, path);
out:
	buf_release(&tmp);
	return (rc);
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

static enum reg_err
fs_writer(struct stor_driver *sd, const char *path, uint64_t off,
    struct stor_writer **out)
{
	struct fs_driver	*fs = fs_of(sd);
	struct fs_writer	*w;
	struct stat		 st;
	int			 fd, created;

	fd = fs_openat(fs, path, O_WRONLY, NULL);
	if (fd == -1 && errno == ENOENT)
		fd = fs_openat(fs, path, O_WRONLY | O_CREAT, &created);
	else
		created = 0;
	if (fd == -1)
		return (fs_errno("open", path));
	if (fstat(fd, &st) == -1) {
		close(fd);
		return (fs_errno("fstat", path));
	}
	if ((uint64_t)st.st_size < off) {
		log_warnx("fs: %s: %llu bytes, cannot append at %llu", path,
		    (unsigned long long)st.st_size, (unsigned long long)off);
		close(fd);
		return (REG_E_IO);
	}
	if (ftruncate(fd, (off_t)off) == -1 ||
	    lseek(fd, (off_t)off, SEEK_SET) == -1) {
		close(fd);
		return (fs_errno("truncate", path));
	}
	w = xcalloc(1, sizeof(*w));
	w->base.ops = &fs_writer_ops;
	w->fd = fd;
	w->created = created;
	w->start = w->pos = w->kicked = (off_t)off;
	w->fs = fs;
	w->path = xstrdup(path);
	*out = &w->base;
	return (REG_OK);
}

static void
fs_writer_free(struct fs_writer *w)
{
	free(w->path);
	free(w);
}

static enum reg_err
fs_writer_write(struct stor_writer *sw, const void *data, size_t len)
{
	struct fs_writer	*w = (struct fs_writer *)sw;
	enum reg_err		 rc;

	if ((rc = fs_write_all(w->fd, data, len, w->path)) != REG_OK)
		return (rc);
	w->pos += (off_t)len;
#ifdef SYNC_FILE_RANGE_WRITE
	/* Advice only: the commit's fdatasync() reports what fails. */
	if (w->pos - w->kicked >= FS_WRITEBACK) {
		(void)sync_file_range(w->fd, w->kicked, w->pos - w->kicked,
		    SYNC_FILE_RANGE_WRITE);
		w->kicked = w->pos;
	}
#endif
	return (REG_OK);
}

static enum reg_err
fs_writer_commit(struct stor_writer *sw)
{
	struct fs_writer	*w = (struct fs_writer *)sw;
	enum reg_err		 rc = REG_OK;

	if (fdatasync(w->fd) == -1)
		rc = fs_errno("fdatasync", w->path);
	if (close(w->fd) == -1 && rc == REG_OK)
		rc = fs_errno("close", w->path);
	if (rc == REG_OK && w->created)
		rc = fs_syncdir(w->fs, w->path);
	fs_writer_free(w);
	return (rc);
}

static void
fs_writer_abort(struct stor_writer *sw)
{
	struct fs_writer	*w = (struct fs_writer *)sw;

	if (w->pos != w->start && ftruncate(w->fd, w->start) == -1)
		log_warn("fs: truncate %s", w->path);
	close(w->fd);
	fs_writer_free(w);
}

static enum reg_err
fs_move(struct stor_driver *sd, const char *from, const char *to)
{
	struct fs_driver	*fs = fs_of(sd);
	struct stat		 st;
	enum reg_err		 rc;

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

static enum reg_err
fs_touch(struct stor_driver *sd, const char *path)
{
	if (utimensat(fs_of(sd)->dirfd, path, NULL, 0) == -1)
		return (fs_errno("touch", path));
	return (REG_OK);
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

static enum reg_err
fs_remove(struct stor_driver *sd, const char *path)
{
	return (fs_remove_at(fs_of(sd)->dirfd, path, path));
}

/* Temporaries of fs_put() ("tmp") or everything but dot files. */
static int
fs_list_wanted(const char *name, int tmp)
{
	if (tmp)
		return (strncmp(name, ".tmp-", 5) == 0);
	return (name[0] != '.');
}

static enum reg_err
fs_list_some(struct stor_driver *sd, const char *path, int tmp,
    stor_list_fn fn, void *arg)
{
	struct stor_stat	 ss;
	struct dirent		*de;
	struct stat		 st;
	DIR			*dir;
	int			 fd;
	enum reg_err		 rc = REG_OK;

	fd = openat(fs_of(sd)->dirfd, path, O_RDONLY | O_DIRECTORY |
	    O_CLOEXEC);
	if (fd == -1)
		return (fs_errno("open", path));
	if ((dir = fdopendir(fd)) == NULL) {
		close(fd);
		return (fs_errno("opendir", path));
	}
	while (rc == REG_OK) {
		errno = 0;
		if ((de = readdir(dir)) == NULL) {
			if (errno != 0)
				rc = fs_errno("readdir", path);
			break;
		}
		if (!fs_list_wanted(de->d_name, tmp))
			continue;
		if (fstatat(dirfd(dir), de->d_name, &st,
		    AT_SYMLINK_NOFOLLOW) == -1) {
			if (errno == ENOENT)
				continue;	/* removed meanwhile */
			rc = fs_errno("stat", de->d_name);
			break;
		}
		ss.size = (uint64_t)st.st_size;
		ss.mtime = st.st_mtime;
		ss.is_dir = S_ISDIR(st.st_mode);
		rc = fn(de->d_name, &ss, arg);
	}
	closedir(dir);
	return (rc);
}

static enum reg_err
fs_list(struct stor_driver *sd, const char *path, stor_list_fn fn, void *arg)
{
	return (fs_list_some(sd, path, 0, fn, arg));
}

static enum reg_err
fs_list_tmp(struct stor_driver *sd, const char *path, stor_list_fn fn,
    void *arg)
{
	return (fs_list_some(sd, path, 1, fn, arg));
}

static enum reg_err
fs_lock(struct stor_driver *sd, const char *path, enum stor_lock_mode mode,
    int create, struct stor_lock **out)
{
	struct stor_lock	*lk;
	int			 fd;

	fd = fs_openat(fs_of(sd), path, O_RDWR | (create ? O_CREAT : 0),
	    NULL);
	if (fd == -1)
		return (fs_errno("open", path));
	while (flock(fd, mode == STOR_LOCK_EX ? LOCK_EX : LOCK_SH) == -1) {
		if (errno != EINTR) {
			close(fd);
			return (fs_errno("flock", path));
		}
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
	.name		= "filesystem",
	.stat		= fs_stat,
	.get		= fs_get,
	.put		= fs_put,
	.read		= fs_read,
	.writer		= fs_writer,
	.move		= fs_move,
	.touch		= fs_touch,
	.remove		= fs_remove,
	.list		= fs_list,
	.list_tmp	= fs_list_tmp,
	.lock		= fs_lock,
	.lock_slot	= fs_lock_slot,
	.unlock		= fs_unlock,
	.local_path	= fs_local_path,
	.check		= fs_check,
	.close		= fs_close,
};

static const struct stor_writer_ops fs_writer_ops = {
	.write		= fs_writer_write,
	.commit		= fs_writer_commit,
	.abort		= fs_writer_abort,
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
stor_fs_open(const char *root)
{
	struct fs_driver	*fs;
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
