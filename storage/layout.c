/*
 * storage/layout.c: the storage tree.  Every path below is relative to
 * the driver root, and this file is the only place that builds one.
 *
 *   blobs/<alg>/<hex[0:2]>/<hex>
 *	Blob bytes, manifests included.  Content-addressed and immutable;
 *	a blob appears by an atomic rename of a complete, synced file.
 *   uploads/<uuid>/data
 *	The bytes appended so far.  Only the prefix up to the committed
 *	offset in "state" counts.  A failed append cuts the file back to
 *	it; only a killed worker may leave a tail, which the next append
 *	truncates.
 *   uploads/<uuid>/state
 *	Magic, repository name, committed offset and the saved SHA-256
 *	state (codec.h).  Replaced atomically.
 *   uploads/<uuid>/lock
 *	Created when the upload starts; every request on the upload
 *	flock()s it exclusively.  It is opened without O_CREAT afterwards,
 *	so a request that waited on an upload that was finished and
 *	removed meanwhile finds nothing and reports an unknown upload.
 *	These three are the fs driver's staging of an upload (fs.c, which
 *	names them itself): the store reaches uploads only through
 *	stor_stage_*(); layout_upload_*() name them for the tests.
 *   repos/<name>/_manifests/<alg>/<hex>
 *	Manifest link: the manifest belongs to the repository.  The file
 *	holds the manifest's media type; the bytes are the blob.
 *   repos/<name>/_blobs/<alg>/<hex>
 *	Blob link, empty: the repository holds the blob, which was pushed
 *	or mounted into it.  A repository also holds what its manifests
 *	reference, link or not (store_blob.c).
 *   repos/<name>/_tags/<tag>
 *	Tag file, rewritten atomically under repos/<name>/_tags/.lock:
 *	pushes hold it shared and a slot of it per tag (store_int.h),
 *	everything else that changes tags, links or referrers
 *	exclusively.
 *   repos/<name>/_referrers/<alg>/<subject-hex>/<alg>-<hex>
 *	Referrer descriptor (JSON) of a manifest whose subject is
 *	<alg>:<subject-hex>; the file name is codec.c's.
 *   repos/<name>/_cache/tags/<tag>
 *	Pull-through: a tag as the upstream last named it,
 *	"<digest> <confirmed> <media-type>\n", <confirmed> being the
 *	Unix time the upstream last said so (store_cache.c).  Never a
 *	local tag: a tag file of the same name wins.
 *   repos/<name>/_cache/manifests/<alg>/<hex>
 *	Pull-through: a manifest the upstream sent, "<media-type>\n" and
 *	then its exact bytes, checked against <alg>:<hex> before it was
 *	written.  Its mtime is its last pull (touched at most hourly):
 *	prune removes it after [upstream] cache-expiration, and until
 *	then keeps the blobs it references.
 *   repos/<name>/_cache/list
 *	Pull-through: the upstream's tags list of the repository,
 *	"<confirmed>\n" and then one tag a line.
 *   pulls/<alg>/<hex>.lease
 *	Pull-through: the lease of the one worker, of any host, that
 *	fetches blob <alg>:<hex> from an upstream; the others wait for it
 *	and then find the blob (store_pull.c).  On a driver with locks
 *	an empty file held locked; on a shared driver
 *	"<expiry> <holder>\n", <expiry> on the store's clock.  Removed
 *	when the fetch ends.
 *   upstream/<host>/retry-after
 *	Pull-through: the Unix time until which the upstream <host> asked
 *	(429 with Retry-After) not to be asked again; shared by every
 *	worker and host of the store.
 *   gc.lock
 *	The store's gc lock (store.h).
 *   prune.last
 *	When the last prune that was not a dry run finished, and what it
 *	removed (store_prune.c).  Replaced atomically.
 *
 * Repository name components never start with '_' (OCI grammar) and
 * tags never start with '.', so "_manifests", "_blobs", "_tags",
 * "_referrers", "_cache" and ".lock" cannot collide with a repository
 * or a tag.  Drivers put temporary files at "<dir>/.tmp-<pid>-<random>"
 * next to their target, and listings skip every name that starts with
 * '.'.
 */
#include "config.h"

#include "common/buf.h"
#include "common/digest.h"
#include "storage/codec.h"
#include "storage/layout.h"

void
layout_blobs_root(struct buf *out)
{
	buf_reset(out);
	buf_addstr(out, "blobs");
}

void
layout_blob(struct buf *out, const struct digest *d)
{
	buf_reset(out);
	buf_addf(out, "blobs/%s/%.2s/%s", digest_alg_name(d->alg), d->hex,
	    d->hex);
}

void
layout_uploads_root(struct buf *out)
{
	buf_reset(out);
	buf_addstr(out, "uploads");
}

void
layout_upload_dir(struct buf *out, const char *uuid)
{
	buf_reset(out);
	buf_addf(out, "uploads/%s", uuid);
}

void
layout_upload_data(struct buf *out, const char *uuid)
{
	buf_reset(out);
	buf_addf(out, "uploads/%s/data", uuid);
}

void
layout_upload_state(struct buf *out, const char *uuid)
{
	buf_reset(out);
	buf_addf(out, "uploads/%s/state", uuid);
}

void
layout_upload_lock(struct buf *out, const char *uuid)
{
	buf_reset(out);
	buf_addf(out, "uploads/%s/lock", uuid);
}

void
layout_repos_root(struct buf *out)
{
	buf_reset(out);
	buf_addstr(out, "repos");
}

void
layout_repo(struct buf *out, const char *name)
{
	buf_reset(out);
	buf_addf(out, "repos/%s", name);
}

void
layout_manifest_links(struct buf *out, const char *name)
{
	buf_reset(out);
	buf_addf(out, "repos/%s/_manifests", name);
}

void
layout_manifest_link(struct buf *out, const char *name,
    const struct digest *d)
{
	buf_reset(out);
	buf_addf(out, "repos/%s/_manifests/%s/%s", name,
	    digest_alg_name(d->alg), d->hex);
}

void
layout_blob_links(struct buf *out, const char *name)
{
	buf_reset(out);
	buf_addf(out, "repos/%s/_blobs", name);
}

void
layout_blob_link(struct buf *out, const char *name, const struct digest *d)
{
	buf_reset(out);
	buf_addf(out, "repos/%s/_blobs/%s/%s", name, digest_alg_name(d->alg),
	    d->hex);
}

void
layout_tags(struct buf *out, const char *name)
{
	buf_reset(out);
	buf_addf(out, "repos/%s/_tags", name);
}

void
layout_tag(struct buf *out, const char *name, const char *tag)
{
	buf_reset(out);
	buf_addf(out, "repos/%s/_tags/%s", name, tag);
}

void
layout_tags_lock(struct buf *out, const char *name)
{
	buf_reset(out);
	buf_addf(out, "repos/%s/_tags/.lock", name);
}

void
layout_referrers(struct buf *out, const char *name,
    const struct digest *subject)
{
	buf_reset(out);
	buf_addf(out, "repos/%s/_referrers/%s/%s", name,
	    digest_alg_name(subject->alg), subject->hex);
}

void
layout_referrer(struct buf *out, const char *name,
    const struct digest *subject, const struct digest *referrer)
{
	buf_reset(out);
	buf_addf(out, "repos/%s/_referrers/%s/%s/", name,
	    digest_alg_name(subject->alg), subject->hex);
	codec_referrer_encode(referrer, out);
}

void
layout_gc_lock(struct buf *out)
{
	buf_reset(out);
	buf_addstr(out, "gc.lock");
}

void
layout_prune_record(struct buf *out)
{
	buf_reset(out);
	buf_addstr(out, "prune.last");
}

void
layout_cache_tag(struct buf *out, const char *name, const char *tag)
{
	buf_reset(out);
	buf_addf(out, "repos/%s/_cache/tags/%s", name, tag);
}

void
layout_cache_manifest(struct buf *out, const char *name,
    const struct digest *d)
{
	buf_reset(out);
	buf_addf(out, "repos/%s/_cache/manifests/%s/%s", name,
	    digest_alg_name(d->alg), d->hex);
}

void
layout_upstream_retry(struct buf *out, const char *host)
{
	buf_reset(out);
	buf_addf(out, "upstream/%s/retry-after", host);
}

void
layout_cache_tags(struct buf *out, const char *name)
{
	buf_reset(out);
	buf_addf(out, "repos/%s/_cache/list", name);
}

void
layout_cache_dir(struct buf *out, const char *name)
{
	buf_reset(out);
	buf_addf(out, "repos/%s/_cache", name);
}

void
layout_pull_lease(struct buf *out, const struct digest *d)
{
	buf_reset(out);
	buf_addf(out, "pulls/%s/%s.lease", digest_alg_name(d->alg), d->hex);
}

void
layout_cache_manifests(struct buf *out, const char *name)
{
	buf_reset(out);
	buf_addf(out, "repos/%s/_cache/manifests", name);
}

void
layout_cache_tag_dir(struct buf *out, const char *name)
{
	buf_reset(out);
	buf_addf(out, "repos/%s/_cache/tags", name);
}
