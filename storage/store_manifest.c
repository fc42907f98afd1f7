/*
 * storage/store_manifest.c: push, fetch and delete manifests.
 *
 * A manifest's exact bytes are a blob (so GET /v2/x/blobs/<digest> of a
 * manifest works, as in zuul-registry).  It belongs to a repository
 * through its link, layout_manifest_link(), whose content is just the
 * media type.  A manifest with a subject also leaves its referrer
 * descriptor, {"mediaType","digest","size","artifactType","annotations"},
 * at layout_referrer() for store_referrers().  The subject is not kept
 * anywhere else: store_manifest_get() parses the manifest again, but
 * only when it is an OCI type whose bytes can hold a "subject" key.
 *
 * Pushing holds the store's gc lock shared while it checks what the
 * manifest references, touches it and writes the manifest, so a prune
 * (exclusive) sees either none of it or all of it; the blobs it touched
 * are young enough to survive its grace period.  It holds the
 * repository's tag lock shared for as long, and deletes of manifests
 * and blobs take it exclusively: what a push found in the repository
 * is still there when its link appears, and a delete that finds no
 * manifest referencing what it removes is right until it is done.  A
 * push rewrites its tag under that tag's slot of the lock
 * (store_int.h), so pushes to one repository wait for each other only
 * when they push one tag.  Lock order: gc, then the repository's tag
 * lock, then a slot.
 *
 * A manifest that an index of its repository references cannot be
 * deleted (the push of that index would have been refused without
 * it); prune removes both together (store_manifest_drop()).
 */
#include "config.h"

#include <string.h>

#include <json-c/json.h>

#include "common/buf.h"
#include "common/digest.h"
#include "common/log.h"
#include "storage/codec.h"
#include "storage/driver.h"
#include "storage/layout.h"
#include "storage/manifest.h"
#include "storage/prune.h"
#include "storage/store.h"
#include "storage/store_int.h"

/* Checks of what a manifest references, under the gc lock. */

/*
 * The repository must hold the blob, with the declared size;
 * store_blob_hold() marks it used (unless it is young), which keeps it
 * from gc.
 */
static enum reg_err
blob_check(struct store *st, const char *name,
    const struct manifest_desc *desc, const char *what, struct buf *detail)
{
	uint64_t	size;
	enum reg_err	rc;

	rc = store_blob_hold(st, name, &desc->digest, &size);
	if (rc == REG_E_NOENT) {
		buf_addf(detail, "%s %s is not in repository %s", what,
		    desc->digest.str, name);
		return (REG_E_MANIFEST_BLOB_UNKNOWN);
	}
	if (rc != REG_OK)
		return (rc);
	if (size != desc->size) {
		buf_addf(detail, "%s %s is %llu bytes, the manifest says %llu",
		    what, desc->digest.str, (unsigned long long)size,
		    (unsigned long long)desc->size);
		return (REG_E_MANIFEST_BLOB_UNKNOWN);
	}
	return (REG_OK);
}

static enum reg_err	refs_check(struct store *, const char *,
			    const struct manifest_parsed *, struct buf *);
static enum reg_err	manifest_read(struct store *, const char *,
			    const struct digest *, struct buf *,
			    char [MEDIA_TYPE_MAX + 1]);

/*
 * A child that a prune had begun to remove and that the child's check
 * took back: what it references is used again too, as by a push of the
 * child itself, or the sweep that follows could take it.
 */
static enum reg_err
child_revive(struct store *st, const char *name, const struct digest *d,
    struct buf *detail)
{
	struct manifest_parsed	mp;
	struct buf		body = BUF_INIT;
	char			mt[MEDIA_TYPE_MAX + 1];
	enum reg_err		rc;

	if ((rc = manifest_read(st, name, d, &body, mt)) == REG_OK &&
	    (rc = manifest_parse(body.buf, body.len, mt, &mp, detail)) ==
	    REG_OK) {
		rc = refs_check(st, name, &mp, detail);
		manifest_parsed_release(&mp);
	}
	buf_release(&body);
	return (rc);
}

/*
 * A child of an index must be a manifest of this repository.  Its link
 * is used as the blobs are (store_prune.c: on a shared store that is
 * what keeps it from a prune's sweep).
 */
static enum reg_err
child_check(struct store *st, const char *name,
    const struct manifest_desc *desc, struct buf *detail)
{
	struct buf		path = BUF_INIT;
	struct stor_stat	ss;
	enum reg_err		rc;

	layout_manifest_link(&path, name, &desc->digest);
	rc = stor_hold(st->sd, path.buf, &ss);
	buf_release(&path);
	if (rc == REG_E_NOENT) {
		buf_addf(detail, "manifest %s is not in repository %s",
		    desc->digest.str, name);
		return (REG_E_MANIFEST_BLOB_UNKNOWN);
	}
	if (rc != REG_OK)
		return (rc);
	if ((rc = blob_check(st, name, desc, "manifest", detail)) == REG_OK &&
	    ss.revived)
		rc = child_revive(st, name, &desc->digest, detail);
	return (rc);
}

static enum reg_err
refs_check(struct store *st, const char *name,
    const struct manifest_parsed *mp, struct buf *detail)
{
	size_t		i;
	enum reg_err	rc = REG_OK;

	if (mp->kind == MANIFEST_IMAGE)
		rc = blob_check(st, name, &mp->config, "config", detail);
	for (i = 0; i < mp->nrefs && rc == REG_OK; i++) {
		if (mp->kind == MANIFEST_IMAGE)
			rc = blob_check(st, name, &mp->refs[i], "layer",
			    detail);
		else
			rc = child_check(st, name, &mp->refs[i], detail);
	}
	return (rc);
}

/* Writing a manifest. */

/*
 * The manifest's bytes as a blob, unless that blob is there already
 * (then it is used), with store_create_first() a create-only put
 * first.
 */
static enum reg_err
manifest_blob_write(struct store *st, const struct digest *d,
    const void *body, size_t len)
{
	struct buf		path = BUF_INIT;
	struct stor_stat	ss;
	enum reg_err		rc;

	layout_blob(&path, d);
	rc = REG_E_EXISTS;
	if (store_create_first(st))
		rc = stor_put(st->sd, path.buf, body, len, STOR_PUT_EXCL);
	if (rc == REG_E_EXISTS) {
		rc = stor_hold(st->sd, path.buf, &ss);
		if (rc == REG_E_NOENT || (rc == REG_OK && ss.size != len))
			rc = stor_put(st->sd, path.buf, body, len, 0);
	}
	buf_release(&path);
	return (rc);
}

/* What store_referrers() lists for this manifest. */
static void
referrer_desc(const struct digest *d, size_t len,
    const struct manifest_parsed *mp, struct buf *out)
{
	struct json_object	*desc, *ann;
	const char		*at = NULL;

	desc = json_object_new_object();
	json_object_object_add(desc, "mediaType",
	    json_object_new_string(mp->media_type));
	json_object_object_add(desc, "digest", json_object_new_string(d->str));
	json_object_object_add(desc, "size", json_object_new_int64(
	    (int64_t)len));
	/* distribution-spec 1.1 "Listing Referrers". */
	if (mp->artifact_type[0] != '\0')
		at = mp->artifact_type;
	else if (mp->kind == MANIFEST_IMAGE)
		at = mp->config.media_type;
	if (at != NULL)
		json_object_object_add(desc, "artifactType",
		    json_object_new_string(at));
	if (mp->annotations != NULL &&
	    (ann = json_tokener_parse(mp->annotations)) != NULL)
		json_object_object_add(desc, "annotations", ann);
	buf_addstr(out, json_object_to_json_string_ext(desc,
	    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(desc);
}

/*
 * The repository's link to a manifest holds its media type.  A manifest
 * pushed again (to another tag, say) finds its link in place: touching
 * it is enough, as for its blob, and saves a new file and two syncs.
 * With store_create_first() a create-only put goes first.
 */
static enum reg_err
link_put(struct store *st, const struct buf *path,
    const struct manifest_parsed *mp)
{
	struct buf	b = BUF_INIT;
	size_t		len = strlen(mp->media_type);
	enum reg_err	rc;

	if (store_create_first(st) && (rc = stor_put(st->sd, path->buf,
	    mp->media_type, len, STOR_PUT_EXCL)) != REG_E_EXISTS)
		return (rc);
	rc = REG_E_NOENT;
	if (stor_get(st->sd, path->buf, MEDIA_TYPE_MAX, &b) == REG_OK &&
	    b.len == len && memcmp(b.buf, mp->media_type, len) == 0)
		rc = stor_touch(st->sd, path->buf);
	if (rc == REG_E_NOENT)
		rc = stor_put(st->sd, path->buf, mp->media_type, len, 0);
	buf_release(&b);
	return (rc);
}

/*
 * Link, referrer descriptor and tag, under the shared tag lock ("lk").
 * Every stor_put() is a data and a directory sync; concurrent pushes
 * to different tags do them side by side.
 */
static enum reg_err
manifest_link_write(struct store *st, struct stor_lock *lk, const char *name,
    const char *tag, const struct digest *d, size_t len,
    const struct manifest_parsed *mp)
{
	struct buf		 path = BUF_INIT, b = BUF_INIT;
	struct tag_entry	 te;
	enum reg_err		 rc;

	layout_manifest_link(&path, name, d);
	rc = link_put(st, &path, mp);
	if (rc == REG_OK && mp->has_subject) {
		referrer_desc(d, len, mp, &b);
		layout_referrer(&path, name, &mp->subject.digest, d);
		rc = stor_put(st->sd, path.buf, b.buf, b.len, 0);
	}
	if (rc == REG_OK && tag != NULL) {
		te.digest = *d;
		memcpy(te.media_type, mp->media_type,
		    strlen(mp->media_type) + 1);
		rc = store_tag_set_locked(st, lk, name, tag, &te);
	}
	buf_release(&path);
	buf_release(&b);
	return (rc);
}

static void
meta_fill(struct manifest_meta *meta, const struct digest *d, size_t len,
    const struct manifest_parsed *mp)
{
	memset(meta, 0, sizeof(*meta));
	meta->digest = *d;
	meta->size = len;
	memcpy(meta->media_type, mp->media_type, strlen(mp->media_type) + 1);
	meta->has_subject = mp->has_subject;
	if (mp->has_subject)
		meta->subject = mp->subject.digest;
}

enum reg_err
store_manifest_put(struct store *st, const char *name, const char *tag,
    const struct digest *ref, const char *content_type, const void *body,
    size_t len, struct manifest_meta *meta, struct buf *detail)
{
	struct manifest_parsed	 mp;
	struct stor_lock	*gc, *lk;
	struct digest		 d;
	enum reg_err		 rc;

	if (len > MANIFEST_MAX) {
		buf_addf(detail, "manifest is %zu bytes, the limit is %d",
		    len, MANIFEST_MAX);
		return (REG_E_TOO_LARGE);
	}
	digest_of(ref != NULL ? ref->alg : DIGEST_SHA256, body, len, &d);
	if (ref != NULL && !digest_equal(ref, &d)) {
		buf_addf(detail, "manifest digest is %s, not %s", d.str,
		    ref->str);
		return (REG_E_DIGEST_INVALID);
	}
	if ((rc = manifest_parse(body, len, content_type, &mp, detail)) !=
	    REG_OK)
		return (rc);
	if ((rc = store_gc_lock(st, STOR_LOCK_SH, &gc)) != REG_OK)
		goto out;
	if ((rc = store_tags_lock(st, name, STOR_LOCK_SH, 1, &lk)) == REG_OK) {
		if ((rc = refs_check(st, name, &mp, detail)) == REG_OK &&
		    (rc = manifest_blob_write(st, &d, body, len)) == REG_OK)
			rc = manifest_link_write(st, lk, name, tag, &d, len,
			    &mp);
		stor_unlock(st->sd, lk);
	}
	stor_unlock(st->sd, gc);
out:
	if (rc == REG_OK)
		meta_fill(meta, &d, len, &mp);
	manifest_parsed_release(&mp);
	return (rc);
}

/* Reading a manifest. */

static int
may_have_subject(const struct buf *body, const char *media_type)
{
	if (strcmp(media_type, MT_OCI_MANIFEST) != 0 &&
	    strcmp(media_type, MT_OCI_INDEX) != 0)
		return (0);
	/* A key can hide behind \u escapes: parse if there are any. */
	return (memmem(body->buf, body->len, "\"subject\"", 9) != NULL ||
	    memmem(body->buf, body->len, "\\u", 2) != NULL);
}

static void
subject_find(const struct buf *body, struct manifest_meta *meta)
{
	struct manifest_parsed	mp;
	struct buf		detail = BUF_INIT;

	if (!may_have_subject(body, meta->media_type))
		return;
	if (manifest_parse(body->buf, body->len, meta->media_type, &mp,
	    &detail) != REG_OK) {
		log_warnx("store: stored manifest %s does not parse: %s",
		    meta->digest.str, detail.buf);
		buf_release(&detail);
		return;
	}
	meta->has_subject = mp.has_subject;
	if (mp.has_subject)
		meta->subject = mp.subject.digest;
	manifest_parsed_release(&mp);
}

/* The media type in the link, white space trimmed. */
static enum reg_err
link_read(struct store *st, const char *name, const struct digest *d,
    char mt[MEDIA_TYPE_MAX + 1])
{
	struct buf	path = BUF_INIT, b = BUF_INIT;
	enum reg_err	rc;

	layout_manifest_link(&path, name, d);
	rc = stor_get(st->sd, path.buf, MEDIA_TYPE_MAX, &b);
	if (rc == REG_OK && codec_link_decode(&b) == -1) {
		log_warnx("store: %s: bad manifest link", path.buf);
		rc = REG_E_IO;
	}
	if (rc == REG_OK)
		memcpy(mt, b.buf, b.len + 1);
	buf_release(&path);
	buf_release(&b);
	return (rc);
}

/* A manifest's bytes. */
static enum reg_err
manifest_body(struct store *st, const char *name, const struct digest *d,
    struct buf *body)
{
	struct buf	path = BUF_INIT;
	enum reg_err	rc;

	buf_reset(body);
	layout_blob(&path, d);
	rc = stor_get(st->sd, path.buf, MANIFEST_MAX, body);
	if (rc == REG_E_NOENT)
		log_warnx("store: %s@%s: linked manifest has no blob", name,
		    d->str);
	buf_release(&path);
	return (rc);
}

/* A manifest's bytes and the media type its link holds. */
static enum reg_err
manifest_read(struct store *st, const char *name, const struct digest *d,
    struct buf *body, char mt[MEDIA_TYPE_MAX + 1])
{
	enum reg_err	rc;

	if ((rc = link_read(st, name, d, mt)) != REG_OK)
		return (rc);
	return (manifest_body(st, name, d, body));
}

enum reg_err
store_manifest_get(struct store *st, const char *name,
    const struct digest *d, struct buf *body, struct manifest_meta *meta)
{
	enum reg_err	rc;

	memset(meta, 0, sizeof(*meta));
	if ((rc = manifest_read(st, name, d, body, meta->media_type)) !=
	    REG_OK)
		return (rc);
	meta->digest = *d;
	meta->size = body->len;
	subject_find(body, meta);
	return (REG_OK);
}

/*
 * The tag is the repository's reference to the manifest: its link need
 * not be read (a request fewer on an object store), and the media type
 * is the one written with it.  A tag read as its manifest is deleted
 * may still name it; the manifest served is the one the tag named.
 */
enum reg_err
store_manifest_get_tagged(struct store *st, const char *name,
    const struct tag_entry *te, struct buf *body, struct manifest_meta *meta)
{
	enum reg_err	rc;

	memset(meta, 0, sizeof(*meta));
	if ((rc = manifest_body(st, name, &te->digest, body)) != REG_OK)
		return (rc);
	memcpy(meta->media_type, te->media_type, sizeof(meta->media_type));
	meta->digest = te->digest;
	meta->size = body->len;
	subject_find(body, meta);
	return (REG_OK);
}

/* Deleting a manifest. */

/* Does the manifest "m" of "name" reference "d"? */
static int
manifest_refers(struct store *st, const char *name, const struct digest *m,
    const struct digest *d)
{
	struct manifest_parsed	mp;
	struct buf		body = BUF_INIT, detail = BUF_INIT;
	char			mt[MEDIA_TYPE_MAX + 1];
	size_t			i;
	int			found = 0;

	/* Not store_manifest_get(), which would parse it once more. */
	if (manifest_read(st, name, m, &body, mt) != REG_OK ||
	    manifest_parse(body.buf, body.len, mt, &mp, &detail) != REG_OK)
		goto out;
	found = mp.has_config && digest_equal(&mp.config.digest, d);
	for (i = 0; i < mp.nrefs && !found; i++)
		found = digest_equal(&mp.refs[i].digest, d);
	manifest_parsed_release(&mp);
out:
	buf_release(&body);
	buf_release(&detail);
	return (found);
}

struct using {
	struct store		*st;
	const char		*name;
	const struct digest	*d;
	struct digest		 by;
	int			 found;
};

static enum reg_err
using_seen(const char *path, const struct digest *m,
    const struct stor_stat *ss, void *arg)
{
	struct using	*u = arg;

	(void)path;
	(void)ss;
	if (m == NULL || !manifest_refers(u->st, u->name, m, u->d))
		return (REG_OK);
	u->by = *m;
	u->found = 1;
	return (REG_E_BUSY);	/* stops the walk */
}

enum reg_err
store_manifest_using(struct store *st, const char *name,
    const struct digest *d, struct digest *by)
{
	struct using	u;
	enum reg_err	rc;

	memset(&u, 0, sizeof(u));
	u.st = st;
	u.name = name;
	u.d = d;
	rc = store_walk_links(st, name, using_seen, &u);
	if (u.found) {
		*by = u.by;
		return (REG_OK);
	}
	return (rc == REG_OK ? REG_E_NOENT : rc);
}

/* Under the tag lock: the manifest's referrer descriptor, if it has one. */
static enum reg_err
referrer_drop_locked(struct store *st, const char *name,
    const struct digest *d, const struct manifest_meta *meta)
{
	struct buf	path = BUF_INIT;
	enum reg_err	rc;

	if (!meta->has_subject)
		return (REG_OK);
	layout_referrer(&path, name, &meta->subject, d);
	if ((rc = stor_remove(st->sd, path.buf)) == REG_E_NOENT)
		rc = REG_OK;
	buf_release(&path);
	return (rc);
}

/* Under the tag lock: the manifest, its tags and referrer descriptor. */
static enum reg_err
manifest_remove_locked(struct store *st, const char *name,
    const struct digest *d, const struct manifest_meta *meta)
{
	struct buf	path = BUF_INIT;
	enum reg_err	rc;

	rc = store_tags_drop_locked(st, name, d);
	if (rc == REG_OK) {
		layout_manifest_link(&path, name, d);
		rc = stor_remove(st->sd, path.buf);
	}
	if (rc == REG_OK)
		rc = referrer_drop_locked(st, name, d, meta);
	buf_release(&path);
	return (rc);
}

/* Its subject, to find its referrer descriptor. */
static enum reg_err
manifest_meta_read(struct store *st, const char *name, const struct digest *d,
    struct manifest_meta *meta)
{
	struct buf	body = BUF_INIT;
	enum reg_err	rc;

	rc = store_manifest_get(st, name, d, &body, meta);
	buf_release(&body);
	if (rc == REG_E_NOENT)
		rc = link_read(st, name, d, meta->media_type);
	return (rc);
}

static enum reg_err
manifest_delete(struct store *st, const char *name, const struct digest *d,
    int check, struct buf *detail)
{
	struct manifest_meta	 meta;
	struct stor_lock	*lk;
	struct digest		 by;
	enum reg_err		 rc;

	if ((rc = manifest_meta_read(st, name, d, &meta)) != REG_OK)
		return (rc);
	if ((rc = store_tags_lock(st, name, STOR_LOCK_EX, 1, &lk)) != REG_OK)
		return (rc);
	if (check && (rc = store_manifest_using(st, name, d, &by)) == REG_OK) {
		if (detail != NULL)
			buf_addf(detail, "index %s references %s: delete the "
			    "index first", by.str, d->str);
		rc = REG_E_UNSUPPORTED;
	} else if (!check || rc == REG_E_NOENT)
		rc = manifest_remove_locked(st, name, d, &meta);
	stor_unlock(st->sd, lk);
	return (rc);
}

enum reg_err
store_manifest_delete(struct store *st, const char *name,
    const struct digest *d, struct buf *detail)
{
	return (manifest_delete(st, name, d, 1, detail));
}

enum reg_err
store_manifest_drop(struct store *st, const char *name,
    const struct digest *d)
{
	return (manifest_delete(st, name, d, 0, NULL));
}

/*
 * The link goes by stor_remove_unused(), which a use() of it since
 * "cutoff" stops; then its tags and referrer descriptor, unless a push
 * brought the link back meanwhile (REG_E_BUSY then, as for a use).
 */
enum reg_err
store_manifest_expire(struct store *st, const char *name,
    const struct digest *d, time_t cutoff)
{
	struct manifest_meta	 meta;
	struct stor_lock	*lk;
	struct stor_stat	 ss;
	struct buf		 path = BUF_INIT;
	enum reg_err		 rc;

	if ((rc = manifest_meta_read(st, name, d, &meta)) != REG_OK)
		return (rc);
	if ((rc = store_tags_lock(st, name, STOR_LOCK_EX, 1, &lk)) != REG_OK)
		return (rc);
	layout_manifest_link(&path, name, d);
	if ((rc = stor_remove_unused(st->sd, path.buf, cutoff, &ss)) ==
	    REG_OK) {
		rc = stor_stat(st->sd, path.buf, &ss);
		if (rc == REG_OK)
			rc = REG_E_BUSY;
		else if (rc == REG_E_NOENT &&
		    (rc = store_tags_drop_locked(st, name, d)) == REG_OK)
			rc = referrer_drop_locked(st, name, d, &meta);
	}
	stor_unlock(st->sd, lk);
	buf_release(&path);
	return (rc);
}
