/*
 * storage/driver.h: bytes at paths, uploads being staged, and the few
 * coordination primitives prune needs.  Knows nothing about OCI.
 *
 * Paths.  A driver stores objects at relative paths
 * ("blobs/sha256/ab/abcd...", never starting with '/', segments of
 * [A-Za-z0-9._-], no "." or ".." segments).  Only storage/layout.c
 * builds such paths; the stor_*() wrappers in driver.c refuse any other
 * path before a driver sees it, so a bug in a caller can never reach
 * outside the store.  A "directory" is a prefix ending before a '/': it
 * exists while something below it does (a local driver may keep an
 * empty one).  Listings hide names that start with '.'.
 *
 * Errors.  Every op returns REG_OK, REG_E_NOENT (the object or a parent
 * is not there), REG_E_EXISTS (a create-only put found the object),
 * REG_E_NOSPC (the store is full), REG_E_BUSY (remove_unused() and
 * stage_remove() found the object in use) or REG_E_IO (logged by the
 * driver).  put() and copy() are atomic at the destination: a reader
 * sees the old object or the new one, never a part.
 *
 * Two kinds of drivers.
 *  - A local driver (fs) serves one host.  It has locks (advisory,
 *    cross-process, released by stor_unlock() or by the death of the
 *    process), conditional creates (STOR_CAP_EXCL), and listings that
 *    show every object written before them.  With it the store layer
 *    keeps every guarantee storage/store_prune.c states.
 *  - A shared driver (swift, s3) serves several hosts at once and has
 *    no locks: its lock op is NULL, stor_lock() hands out a null lock
 *    that excludes nothing, and coordination rests on clock(), use()
 *    and remove_unused() alone (the argument is in store_prune.c),
 *    and for pull-through on create-only puts (store_pull.c).
 *    What the store gives up on a shared driver: tags are
 *    last-writer-wins (two pushes of different media types to one tag
 *    at the same moment may leave only one line); of two appends to
 *    one upload at one offset one gets a 416 where the store has
 *    create-only writes, else the finish's digest check fails the
 *    upload; an index pushed while one of its child manifests is
 *    deleted may name a deleted child (fsck reports it).  Prune needs
 *    listings that show every object written before they started.
 *
 * Uploads.  The driver owns how the bytes of an upload are kept (fs:
 * uploads/<uuid>/{data,state,lock}, the lock flock()ed for a session).
 * The state record is opaque to it: the store layer encodes the
 * repository, the committed offset and the saved hash (codec.h) and
 * hands the bytes over at each commit.
 *
 * A driver embeds struct stor_driver as its first member and points it
 * at a static const ops table; optional ops may be NULL.  Its entry in
 * driver.c's table declares its configuration keys.
 */
#ifndef SPECREG_STORAGE_DRIVER_H
#define SPECREG_STORAGE_DRIVER_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "common/buf.h"
#include "common/conf.h"
#include "common/errors.h"

struct stor_stat {
	uint64_t	 size;
	time_t		 mtime;		/* the store's clock */
	int		 is_dir;
	int		 revived;	/* use() took it back from the trash */
};

struct stor_driver;
struct stor_stage;
struct stor_lock;

/* Receives object bytes in order; a non-REG_OK result stops the read. */
typedef enum reg_err (*stor_sink_fn)(const void *, size_t, void *);
/* Called once per entry; a non-REG_OK result stops the listing. */
typedef enum reg_err (*stor_list_fn)(const char *, const struct stor_stat *,
    void *);

enum stor_lock_mode {
	STOR_LOCK_SH,
	STOR_LOCK_EX
};

/* put() flags. */
#define STOR_PUT_EXCL	0x1	/* create only: REG_E_EXISTS if there */

/* stor_ops.caps */
#define STOR_CAP_EXCL	0x1	/* put() honours STOR_PUT_EXCL */
#define STOR_CAP_REMOTE	0x2	/* each operation is a round trip */

/* stage_list(): what to list. */
enum stor_stage_what {
	STOR_STAGE_UPLOADS,	/* by uuid: newest activity, bytes held */
	STOR_STAGE_DEBRIS,	/* by path: what killed writers left */
	STOR_STAGE_TRASH	/* by path: what use() and remove_unused()
				   left that prune may drop after its grace */
};

struct stor_ops {
	const char	*name;
	unsigned int	 caps;

	/* Objects. */
	enum reg_err	(*stat)(struct stor_driver *, const char *,
			    struct stor_stat *);
	/*
	 * stat() of an object: REG_E_NOENT for a directory, which the
	 * driver need not look for (a listing on an object store).
	 * NULL: stat() does.
	 */
	enum reg_err	(*stat_object)(struct stor_driver *, const char *,
			    struct stor_stat *);
	/* Append a whole object of at most "max" bytes (else REG_E_IO). */
	enum reg_err	(*get)(struct stor_driver *, const char *, size_t,
			    struct buf *);
	/* Replace atomically; STOR_PUT_EXCL as caps say. */
	enum reg_err	(*put)(struct stor_driver *, const char *,
			    const void *, size_t, int);
	/* Stream "len" bytes from "off" (len UINT64_MAX: to the end). */
	enum reg_err	(*read)(struct stor_driver *, const char *, uint64_t,
			    uint64_t, stor_sink_fn, void *);
	/*
	 * The children of a directory, names without the prefix, in
	 * strcmp() order, with their stat (is_dir for a subdirectory);
	 * the driver pages through the store.
	 */
	enum reg_err	(*list)(struct stor_driver *, const char *,
			    stor_list_fn, void *);
	/* One object; REG_E_NOENT if it is absent (or a directory). */
	enum reg_err	(*remove)(struct stor_driver *, const char *);
	/* A directory and everything below it. */
	enum reg_err	(*remove_tree)(struct stor_driver *, const char *);
	/* Server-side copy, atomic at the destination. */
	enum reg_err	(*copy)(struct stor_driver *, const char *,
			    const char *);
	/* Make stat()'s mtime now: small files (links, tags) only. */
	enum reg_err	(*touch)(struct stor_driver *, const char *);

	/*
	 * Upload staging.  stage_open() starts a session on an upload
	 * and appends its state to the buffer (REG_E_NOENT if the upload
	 * is unknown or has no state); a local driver excludes other
	 * sessions until stage_close().  stage_write() appends at "off":
	 * on a session's first write the committed offset the state
	 * holds (anything the store kept beyond it is dropped), after
	 * that the end of the previous write.  stage_commit() makes the
	 * bytes appended and the new state durable, state last, so that
	 * no reader of the state sees an offset the bytes do not back.
	 * stage_read() reads the bytes back, committed or appended in
	 * this session.  stage_finish() forgets the state first, then
	 * makes bytes [0, size) the object "dest", complete, durable and
	 * visible atomically, and the upload is gone; several finishes
	 * of the same object at once all succeed (content addressing).
	 * stage_close() ends the session and frees the stage; bytes
	 * appended but not committed or finished are dropped.
	 */
	enum reg_err	(*stage_create)(struct stor_driver *, const char *,
			    const void *, size_t);
	enum reg_err	(*stage_open)(struct stor_driver *, const char *,
			    struct stor_stage **, struct buf *);
	enum reg_err	(*stage_write)(struct stor_stage *, uint64_t,
			    const void *, size_t);
	enum reg_err	(*stage_commit)(struct stor_stage *, const void *,
			    size_t);
	enum reg_err	(*stage_read)(struct stor_stage *, uint64_t,
			    uint64_t, stor_sink_fn, void *);
	enum reg_err	(*stage_finish)(struct stor_stage *, uint64_t,
			    const char *);
	void		(*stage_close)(struct stor_stage *);
	/*
	 * Drop an upload and its bytes.  "before" 0: the caller holds the
	 * upload's session (cancel, a bad digest).  Otherwise nobody does
	 * (prune, fsck): the driver waits for a session in progress and
	 * removes the upload only if its newest activity is still older
	 * than "before", else REG_E_BUSY.  A shared driver cannot wait:
	 * a session shows its activity while it streams, and if the
	 * upload was removed under it, its commit (or a finish that
	 * lacks bytes) answers REG_E_NOENT and leaves nothing behind.
	 */
	enum reg_err	(*stage_remove)(struct stor_driver *, const char *,
			    time_t);
	enum reg_err	(*stage_list)(struct stor_driver *,
			    enum stor_stage_what, stor_list_fn, void *);

	/* Coordination; lock, lock_slot and unlock are optional. */
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
	/* The store's current time, on the clock of stat()'s mtime. */
	enum reg_err	(*clock)(struct stor_driver *, time_t *);
	/*
	 * "This object must survive until my section ends": mark it used
	 * now and stat it (REG_E_NOENT if it is gone), unless it is
	 * younger than "fresh" seconds (0: always mark), when the stat is
	 * enough.  On a shared driver "revived" says the object was in
	 * the trash (prune had begun to remove it) and is back.
	 */
	enum reg_err	(*use)(struct stor_driver *, const char *, time_t,
			    struct stor_stat *);
	/*
	 * Prune's removal of an object (a blob, a manifest link) not used
	 * since "cutoff": REG_E_BUSY if it was, REG_OK with its stat if
	 * it went.
	 */
	enum reg_err	(*remove_unused)(struct stor_driver *, const char *,
			    time_t, struct stor_stat *);

	/* Optional. */
	/* Append the absolute local file name of an object (X-Sendfile). */
	enum reg_err	(*local_path)(struct stor_driver *, const char *,
			    struct buf *);
	/*
	 * Append a URL by which anyone may GET the object, without other
	 * credentials, for "ttl" seconds from now (Swift: a TempURL).
	 * A signed URL cannot be taken back: it is valid until it expires.
	 */
	enum reg_err	(*url)(struct stor_driver *, const char *, time_t,
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
	/*
	 * stor_hold() of an object younger than this many seconds (its
	 * mtime against this host's clock) only looks that it is there:
	 * half of [storage] prune-grace as stor_open() sets it, 0 (always
	 * mark) for a grace under STOR_FRESH_MIN_GRACE.  store_prune.c
	 * says why that is safe.
	 */
	time_t			 fresh;
};

#define STOR_FRESH_MIN_GRACE	120

/* A driver's stage embeds this as its first member. */
struct stor_stage {
	struct stor_driver	*sd;
};

/* A configuration key of a driver ([storage] section). */
#define STOR_KEY_REQUIRED	0x1
#define STOR_KEY_CREDENTIAL	0x2	/* never empty nor a placeholder */

struct stor_key {
	const char	*name;
	int		 flags;
};

/*
 * Check the [storage] pairs of "c" against its driver's keys: an
 * unknown key, a missing required one, an empty or unexpanded
 * credential.  Appends one "file:line: message" line per problem to
 * "errs"; 0 or -1.
 */
int		 stor_conf_check(const struct conf *c, struct buf *errs);
/* Open the configured driver; NULL after logging. */
struct stor_driver *stor_open(const struct conf *);

int		stor_path_valid(const char *);
enum reg_err	stor_stat(struct stor_driver *, const char *,
		    struct stor_stat *);
enum reg_err	stor_stat_object(struct stor_driver *, const char *,
		    struct stor_stat *);
enum reg_err	stor_get(struct stor_driver *, const char *, size_t,
		    struct buf *);
enum reg_err	stor_put(struct stor_driver *, const char *, const void *,
		    size_t, int flags);
enum reg_err	stor_read(struct stor_driver *, const char *, uint64_t,
		    uint64_t, stor_sink_fn, void *);
enum reg_err	stor_list(struct stor_driver *, const char *, stor_list_fn,
		    void *);
enum reg_err	stor_remove(struct stor_driver *, const char *);
enum reg_err	stor_remove_tree(struct stor_driver *, const char *);
enum reg_err	stor_copy(struct stor_driver *, const char *, const char *);
enum reg_err	stor_touch(struct stor_driver *, const char *);

/* "uuid" must be one (uuid_valid()). */
enum reg_err	stor_stage_create(struct stor_driver *, const char *uuid,
		    const void *state, size_t);
enum reg_err	stor_stage_open(struct stor_driver *, const char *uuid,
		    struct stor_stage **, struct buf *state);
enum reg_err	stor_stage_write(struct stor_stage *, uint64_t off,
		    const void *, size_t);
enum reg_err	stor_stage_commit(struct stor_stage *, const void *state,
		    size_t);
enum reg_err	stor_stage_read(struct stor_stage *, uint64_t, uint64_t,
		    stor_sink_fn, void *);
enum reg_err	stor_stage_finish(struct stor_stage *, uint64_t size,
		    const char *dest);
void		stor_stage_close(struct stor_stage *);
enum reg_err	stor_stage_remove(struct stor_driver *, const char *uuid,
		    time_t before);
enum reg_err	stor_stage_list(struct stor_driver *, enum stor_stage_what,
		    stor_list_fn, void *);

/* Whether the driver has locks (a local one, driver.h). */
int		stor_has_locks(const struct stor_driver *);
/* A driver without locks: REG_OK and a null lock, which excludes nothing. */
enum reg_err	stor_lock(struct stor_driver *, const char *,
		    enum stor_lock_mode, int, struct stor_lock **);
enum reg_err	stor_lock_slot(struct stor_driver *, struct stor_lock *,
		    uint64_t);
void		stor_unlock(struct stor_driver *, struct stor_lock *);
enum reg_err	stor_clock(struct stor_driver *, time_t *);
/* "st" may be NULL. */
enum reg_err	stor_use(struct stor_driver *, const char *,
		    struct stor_stat *);
enum reg_err	stor_hold(struct stor_driver *, const char *,
		    struct stor_stat *);
enum reg_err	stor_remove_unused(struct stor_driver *, const char *, time_t,
		    struct stor_stat *);

/* REG_E_NOENT for a driver without local files. */
enum reg_err	stor_local_path(struct stor_driver *, const char *,
		    struct buf *);
/* REG_E_NOENT for a driver without URLs. */
enum reg_err	stor_url(struct stor_driver *, const char *, time_t ttl,
		    struct buf *);
/* REG_OK for a driver without a check. */
enum reg_err	stor_check(struct stor_driver *, struct buf *);
void		stor_close(struct stor_driver *);

/* The drivers, for driver.c's table. */
extern const struct stor_key	stor_fs_keys[];
struct stor_driver *stor_fs_open(const struct conf *);

#endif
