/*
 * fcgi/handlers.h: one handler per endpoint, one file per resource.
 *
 * A handler runs once route_run() has let the request through (access
 * and read-only are decided there, not here).  It parses and validates
 * its arguments (req->name is already a valid repository name,
 * req->args.arg the raw last path segment), makes one or two store_*
 * calls and answers through resp_*.  It returns REG_OK once it has
 * answered, or an error for exchange_run() to render.
 */
#ifndef SPECREG_FCGI_HANDLERS_H
#define SPECREG_FCGI_HANDLERS_H

#include "common/errors.h"
#include "fcgi/request.h"

enum reg_err	h_base(struct request *);
enum reg_err	h_catalog(struct request *);
enum reg_err	h_token(struct request *);
enum reg_err	h_blob_get(struct request *);
enum reg_err	h_blob_delete(struct request *);
enum reg_err	h_upload_start(struct request *);
enum reg_err	h_upload_status(struct request *);
enum reg_err	h_upload_chunk(struct request *);
enum reg_err	h_upload_finish(struct request *);
enum reg_err	h_upload_cancel(struct request *);
enum reg_err	h_manifest_get(struct request *);
enum reg_err	h_manifest_put(struct request *);
enum reg_err	h_manifest_delete(struct request *);
enum reg_err	h_tags_list(struct request *);
enum reg_err	h_referrers(struct request *);
/* The operator's endpoints (h_ops.c): no registry credentials. */
enum reg_err	h_healthz(struct request *);
enum reg_err	h_readyz(struct request *);
enum reg_err	h_metrics(struct request *);

#endif
