/*
 * storage/store_int.h: declarations shared by storage/store_*.c only.
 * Handlers never include this file.
 *
 * Tag files (store_tag.c).  A tag file holds one line per media type,
 * "<digest> <media-type>\n", newest push first.  The *_locked functions
 * must be called with the repository's tag lock (layout_tags_lock())
 * held: store_tag_set_locked() shared or exclusively ("lk"; it takes
 * the tag's slot of it), the other exclusively.  They rewrite tag files
 * atomically and remove a tag file that becomes empty.
 */
#ifndef SPECREG_STORAGE_STORE_INT_H
#define SPECREG_STORAGE_STORE_INT_H

#include "common/digest.h"
#include "common/errors.h"
#include "storage/driver.h"
#include "storage/manifest.h"
#include "storage/store.h"

/*
 * The store's gc lock (store.h): pushes that link blobs take it shared,
 * prune and fsck exclusively.
 */
int		store_create_first(const struct store *);
enum reg_err	store_gc_lock(struct store *, enum stor_lock_mode,
		    struct stor_lock **);

/* The repository's tag lock ("create": make the lock file if missing). */
enum reg_err	store_tags_lock(struct store *, const char *name,
		    enum stor_lock_mode, int create, struct stor_lock **);
/* The size of blob "d", whoever holds it. */
enum reg_err	store_blob_size(struct store *, const struct digest *,
		    uint64_t *);
/* store_blob_stat() for a section that references "d" now. */
enum reg_err	store_blob_hold(struct store *, const char *name,
		    const struct digest *, uint64_t *);
/* Record that "name" holds blob "d" (layout_blob_link()). */
enum reg_err	store_blob_link(struct store *, const char *name,
		    const struct digest *);
/*
 * A manifest of "name" that references "d" (config or layer of an
 * image, child of an index) into "*by", or REG_E_NOENT if none does.
 * Reads every manifest of the repository.
 */
enum reg_err	store_manifest_using(struct store *, const char *name,
		    const struct digest *d, struct digest *by);
/*
 * store_manifest_delete() without the check that no index references
 * the manifest: for prune, whose mark keeps every child of what it
 * keeps.
 */
enum reg_err	store_manifest_drop(struct store *, const char *name,
		    const struct digest *);
/*
 * Prune's removal of a manifest no tag reaches: its link, unless used
 * since "cutoff" (REG_E_BUSY), with its tags and referrer descriptor.
 * Safe against concurrent pushes on a shared store too (store_prune.c).
 */
enum reg_err	store_manifest_expire(struct store *, const char *name,
		    const struct digest *, time_t cutoff);

/*
 * Prune's pass over the pull-through cache (store_cache.c): each cached
 * manifest of each repository last used before "before" (0: none is too
 * old) is removed, unless "dry_run", with the cached tags that name it;
 * "mark" gets every other one, parsed, to keep what it references.
 * "*removed" counts the manifests removed (or that would be).
 */
typedef void	(*store_cache_mark_fn)(const struct manifest_parsed *, void *);
enum reg_err	store_cache_prune(struct store *, time_t before, int dry_run,
		    store_cache_mark_fn, void *, uint64_t *removed);

/* Free what store_catalog() keeps between calls. */
void		store_catalog_release(struct store *);

/* Put "te" first in the tag, replacing the line of its media type. */
enum reg_err	store_tag_set_locked(struct store *, struct stor_lock *lk,
		    const char *name, const char *tag,
		    const struct tag_entry *te);
/* Remove every line that points at "d" from every tag of "name". */
enum reg_err	store_tags_drop_locked(struct store *, const char *name,
		    const struct digest *d);

#endif
