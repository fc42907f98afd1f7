/*
 * storage/codec.h: the store's small on-disk formats.  Each has its one
 * encoder and its one decoder here, which every reader and writer
 * (store, prune, fsck) uses.
 *
 * Tag file (layout_tag()): a line per manifest, newest push first,
 *	<digest> " " <media type> "\n"
 * where the media type is the rest of the line: 1 to MEDIA_TYPE_MAX
 * bytes, no NUL (a space is part of it).  The last line may lack its
 * newline.
 *
 * Manifest link (layout_manifest_link()): the manifest's media type,
 * 1 to MEDIA_TYPE_MAX bytes, no NUL; trailing newlines and spaces (an
 * edit by hand) are not part of it.
 *
 * Referrer descriptor file name (layout_referrer()): the referrer's
 * digest with '-' for ':', "<alg>-<hex>".
 *
 * Upload state (layout_upload_state()):
 *	"specreg-upload 1\n" <repository> "\n" <offset> "\n" <hasher_save()>
 * with a valid repository name and the committed offset in decimal.
 */
#ifndef SPECREG_STORAGE_CODEC_H
#define SPECREG_STORAGE_CODEC_H

#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "common/digest.h"
#include "common/util.h"
#include "storage/store.h"

/* The longest upload state file. */
#define CODEC_UPLOAD_MAX	(64 + NAME_MAX_LEN + HASHER_STATE_LEN)

/* Append the lines of "n" entries to "out". */
void	codec_tag_encode(const struct tag_entry *, size_t n, struct buf *out);
/*
 * Decode the line at "*p" (up to "end") and move "*p" past it: 0 with
 * the entry, -1 if the line is malformed, 1 (and nothing moved) at the
 * end.
 */
int	codec_tag_next(const char **p, const char *end, struct tag_entry *);

/*
 * Trim a manifest link's contents read into "b" to its media type: 0
 * if that is one, -1 if it is empty or holds a NUL.
 */
int	codec_link_decode(struct buf *b);

/* Append the file name of referrer "d" to "out". */
void	codec_referrer_encode(const struct digest *, struct buf *out);
/* A referrer file name back to its digest; -1 if it is not one. */
int	codec_referrer_decode(const char *, struct digest *);

void	codec_upload_encode(const char *name, uint64_t offset,
	    const struct hasher *, struct buf *out);
/* Decode a state file ("name" is appended to); -1 if it is not one. */
int	codec_upload_decode(const void *, size_t, struct buf *name,
	    uint64_t *offset, struct hasher *);

#endif
