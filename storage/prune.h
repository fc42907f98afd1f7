/*
 * storage/prune.h: store maintenance, safe while workers serve.
 *
 * store_prune() (store_prune.c) removes stale uploads, expired tags,
 * manifests no tag reaches (with "untagged", or once older than the
 * expiration), unreferenced blobs past a grace period and stale
 * temporary files; its locking protocol is at the top of store_prune.c.  store_fsck() (store_fsck.c) re-hashes every blob
 * and checks every manifest link, reference and tag line.
 *
 * Both log their progress with log_info() (stderr) and return REG_OK
 * unless an I/O error stopped them; what is missing or broken in the
 * store is counted, not an error.
 */
#ifndef SPECREG_STORAGE_PRUNE_H
#define SPECREG_STORAGE_PRUNE_H

#include <stdint.h>
#include <time.h>

#include "common/errors.h"
#include "storage/driver.h"
#include "storage/store.h"

/* Temporary files younger than this are left alone whatever the grace. */
#define STORE_TMP_MIN_AGE	60

struct prune_opts {
	uint64_t	upload_expiration;	/* seconds untouched */
	uint64_t	expiration;		/* tags; 0: never */
	uint64_t	grace;			/* unreferenced blobs */
	uint64_t	cache_expiration;	/* pull-through; 0: never */
	int		untagged;		/* drop unreachable manifests */
	int		dry_run;		/* log what would go, only */
	/* Called when the candidates are known, before any sweep (tests). */
	void		(*after_mark)(void *);
	void		*after_mark_arg;
};

/* What was removed (or would be, with dry_run). */
struct prune_stats {
	uint64_t	uploads;
	uint64_t	tags;
	uint64_t	manifests;
	uint64_t	repos;
	uint64_t	blobs;
	uint64_t	tmp;
	uint64_t	bytes;		/* freed */
	uint64_t	kept;		/* blobs marked as reachable */
	uint64_t	missing;	/* referenced but missing, or bad */
	uint64_t	missing_blobs;	/* of those, blobs */
	uint64_t	links;		/* blob links of removed blobs */
};

/*
 * When the last prune that was not a dry run finished, and what it
 * removed: store_prune() records it, whatever stopped it.  REG_E_NOENT
 * if no prune has been recorded.
 */
enum reg_err	store_prune_last(struct store *, time_t *when,
		    struct prune_stats *);

/* Defaults of [storage]: uploads and grace an hour, no expiration. */
void		prune_opts_init(struct prune_opts *);
enum reg_err	store_prune(struct store *, const struct prune_opts *,
		    struct prune_stats *);

/*
 * Walking the store (store_walk.c), for prune and fsck.  Entries are
 * listed a directory at a time before the callback runs, so it may
 * remove what it is given.  "d" is NULL for an entry whose place or
 * name is not one layout.c builds (a stray).  A directory that
 * disappears meanwhile is skipped.
 */
typedef enum reg_err (*store_walk_fn)(const char *path,
		    const struct digest *d, const struct stor_stat *, void *);

/* Every file below blobs/, by digest. */
enum reg_err	store_walk_blobs(struct store *, store_walk_fn, void *);
/* Every manifest link of a repository. */
enum reg_err	store_walk_links(struct store *, const char *name,
		    store_walk_fn, void *);
/* Every blob link of every repository, nested ones included. */
enum reg_err	store_walk_blob_links(struct store *, store_walk_fn, void *);
/*
 * Remove (or with dry_run, count) what the driver's stage_list() names
 * as "what" (STOR_STAGE_DEBRIS: temporary files; STOR_STAGE_TRASH)
 * older than "before" anywhere in the store, logging each one.
 */
enum reg_err	store_tmp_sweep(struct store *, enum stor_stage_what what,
		    time_t before, int dry_run, uint64_t *count,
		    uint64_t *bytes);

/*
 * Problems store_fsck() reports, one line each through the callback:
 * a blob whose content does not hash to its name, a stray entry in the
 * blob tree, a manifest link without its blob or whose manifest does
 * not parse, a reference (config, layer, child) that is missing or of
 * another size, a malformed tag line or one pointing at no link, a
 * referrer descriptor that does not parse, an upload whose state file
 * does not parse.  Debris that a killed worker may leave (temporary
 * files, upload directories without a state file, both older than
 * STORE_TMP_MIN_AGE) is reported as "stale ..." but is not a problem.
 *
 * With "repair" it removes corrupt blobs, broken links (and the tag
 * lines that point at them), broken tag lines, unparsable referrer
 * descriptors and upload state, and the debris; "repaired" counts the
 * problems it fixed.  Blobs go under the exclusive gc lock, links and
 * tags under the repository's tag lock.
 */
typedef void	(*fsck_report_fn)(const char *, void *);

struct fsck_stats {
	uint64_t	blobs;
	uint64_t	manifests;
	uint64_t	tags;
	uint64_t	uploads;
	uint64_t	problems;
	uint64_t	repaired;
	uint64_t	stale;
};

enum reg_err	store_fsck(struct store *, int repair, fsck_report_fn,
		    void *, struct fsck_stats *);

#endif
