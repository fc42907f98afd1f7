/*
 * storage/driver.h: bytes at paths.  Knows nothing about OCI.
 *
 * A driver stores objects at relative paths ("blobs/sha256/ab/abcd...",
 * never starting with '/', segments of [A-Za-z0-9._-], no "." or ".."
 * segments).  Only storage/layout.c builds such paths; the stor_*
 * wrappers in driver.c refuse any other path before a driver sees it,
 * so a bug in a caller can never reach outside the storage root.
 *
 * Every op returns REG_OK, REG_E_NOENT (the object or a parent is not
 * there), REG_E_NOSPC (the store is full) or REG_E_IO (logged by the
 * driver where errno is known).  put() and move() are atomic: a reader
 * sees the old object or the new one, never a part.  A writer appends
 * to an object in place (uploads); commit() makes what was written
 * durable, abort() cuts the object back to where the writer started,
 * so that a failed append leaves no tail behind.  Locks are advisory, cross-process and
 * released by stor_unlock() or by the death of the process.
 *
 * A driver embeds struct stor_driver as its first member and points it
 * at a static const ops table.  Optional ops may be NULL.
 */
#ifndef SPECREG_STORAGE_DRIVER_H
#define SPECREG_STORAGE_DRIVER_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "common/buf.h"
#include "common/errors.h"

struct stor_stat {
	uint64_t	 size;
	time_t		 mtime;
	int		 is_dir;
};

struct stor_driver;
struct stor_writer;
struct stor_lock;

/* Receives object bytes in order; a non-REG_OK result stops the read. */
typedef enum reg_err (*stor_sink_fn)(const void *, size_t, void *);
/* Called once per directory entry; a non-REG_OK result stops the list. */
typedef enum reg_err (*stor_list_fn)(const char *, const struct stor_stat *,
    void *);

enum stor_lock_mode {
	STOR_LOCK_SH,
	STOR_LOCK_EX
};

struct stor_ops {
	const char	*name;
	enum reg_err	(*stat)(struct stor_driver *, const char *,
			    struct stor_stat *);
	/* Append a whole object of at most "max" bytes (else REG_E_IO). */
	enum reg_err	(*get)(struct stor_driver *, const char *, size_t,
			    struct buf *);
	enum reg_err	(*put)(struct stor_driver *, const char *,
			    const void *, size_t);
	/* Stream "len" bytes from "off" (len UINT64_MAX: to the end). */
	enum reg_err	(*read)(struct stor_driver *, const char *, uint64_t,
			    uint64_t, stor_sink_fn, void *);
	/* Open for appending at "off", discarding anything beyond it. */
	enum reg_err	(*writer)(struct stor_driver *, const char *,
			    uint64_t, struct stor_writer **);
	enum reg_err	(*move)(struct stor_driver *, const char *,
			    const char *);
	/* Set the modification time to now (marks an object as in use). */
	enum reg_err	(*touch)(struct stor_driver *, const char *);
	/* Remove a file, or a directory and everything below it. */
	enum reg_err	(*remove)(struct stor_driver *, const char *);
	enum reg_err	(*list)(struct stor_driver *, const char *,
			    stor_list_fn, void *);
	/*
	 * List the temporary files the driver left in a directory (a
	 * writer killed between create and rename), which list() hides;
	 * the names are valid path segments for stat() and remove().
	 */
	enum reg_err	(*list_tmp)(struct stor_driver *, const char *,
			    stor_list_fn, void *);
	/* "create": make the lock object if it is missing. */
	enum reg_err	(*lock)(struct stor_driver *, const char *,
			    enum stor_lock_mode, int, struct stor_lock **);
	/*
	 * Under a held lock, take one of its many slots exclusively
	 * until the unlock: holders of a shared lock that take
	 * different slots do not wait for each other.
	 */
	enum reg_err	(*lock_slot)(struct stor_lock *, uint64_t);
	void		(*unlock)(struct stor_lock *);
	/* Append the absolute local file name of an object (X-Sendfile). */
	enum reg_err	(*local_path)(struct stor_driver *, const char *,
			    struct buf *);
	/*
	 * Whether the store answers (readiness): REG_OK, or REG_E_IO with
	 * a one-line reason appended to "why".  Thread-safe, no logging.
	 */
	enum reg_err	(*check)(struct stor_driver *, struct buf *);
	void		(*close)(struct stor_driver *);
};

struct stor_driver {
	const struct stor_ops	*ops;
};

struct stor_writer_ops {
	enum reg_err	(*write)(struct stor_writer *, const void *, size_t);
	enum reg_err	(*commit)(struct stor_writer *);	/* and free */
	void		(*abort)(struct stor_writer *);		/* and free */
};

struct stor_writer {
	const struct stor_writer_ops	*ops;
};

/* Open the driver named in the configuration; NULL after logging. */
struct stor_driver *stor_open(const char *driver, const char *root);
struct stor_driver *stor_fs_open(const char *root);

int		stor_path_valid(const char *);
enum reg_err	stor_stat(struct stor_driver *, const char *,
		    struct stor_stat *);
enum reg_err	stor_get(struct stor_driver *, const char *, size_t,
		    struct buf *);
enum reg_err	stor_put(struct stor_driver *, const char *, const void *,
		    size_t);
enum reg_err	stor_read(struct stor_driver *, const char *, uint64_t,
		    uint64_t, stor_sink_fn, void *);
enum reg_err	stor_writer(struct stor_driver *, const char *, uint64_t,
		    struct stor_writer **);
enum reg_err	stor_write(struct stor_writer *, const void *, size_t);
enum reg_err	stor_commit(struct stor_writer *);
void		stor_abort(struct stor_writer *);
enum reg_err	stor_move(struct stor_driver *, const char *, const char *);
enum reg_err	stor_touch(struct stor_driver *, const char *);
enum reg_err	stor_remove(struct stor_driver *, const char *);
enum reg_err	stor_list(struct stor_driver *, const char *, stor_list_fn,
		    void *);
/* Nothing to list (REG_OK) for a driver without temporary files. */
enum reg_err	stor_list_tmp(struct stor_driver *, const char *,
		    stor_list_fn, void *);
enum reg_err	stor_lock(struct stor_driver *, const char *,
		    enum stor_lock_mode, int, struct stor_lock **);
/* REG_OK for a driver without a check. */
enum reg_err	stor_check(struct stor_driver *, struct buf *);
enum reg_err	stor_lock_slot(struct stor_driver *, struct stor_lock *,
		    uint64_t);
void		stor_unlock(struct stor_driver *, struct stor_lock *);
enum reg_err	stor_local_path(struct stor_driver *, const char *,
		    struct buf *);
void		stor_close(struct stor_driver *);

#endif
