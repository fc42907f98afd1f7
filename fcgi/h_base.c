/*
 * fcgi/h_base.c: GET /v2/, the API version check.
 */
#include "config.h"

#include <json-c/json.h>

#include "fcgi/handlers.h"
#include "fcgi/response.h"

enum reg_err
h_base(struct request *req)
{
	resp_status(req, 200);
	return (resp_json(req, json_object_new_object()));
}
