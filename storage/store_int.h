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
#include "storage/store.h"

/*
 * The store's gc lock (store.h): pushes that link blobs take it shared,
 * prune and fsck exclusively.
 */
enum reg_err	store_gc_lock(struct store *, enum stor_lock_mode,
		    struct stor_lock **);

/* Put "te" first in the tag, replacing the line of its media type. */
enum reg_err	store_tag_set_locked(struct store *, struct stor_lock *lk,
		    const char *name, const char *tag,
		    const struct tag_entry *te);
/* Remove every line that points at "d" from every tag of "name". */
enum reg_err	store_tags_drop_locked(struct store *, const char *name,
		    const struct digest *d);

#endif
