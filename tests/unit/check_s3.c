/*
 * tests/unit/check_s3.c: the pure parts of storage/s3.c: the bounded
 * XML reader, ListObjectsV2 pages, times and the CompleteMultipartUpload
 * body; and how a PUT takes the store's ETag, against a stub server on
 * 127.0.0.1 that gives one canned answer.
 */
#include "config.h"

#include <sys/socket.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <check.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/conf.h"
#include "common/util.h"
#include "common/xmalloc.h"
#include "storage/driver.h"
#include "storage/s3.h"
#include "tests/unit/check_run.h"

static int
get(const char *xml, const char *tag, struct buf *out)
{
	buf_reset(out);
	return (s3_xml_get(xml, strlen(xml), tag, out));
}

START_TEST(test_xml_get)
{
	struct buf	out = BUF_INIT;
	const char	*err = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	    "<Error><Code>NoSuchKey</Code><Message>The key &quot;a&amp;b&quot;"
	    " &lt;is&gt; gone&#33; &#x263A;</Message><Key/>"
	    "<CodeX>no</CodeX><Region xmlns=\"x\">eu-west-1</Region></Error>";

	ck_assert_int_eq(get(err, "Code", &out), 0);
	ck_assert_str_eq(out.buf, "NoSuchKey");
	ck_assert_int_eq(get(err, "Message", &out), 0);
	ck_assert_str_eq(out.buf, "The key \"a&b\" <is> gone! \xe2\x98\xba");
	ck_assert_int_eq(get(err, "Key", &out), 0);
	ck_assert_str_eq(out.buf, "");
	ck_assert_int_eq(get(err, "CodeX", &out), 0);
	ck_assert_str_eq(out.buf, "no");
	ck_assert_int_eq(get(err, "Region", &out), 0);
	ck_assert_str_eq(out.buf, "eu-west-1");
	ck_assert_int_eq(get(err, "Cod", &out), -1);
	ck_assert_int_eq(get(err, "RequestId", &out), -1);
	/* Not closed, or cut short. */
	ck_assert_int_eq(get("<A>x</A", "A", &out), -1);
	ck_assert_int_eq(get("<A", "A", &out), -1);
	ck_assert_int_eq(get("<A x=\"1\"", "A", &out), -1);
	/* Unknown or malformed entities stay as they are. */
	ck_assert_int_eq(get("<A>&bogus; &#; &#xZ; &amp</A>", "A", &out), 0);
	ck_assert_str_eq(out.buf, "&bogus; &#; &#xZ; &amp");
	buf_release(&out);
}
END_TEST

START_TEST(test_xml_find_all)
{
	const char	*x = "<R><U><K>a</K></U><U><K>b</K></U><U/></R>";
	size_t		 pos = 0, a, b, n = 0;

	while (s3_xml_find(x, strlen(x), "U", &pos, &a, &b) == 0)
		n++;
	ck_assert_uint_eq(n, 3);
}
END_TEST

static enum reg_err
collect(const struct s3_entry *e, void *arg)
{
	if (e->subdir)
		buf_addf(arg, "subdir %s\n", e->name);
	else
		buf_addf(arg, "%s %llu %lld\n", e->name,
		    (unsigned long long)e->bytes, (long long)e->mtime);
	return (REG_OK);
}

/* Every prefix of an answer, and bytes flipped: no overrun (ASan). */
START_TEST(test_xml_bounded)
{
	const char	*x = "<ListBucketResult><Contents><Key>k&amp;</Key>"
	    "<Size>1</Size><LastModified>2026-12-05T03:41:11.000Z"
	    "</LastModified></Contents><IsTruncated>false</IsTruncated>"
	    "</ListBucketResult>";
	size_t		 len = strlen(x), i, j;
	char		*cut;
	struct buf	 out = BUF_INIT, next = BUF_INIT;
	enum reg_err	 err;

	for (i = 0; i <= len; i++) {
		cut = malloc(i > 0 ? i : 1);
		memcpy(cut, x, i);
		(void)s3_xml_get(cut, i, "Key", &out);
		(void)s3_list_parse(cut, i, 0, collect, &out, &next, &err);
		for (j = 0; j < i; j++) {
			cut[j] ^= 0x5a;
			(void)s3_xml_get(cut, i, "Size", &out);
			cut[j] ^= 0x5a;
		}
		free(cut);
	}
	buf_release(&out);
	buf_release(&next);
}
END_TEST

START_TEST(test_list_parse)
{
	struct buf	out = BUF_INIT, next = BUF_INIT;
	enum reg_err	err;
	const char	*page = "<?xml version=\"1.0\"?>"
	    "<ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
	    "<Name>b</Name><Prefix>pre/blobs/</Prefix><KeyCount>3</KeyCount>"
	    "<IsTruncated>true</IsTruncated>"
	    "<NextContinuationToken>1/a+b=</NextContinuationToken>"
	    "<Contents><Key>pre/blobs/z</Key>"
	    "<LastModified>1970-01-02T00:00:00.000Z</LastModified>"
	    "<ETag>&quot;x&quot;</ETag><Size>6442450944</Size></Contents>"
	    "<Contents><Key>pre/blobs/a</Key>"
	    "<LastModified>2026-12-05T03:41:11.000Z</LastModified>"
	    "<Size>0</Size></Contents>"
	    "<CommonPrefixes><Prefix>pre/blobs/sha256/</Prefix>"
	    "</CommonPrefixes></ListBucketResult>";

	ck_assert_int_eq(s3_list_parse(page, strlen(page), 4, collect, &out,
	    &next, &err), 0);
	ck_assert_int_eq(err, REG_OK);
	/* Objects and prefixes merged in name order. */
	ck_assert_str_eq(out.buf, "blobs/a 0 1796442071\n"
	    "subdir blobs/sha256/\n"
	    "blobs/z 6442450944 86400\n");
	ck_assert_str_eq(next.buf, "1/a+b=");
	buf_release(&out);
	buf_release(&next);
}
END_TEST

START_TEST(test_list_parse_bad)
{
	struct buf	out = BUF_INIT, next = BUF_INIT;
	enum reg_err	err;
	static const char *const bad[] = {
		"<Error><Code>AccessDenied</Code></Error>",
		"<ListBucketResult><Contents><Key>k</Key></Contents>"
		    "</ListBucketResult>",
		"<ListBucketResult><Contents><Key>k</Key><Size>x</Size>"
		    "<LastModified>2026-12-05T03:41:11Z</LastModified>"
		    "</Contents></ListBucketResult>",
		"<ListBucketResult><IsTruncated>true</IsTruncated>"
		    "</ListBucketResult>",
	};
	size_t		i;

	for (i = 0; i < nitems(bad); i++)
		ck_assert_msg(s3_list_parse(bad[i], strlen(bad[i]), 0,
		    collect, &out, &next, &err) == -1, "%s", bad[i]);
	ck_assert_int_eq(s3_list_parse("<ListBucketResult/>", 19, 0,
	    collect, &out, &next, &err), 0);
	ck_assert_str_eq(next.buf, "");
	buf_release(&out);
	buf_release(&next);
}
END_TEST

START_TEST(test_iso_time)
{
	ck_assert_int_eq(s3_iso_time("1970-01-01T00:00:10Z"), 10);
	ck_assert_int_eq(s3_iso_time("1970-01-01T00:00:10.123Z"), 10);
	ck_assert_int_eq(s3_iso_time("1970-01-01T00:00:10+00:00"), 10);
	ck_assert_int_eq(s3_iso_time("1970-01-01T00:00:10"), -1);
	ck_assert_int_eq(s3_iso_time("yesterday"), -1);
	ck_assert_int_eq(s3_iso_time(NULL), -1);
}
END_TEST

START_TEST(test_complete_body)
{
	struct buf	etags = BUF_INIT, out = BUF_INIT;

	buf_addstr(&etags, "\"a\"\n\"b\"");
	s3_complete_body(&etags, &out);
	ck_assert_str_eq(out.buf, "<CompleteMultipartUpload>"
	    "<Part><PartNumber>1</PartNumber><ETag>\"a\"</ETag></Part>"
	    "<Part><PartNumber>2</PartNumber><ETag>\"b\"</ETag></Part>"
	    "</CompleteMultipartUpload>");
	buf_release(&etags);
	buf_release(&out);
}
END_TEST

START_TEST(test_delete_body)
{
	static const char *const names[] = { "a/b", "x&<y>\"" };
	struct buf		 out = BUF_INIT;

	s3_delete_body(NULL, names, nitems(names), &out);
	ck_assert_str_eq(out.buf, "<Delete><Quiet>true</Quiet>"
	    "<Object><Key>a/b</Key></Object>"
	    "<Object><Key>x&amp;&lt;y&gt;&quot;</Key></Object></Delete>");
	buf_release(&out);
}
END_TEST

/* [storage] of driver = s3, checked before anything is opened. */
#define S3_HEAD	"[storage]\ndriver = s3\nendpoint = http://127.0.0.1:9\n"
static const struct {
	const char	*text;
	const char	*error;		/* NULL: fine */
} conf_cases[] = {
	{ S3_HEAD "bucket = b\naccess-key = %(ZUUL_S3_AK)\n"
	    "secret-key = %(ZUUL_S3_SK)\n", NULL },
	{ S3_HEAD "bucket = b\n", NULL },	/* keys from AWS_* */
	{ S3_HEAD "access-key = a\nsecret-key = s\n",
	    "t.ini: [storage] bucket is required\n" },
	{ S3_HEAD "bucket = b\ncontainer = c\n",
	    "t.ini:5: unknown key \"container\" in section [storage]\n" },
	{ S3_HEAD "bucket = b\naccess-key = a\nsecret-key = %(ZUUL_UNSET)\n",
	    "t.ini:6: ZUUL_UNSET is not set\n" },
	{ S3_HEAD "bucket = b\naccess-key =\nsecret-key = s\n",
	    "t.ini:5: access-key is empty\n" },
	{ S3_HEAD "bucket = b\naccess-key = a\nsecret-key = s\n"
	    "session-token = %(OTHER)\n",
	    "t.ini:7: session-token holds an unexpanded \"%(\"\n" },
};

START_TEST(test_conf_check)
{
	struct conf	c;
	struct buf	errs = BUF_INIT;
	int		rv;

	ck_assert_int_eq(setenv("ZUUL_S3_AK", "AKIDEXAMPLE", 1), 0);
	ck_assert_int_eq(setenv("ZUUL_S3_SK", "secret", 1), 0);
	unsetenv("ZUUL_UNSET");
	conf_init(&c);
	ck_assert_int_eq(conf_load_string(&c, "t.ini", conf_cases[_i].text),
	    0);
	c.path = xstrdup("t.ini");
	rv = stor_conf_check(&c, &errs);
	if (conf_cases[_i].error == NULL) {
		ck_assert_msg(rv == 0, "case %d: %s", _i, errs.buf);
		ck_assert_uint_eq(errs.len, 0);
	} else {
		ck_assert_int_eq(rv, -1);
		ck_assert_str_eq(errs.buf, conf_cases[_i].error);
		ck_assert_ptr_null(stor_open(&c));
	}
	conf_release(&c);
	buf_release(&errs);
}
END_TEST

/* No keys in the file nor in the environment: no driver, no request. */
START_TEST(test_no_keys)
{
	struct conf	c;

	unsetenv("AWS_ACCESS_KEY_ID");
	unsetenv("AWS_SECRET_ACCESS_KEY");
	conf_init(&c);
	ck_assert_int_eq(conf_load_string(&c, "t.ini", S3_HEAD
	    "bucket = b\n"), 0);
	ck_assert_ptr_null(stor_open(&c));
	conf_release(&c);
}
END_TEST

/*
 * A child that answers every request with "reply" (the request's head
 * and its Content-Length body read first).  Its port in *port.
 */
static pid_t
stub_start(const char *reply, int *port)
{
	struct sockaddr_in	 sin;
	socklen_t		 len = sizeof(sin);
	char			 buf[8192], *end, *cl;
	ssize_t			 n;
	size_t			 have, body;
	pid_t			 pid;
	int			 ls, fd;

	ls = socket(AF_INET, SOCK_STREAM, 0);
	ck_assert_int_ne(ls, -1);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(bind(ls, (struct sockaddr *)&sin, sizeof(sin)), 0);
	ck_assert_int_eq(listen(ls, 8), 0);
	ck_assert_int_eq(getsockname(ls, (struct sockaddr *)&sin, &len), 0);
	*port = ntohs(sin.sin_port);
	pid = fork();
	ck_assert_int_ne(pid, -1);
	if (pid != 0) {
		close(ls);
		return (pid);
	}
	while ((fd = accept(ls, NULL, NULL)) != -1) {
		have = 0;
		while ((n = read(fd, buf + have, sizeof(buf) - 1 - have)) > 0) {
			have += (size_t)n;
			buf[have] = '\0';
			if ((end = strstr(buf, "\r\n\r\n")) == NULL)
				continue;
			cl = strcasestr(buf, "\r\nContent-Length:");
			body = cl != NULL ? strtoul(cl + 17, NULL, 10) : 0;
			if (have >= (size_t)(end + 4 - buf) + body)
				break;
		}
		if (write(fd, reply, strlen(reply)) == -1)
			_exit(1);
		close(fd);
	}
	_exit(0);
}

/* s3_put of "abc" against a stub giving "reply". */
static enum reg_err
put_against(const char *reply)
{
	struct s3_conf	 sc;
	struct s3	*s;
	char		 ep[64];
	enum reg_err	 err;
	pid_t		 pid;
	int		 port;

	pid = stub_start(reply, &port);
	snprintf(ep, sizeof(ep), "http://127.0.0.1:%d", port);
	memset(&sc, 0, sizeof(sc));
	sc.endpoint = ep;
	sc.bucket = "b";
	sc.access_key = "AKIDEXAMPLE";
	sc.secret_key = "secret";
	sc.path_style = 1;
	sc.timeout = 5;
	s = s3_new(&sc);
	err = s3_put(s, "o/bj", "abc", 3, 0);
	s3_free(s);
	/* SIGKILL: the test's SIGTERM handler would stop the whole group. */
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	return (err);
}

#define STUB_HEAD	"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n" \
			"Connection: close\r\n"

/*
 * The ETag must be the MD5 of what was sent; none at all is Swift's
 * s3api saying a newer write of the object won (Swift's 202).
 */
START_TEST(test_put_etag)
{
	ck_assert_int_eq(put_against(STUB_HEAD
	    "ETag: \"900150983cd24fb0d6963f7d28e17f72\"\r\n\r\n"), REG_OK);
	ck_assert_int_eq(put_against(STUB_HEAD
	    "ETag: \"00000000000000000000000000000000\"\r\n\r\n"),
	    REG_E_IO);
	ck_assert_int_eq(put_against(STUB_HEAD "\r\n"), REG_OK);
	ck_assert_int_eq(put_against(STUB_HEAD "ETag: \"\"\r\n\r\n"),
	    REG_OK);
}
END_TEST

int
main(void)
{
	Suite	*s = suite_create("s3");
	TCase	*tc = tcase_create("s3");

	tcase_add_test(tc, test_xml_get);
	tcase_add_test(tc, test_xml_find_all);
	tcase_add_test(tc, test_xml_bounded);
	tcase_add_test(tc, test_list_parse);
	tcase_add_test(tc, test_list_parse_bad);
	tcase_add_test(tc, test_iso_time);
	tcase_add_test(tc, test_complete_body);
	tcase_add_test(tc, test_delete_body);
	tcase_add_loop_test(tc, test_conf_check, 0, (int)nitems(conf_cases));
	tcase_add_test(tc, test_no_keys);
	tcase_add_test(tc, test_put_etag);
	suite_add_tcase(s, tc);
	return (check_run(s));
}
