/* sender: outbox delivery with libcurl multi on the epoll loop (sender.h) */
#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>
#include <curl/curl.h>
#include <sqlite3.h>

#include "alertconf.h"
#include "cmds.h"
#include "log.h"
#include "loop.h"
#include "redact.h"
#include "sender.h"
#include "sink.h"
#include "store.h"
#include "term.h"
#include "xmalloc.h"

#define RESP_MAX 4096         /* a CrowdSec login answer holds a JWT */
#define TOKEN_TTL (50 * 60 * 1000)  /* ms a JWT is used at most */
#define RETRY_AFTER_MAX (3600 * 1000)

struct job {
	int64_t id;
	char *sink;
	char *body;
	size_t len;
	int64_t created;         /* unix seconds */
	int attempts;
	int reauth;              /* a 401 made us log in again once */
	int64_t next_at;         /* unix ms */
	struct job *next;
};

struct queue {               /* one per sink name */
	char *sink;
	struct job *head, *tail;
	struct job *inflight;    /* == head while a request runs */
	CURL *easy;
	struct sink_request rq;
	char errbuf[CURL_ERROR_SIZE];
	char resp[RESP_MAX + 1];
	size_t resp_len;
	char retry_after[64];
	int64_t next_allowed;    /* unix ms: min_interval */
	/* a CrowdSec sink: the watcher's JWT, and the login in flight */
	char *token;
	int64_t token_until;     /* unix ms */
	int logging_in;          /* the request in flight is the login */
	int want_login;          /* log in even without a row (start, reload) */
	int login_failures;
	int64_t login_next;      /* unix ms: the next login without a row */
	struct queue *next;
};

struct sender {
	struct loop *loop;
	struct store *store;
	const struct alertconf *ac;
	CURLM *multi;
	int curl_tfd, retry_tfd;
	struct queue *queues;
	size_t pending;
	int in_check;
	sender_split_cb *split;
	void *split_arg;
};

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t backoff_delay(int64_t initial, int64_t max, int attempt, double r)
{
	int64_t cap = initial, floor = initial < 100 ? initial : 100, d;
	int i;

	for (i = 0; i < attempt && cap < max; i++)
		cap *= 2;
	if (cap > max)
		cap = max;
	d = (int64_t)(r * (double)(cap + 1));
	if (d > cap)
		d = cap;
	return d < floor ? floor : d;
}

int64_t retry_after_ms(const char *v, int64_t now)
{
	char *end;
	long long s;
	time_t t;

	while (isspace((unsigned char)*v))
		v++;
	if (isdigit((unsigned char)*v)) {
		s = strtoll(v, &end, 10);
		while (isspace((unsigned char)*end))
			end++;
		if (*end)
			return -1;
		return s * 1000;
	}
	if ((t = curl_getdate(v, NULL)) < 0)
		return -1;
	return (int64_t)t * 1000 > now ? (int64_t)t * 1000 - now : 0;
}

static double rnd(void)
{
	uint32_t x;

	if (getrandom(&x, sizeof x, 0) != sizeof x)
		x = (uint32_t)rand();
	return x / 4294967296.0;
}

static void job_free(struct job *j)
{
	free(j->sink);
	free(j->body);
	free(j);
}

static struct queue *queue_get(struct sender *sd, const char *sink)
{
	struct queue *q;

	for (q = sd->queues; q; q = q->next)
		if (strcmp(q->sink, sink) == 0)
			return q;
	q = xcalloc(1, sizeof *q);
	q->sink = xstrdup(sink);
	q->next = sd->queues;
	sd->queues = q;
	return q;
}

/* ---- outbox updates (autocommit: notifications are rare) ---- */

static void record(struct sender *sd, const struct job *j, const char *status,
    long http, const char *err)
{
	sqlite3 *db = store_db(sd->store);
	sqlite3_stmt *st;

	if (sqlite3_prepare_v2(db, "UPDATE outbox SET status = ?, attempts = ?, "
	    "next_at = ?, http_status = ?, last_error = ?, done_at = CASE WHEN ? "
	    "= 'pending' THEN NULL ELSE ? END WHERE id = ?", -1, &st, NULL)
	    != SQLITE_OK) {
		log_warnx("%s: %s", store_path(sd->store), sqlite3_errmsg(db));
		return;
	}
	sqlite3_bind_text(st, 1, status, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 2, j->attempts);
	sqlite3_bind_int64(st, 3, j->next_at);
	sqlite3_bind_int64(st, 4, http);
	sqlite3_bind_text(st, 5, err ? err : "", -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 6, status, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 7, (int64_t)time(NULL));
	sqlite3_bind_int64(st, 8, j->id);
	if (sqlite3_step(st) != SQLITE_DONE)
		log_warnx("%s: recording notification %" PRId64 ": %s",
		    store_path(sd->store), j->id, sqlite3_errmsg(db));
	sqlite3_finalize(st);
}

/* ---- scheduling ---- */

static int start(struct sender *sd, struct queue *q);
static void start_login(struct sender *sd, struct queue *q,
    const struct sink_conf *sc);

static void schedule(struct sender *sd)
{
	struct queue *q;
	int64_t now = now_ms(), wake = -1, at;

	for (q = sd->queues; q; q = q->next) {
		if (q->inflight || q->logging_in)
			continue;
		if (q->head == NULL) {
			const struct sink_conf *sc;

			if (!q->want_login || q->token || sd->ac == NULL ||
			    (sc = alertconf_sink(sd->ac, q->sink)) == NULL ||
			    sc->type != SINK_CROWDSEC || sc->dry_run) {
				q->want_login = 0;
				continue;
			}
			if (q->login_next <= now) {
				start_login(sd, q, sc);
				continue;
			}
			if (wake < 0 || q->login_next < wake)
				wake = q->login_next;
			continue;
		}
		at = q->head->next_at > q->next_allowed ? q->head->next_at :
		    q->next_allowed;
		/* a file sink or a dry run is done at once: the next row */
		while (at <= now && start(sd, q) && q->head)
			at = q->head->next_at > q->next_allowed ? q->head->next_at :
			    q->next_allowed;
		if (q->inflight || q->logging_in || q->head == NULL)
			continue;
		if (wake < 0 || at < wake)
			wake = at;
	}
	loop_timer_arm(sd->retry_tfd, wake < 0 ? 0 : (wake - now > 0 ? wake - now : 1));
}

static void finish(struct sender *sd, struct queue *q)
{
	struct job *j = q->head;

	q->head = j->next;
	if (q->head == NULL)
		q->tail = NULL;
	sd->pending--;
	job_free(j);
}

static size_t on_body(char *p, size_t size, size_t n, void *arg)
{
	struct queue *q = arg;
	size_t len = size * n, room = RESP_MAX - q->resp_len;

	if (room > len)
		room = len;
	memcpy(q->resp + q->resp_len, p, room);
	q->resp_len += room;
	q->resp[q->resp_len] = '\0';
	return len;
}

static size_t on_header(char *p, size_t size, size_t n, void *arg)
{
	struct queue *q = arg;
	size_t len = size * n, k;

	if (len > 12 && strncasecmp(p, "Retry-After:", 12) == 0) {
		k = len - 12 < sizeof q->retry_after - 1 ? len - 12 :
		    sizeof q->retry_after - 1;
		memcpy(q->retry_after, p + 12, k);
		q->retry_after[k] = '\0';
		while (k > 0 && isspace((unsigned char)q->retry_after[k - 1]))
			q->retry_after[--k] = '\0';
	}
	return len;
}

/* printable: a libcurl error or an HTTP response, made fit for the log, the
 * outbox and `eximwatch alerts`: without the sink's secrets (a server may
 * quote the URL it was sent to, libcurl may name it: redact.h) and without
 * control characters (term.h) */
static void printable(const struct sink_conf *sc, char *s, size_t size)
{
	redact_apply(sc ? sc->redact : NULL, s, size);
	term_clean(s, 0);
}

/* easy_setup: the options every request gets (timeouts, TLS, proxy) */
static CURL *easy_setup(const struct sink_conf *sc, struct sink_request *rq,
    char *errbuf)
{
	CURL *e = curl_easy_init();
	char ua[64];

	if (e == NULL)
		fatalx(71, "out of memory");
	snprintf(ua, sizeof ua, "eximwatch/%s", eximwatch_version);
	curl_easy_setopt(e, CURLOPT_URL, rq->url);
	curl_easy_setopt(e, CURLOPT_POST, 1L);
	curl_easy_setopt(e, CURLOPT_POSTFIELDS, rq->body.s);
	curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)rq->body.len);
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, rq->headers);
	curl_easy_setopt(e, CURLOPT_USERAGENT, ua);
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, (long)sc->connect_timeout_ms);
	curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)sc->timeout_ms);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 2L);
	curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
#if LIBCURL_VERSION_NUM >= 0x075500
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
#else
	curl_easy_setopt(e, CURLOPT_PROTOCOLS, CURLPROTO_HTTP | CURLPROTO_HTTPS);
#endif
	/* a sink's proxy is used for everything ("" = none at all); without
	 * one, libcurl's environment (https_proxy...) applies, except for the
	 * loopback */
	if (sc->proxy) {
		curl_easy_setopt(e, CURLOPT_PROXY, sc->proxy);
		curl_easy_setopt(e, CURLOPT_NOPROXY, "");
	} else {
		curl_easy_setopt(e, CURLOPT_NOPROXY, "localhost,127.0.0.1,::1");
	}
	errbuf[0] = '\0';
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, errbuf);
	return e;
}

static void failed_attempt(struct sender *sd, struct queue *q,
    const struct sink_conf *sc, long http, const char *err);

/* dry_run: log what an acting sink would have been sent (its body is one
 * line per decision then), send nothing */
static void dry_run(struct sender *sd, struct queue *q,
    const struct sink_conf *sc, struct job *j)
{
	const char *p = j->body, *e, *end = j->body + j->len;

	for (; p < end; p = e + 1) {
		if ((e = memchr(p, '\n', (size_t)(end - p))) == NULL)
			e = end;
		if (e > p)
			log_info("dry run: sink '%s' (%s) would send: %.*s", sc->name,
			    sink_type_name(sc->type), (int)(e - p), p);
	}
	record(sd, j, "dry_run", 0, "dry run: nothing was sent");
	finish(sd, q);
}

/* start: begin the head row of q; 1 if it was done at once (a file, a dry
 * run, a dropped row), 0 if a request is in flight */
static int start(struct sender *sd, struct queue *q)
{
	const struct sink_conf *sc = sd->ac ? alertconf_sink(sd->ac, q->sink) : NULL;
	struct job *j = q->head;
	char err[700];

	if (sc == NULL) {
		j->attempts++;
		log_warnx("notification %" PRId64 ": sink '%s' is no longer configured; "
		    "dropped", j->id, q->sink);
		record(sd, j, "failed", 0, "the sink is no longer in the configuration");
		finish(sd, q);
		return 1;
	}
	if (sc->dry_run && sink_acts(sc)) {
		dry_run(sd, q, sc, j);
		return 1;
	}
	if (sc->type == SINK_BANLOG) {
		j->attempts++;
		if (sink_banlog_write(sc, j->body, j->len, time(NULL), err,
		    sizeof err) == 0) {
			record(sd, j, "delivered", 0, "");
			log_debug("notification %" PRId64 " written to %s", j->id,
			    sc->path);
			finish(sd, q);
		} else {
			failed_attempt(sd, q, sc, 0, err);
		}
		return 1;
	}
	if (sc->type == SINK_CROWDSEC && (q->token == NULL ||
	    now_ms() >= q->token_until)) {
		start_login(sd, q, sc);
		return 0;
	}
	sink_request(sc, j->id, j->body, j->len, time(NULL), q->token, &q->rq);
	q->easy = easy_setup(sc, &q->rq, q->errbuf);
	q->resp_len = 0;
	q->resp[0] = '\0';
	q->retry_after[0] = '\0';
	curl_easy_setopt(q->easy, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(q->easy, CURLOPT_WRITEDATA, q);
	curl_easy_setopt(q->easy, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(q->easy, CURLOPT_HEADERDATA, q);
	curl_easy_setopt(q->easy, CURLOPT_PRIVATE, q);
	q->inflight = j;
	q->next_allowed = now_ms() + sc->min_interval_ms;
	j->attempts++;
	curl_multi_add_handle(sd->multi, q->easy);
	return 0;
}

static void start_login(struct sender *sd, struct queue *q,
    const struct sink_conf *sc)
{
	free(q->token);
	q->token = NULL;
	sink_crowdsec_login(sc, &q->rq);
	q->easy = easy_setup(sc, &q->rq, q->errbuf);
	q->resp_len = 0;
	q->resp[0] = '\0';
	q->retry_after[0] = '\0';
	curl_easy_setopt(q->easy, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(q->easy, CURLOPT_WRITEDATA, q);
	curl_easy_setopt(q->easy, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(q->easy, CURLOPT_HEADERDATA, q);
	curl_easy_setopt(q->easy, CURLOPT_PRIVATE, q);
	q->logging_in = 1;
	curl_multi_add_handle(sd->multi, q->easy);
}

long sender_send_once(const struct sink_conf *sc, int64_t id, const char *body,
    size_t len, char *err, size_t errlen)
{
	struct sink_request rq;
	struct queue q;
	char errbuf[CURL_ERROR_SIZE];
	CURLcode rc;
	CURL *e;
	long http = 0;

	curl_global_init(CURL_GLOBAL_DEFAULT);
	memset(&q, 0, sizeof q);
	if (sc->type == SINK_CROWDSEC)
		sink_crowdsec_login(sc, &rq);
	else
		sink_request(sc, id, body, len, time(NULL), NULL, &rq);
	e = easy_setup(sc, &rq, errbuf);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, &q);
	rc = curl_easy_perform(e);
	curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &http);
	/* masked whole, before a cut could leave part of a secret */
	printable(sc, q.resp, sizeof q.resp);
	printable(sc, errbuf, sizeof errbuf);
	if (rc != CURLE_OK)
		snprintf(err, errlen, "%s", errbuf[0] ? errbuf : curl_easy_strerror(rc));
	else
		snprintf(err, errlen, "%s", q.resp);
	curl_easy_cleanup(e);
	sink_request_release(&rq);
	return rc == CURLE_OK ? http : -1;
}

static int load_ids(struct sender *sd, const int64_t *ids, int n);

/* split: replace the refused row j (the head of q) by smaller ones
 * (sender_on_split); 1 if it was, its parts queued */
static int split(struct sender *sd, struct queue *q, struct job *j, long http,
    const char *err)
{
	int64_t *ids = NULL;
	char why[800];
	int n;

	if (sd->split == NULL || !sender_too_large(http, q->resp) ||
	    (n = sd->split(sd->split_arg, j->id, &ids)) <= 0) {
		free(ids);
		return 0;
	}
	snprintf(why, sizeof why, "%s; split into %d notifications", err, n);
	log_warnx("notification %" PRId64 " to sink '%s' refused as too large "
	    "(%s); split into %d notifications", j->id, q->sink, err, n);
	record(sd, j, "split", http, why);
	finish(sd, q);
	if (load_ids(sd, ids, n) < 0)
		log_warnx("%s: queueing the parts of notification %" PRId64 ": %s; "
		    "they are sent after a restart", store_path(sd->store), j->id,
		    sqlite3_errmsg(store_db(sd->store)));
	free(ids);
	return 1;
}

/* login_done: the CrowdSec login of q ended */
static void login_done(struct sender *sd, struct queue *q,
    const struct sink_conf *sc, CURLcode rc, long http)
{
	int64_t now = now_ms(), expire;
	char err[700];

	q->logging_in = 0;
	if (rc == CURLE_OK && http == 200 &&
	    sink_crowdsec_token(q->resp, &q->token, &expire) == 0) {
		q->token_until = now + TOKEN_TTL;
		if (expire > 0 && expire * 1000 - 60000 < q->token_until)
			q->token_until = expire * 1000 - 60000;
		if (q->login_failures)
			log_info("sink '%s': logged in to the CrowdSec Local API as "
			    "'%s' again", q->sink, sc ? sc->login : "?");
		else
			log_info("sink '%s': logged in to the CrowdSec Local API at %s "
			    "as '%s'", q->sink, sc ? sc->url : "?", sc ? sc->login : "?");
		q->login_failures = 0;
		q->want_login = 0;
		return;
	}
	if (rc != CURLE_OK)
		snprintf(err, sizeof err, "login: %s", q->errbuf[0] ? q->errbuf :
		    curl_easy_strerror(rc));
	else
		snprintf(err, sizeof err, "login: HTTP %ld%s%.300s%s", http,
		    q->resp_len ? ": " : "", q->resp,
		    http == 401 || http == 403 ? " (check the sink's login and "
		    "password: cscli machines add)" : "");
	q->login_failures++;
	if (q->head) {
		q->head->attempts++;
		failed_attempt(sd, q, sc, http, err);
		return;
	}
	q->login_next = now + backoff_delay(sc ? sc->retry_initial_ms : 1000,
	    sc ? sc->retry_max_ms : 300000, q->login_failures - 1, rnd());
	if (q->login_failures == 1 || log_verbose())
		log_warnx("sink '%s': CrowdSec Local API %s failed: %s; retrying in "
		    "%" PRId64 " ms", q->sink, sc ? sc->url : "?", err,
		    q->login_next - now);
}

static void done(struct sender *sd, struct queue *q, CURLcode rc)
{
	const struct sink_conf *sc = sd->ac ? alertconf_sink(sd->ac, q->sink) : NULL;
	struct job *j = q->inflight;
	long http = 0;
	char err[700];

	curl_easy_getinfo(q->easy, CURLINFO_RESPONSE_CODE, &http);
	curl_multi_remove_handle(sd->multi, q->easy);
	curl_easy_cleanup(q->easy);
	q->easy = NULL;
	sink_request_release(&q->rq);
	q->inflight = NULL;
	/* masked whole, before a cut could leave part of a secret */
	printable(sc, q->resp, sizeof q->resp);
	printable(sc, q->errbuf, sizeof q->errbuf);
	if (q->logging_in) {
		login_done(sd, q, sc, rc, http);
		return;
	}
	if (rc == CURLE_OK && http >= 200 && http < 300) {
		record(sd, j, "delivered", http, "");
		log_debug("notification %" PRId64 " delivered to sink '%s' (HTTP %ld)",
		    j->id, q->sink, http);
		finish(sd, q);
		return;
	}
	if (rc != CURLE_OK)
		snprintf(err, sizeof err, "%s", q->errbuf[0] ? q->errbuf :
		    curl_easy_strerror(rc));
	else
		snprintf(err, sizeof err, "HTTP %ld%s%.400s", http,
		    q->resp_len ? ": " : "", q->resp);
	if (rc == CURLE_OK && http == 401 && sc && sc->type == SINK_CROWDSEC) {
		/* the JWT expired or the Local API restarted with a new
		 * secret: log in again, and retry at once the first time */
		free(q->token);
		q->token = NULL;
		if (!j->reauth) {
			log_debug("sink '%s': HTTP 401, logging in again", q->sink);
			j->reauth = 1;
			j->attempts--;
			j->next_at = 0;
			return;
		}
		failed_attempt(sd, q, sc, http, err);
		return;
	}
	if (rc == CURLE_OK && http >= 400 && http < 500 && http != 408 &&
	    http != 429) {
		if (split(sd, q, j, http, err))
			return;
		log_warnx("notification %" PRId64 " to sink '%s' refused: %s; not "
		    "retried", j->id, q->sink, err);
		record(sd, j, "failed", http, err);
		finish(sd, q);
		return;
	}
	failed_attempt(sd, q, sc, http, err);
}

/* failed_attempt: the head row of q was not delivered (err): retry after a
 * backoff, or give up after the sink's give_up_after */
static void failed_attempt(struct sender *sd, struct queue *q,
    const struct sink_conf *sc, long http, const char *err)
{
	struct job *j = q->head;
	int64_t delay, now = now_ms(), ra;

	if (j->attempts == 0)
		j->attempts = 1;
	delay = backoff_delay(sc ? sc->retry_initial_ms : 1000,
	    sc ? sc->retry_max_ms : 300000, j->attempts - 1, rnd());
	if ((http == 429 || http == 503) && q->retry_after[0] &&
	    (ra = retry_after_ms(q->retry_after, now)) >= 0)
		delay = ra > RETRY_AFTER_MAX ? RETRY_AFTER_MAX : ra;
	if (sc && now + delay - j->created * 1000 > sc->give_up_ms) {
		char why[800];

		snprintf(why, sizeof why, "gave up after %d attempts: %s",
		    j->attempts, err);
		log_warnx("notification %" PRId64 " to sink '%s': %s", j->id, q->sink,
		    why);
		record(sd, j, "failed", http, why);
		finish(sd, q);
		return;
	}
	j->next_at = now + delay;
	if (j->attempts == 1 || log_verbose())
		log_warnx("notification %" PRId64 " to sink '%s' failed (%s); retrying "
		    "in %" PRId64 " ms", j->id, q->sink, err, delay);
	record(sd, j, "pending", http, err);
}

int sender_too_large(long http, const char *resp)
{
	static const char *const says[] = {
		"invalid_blocks", "too long", "too_long", "too large", "too_large",
		"too big", "exceed", "maximum", NULL
	};
	size_t i;

	if (http == 413)
		return 1;
	if (http != 400 && http != 422)
		return 0;
	for (i = 0; says[i]; i++)
		if (strcasestr(resp, says[i]) != NULL)
			return 1;
	return 0;
}

static void check(struct sender *sd)
{
	CURLMsg *m;
	int left;
	struct queue *q;

	while ((m = curl_multi_info_read(sd->multi, &left)) != NULL) {
		if (m->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&q);
		done(sd, q, m->data.result);
	}
	schedule(sd);
}

static void on_sock(void *arg, int fd, uint32_t events)
{
	struct sender *sd = arg;
	int running, flags = 0;

	if (events & EPOLLIN)
		flags |= CURL_CSELECT_IN;
	if (events & EPOLLOUT)
		flags |= CURL_CSELECT_OUT;
	if (events & (EPOLLERR | EPOLLHUP))
		flags |= CURL_CSELECT_ERR;
	curl_multi_socket_action(sd->multi, fd, flags, &running);
	check(sd);
}

static int sock_cb(CURL *e, curl_socket_t s, int what, void *userp,
    void *socketp)
{
	struct sender *sd = userp;
	uint32_t ev = 0;

	(void)e;
	if (what == CURL_POLL_REMOVE) {
		loop_del(sd->loop, s);
		curl_multi_assign(sd->multi, s, NULL);
		return 0;
	}
	if (what & CURL_POLL_IN)
		ev |= EPOLLIN;
	if (what & CURL_POLL_OUT)
		ev |= EPOLLOUT;
	if (socketp == NULL) {
		if (loop_add(sd->loop, s, ev, on_sock, sd) < 0)
			log_warn("watching a socket of the sender");
		curl_multi_assign(sd->multi, s, sd);
	} else {
		loop_mod(sd->loop, s, ev);
	}
	return 0;
}

static int timer_cb(CURLM *m, long ms, void *userp)
{
	struct sender *sd = userp;

	(void)m;
	/* 0 means "now", but arming a timerfd with 0 disarms it */
	loop_timer_arm(sd->curl_tfd, ms < 0 ? 0 : ms == 0 ? 1 : ms);
	return 0;
}

static void on_curl_timer(void *arg, int fd, uint32_t events)
{
	struct sender *sd = arg;
	int running;

	(void)events;
	loop_timer_ack(fd);
	curl_multi_socket_action(sd->multi, CURL_SOCKET_TIMEOUT, 0, &running);
	check(sd);
}

static void on_retry_timer(void *arg, int fd, uint32_t events)
{
	struct sender *sd = arg;

	(void)events;
	loop_timer_ack(fd);
	schedule(sd);
}

struct sender *sender_new(struct loop *l, struct store *s,
    const struct alertconf *ac)
{
	struct sender *sd = xcalloc(1, sizeof *sd);

	sd->loop = l;
	sd->store = s;
	sd->ac = ac;
	sd->curl_tfd = sd->retry_tfd = -1;
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK ||
	    (sd->multi = curl_multi_init()) == NULL)
		goto fail;
	sd->curl_tfd = loop_timer_new();
	sd->retry_tfd = loop_timer_new();
	if (sd->curl_tfd < 0 || sd->retry_tfd < 0 ||
	    loop_add(l, sd->curl_tfd, EPOLLIN, on_curl_timer, sd) < 0 ||
	    loop_add(l, sd->retry_tfd, EPOLLIN, on_retry_timer, sd) < 0)
		goto fail;
	curl_multi_setopt(sd->multi, CURLMOPT_SOCKETFUNCTION, sock_cb);
	curl_multi_setopt(sd->multi, CURLMOPT_SOCKETDATA, sd);
	curl_multi_setopt(sd->multi, CURLMOPT_TIMERFUNCTION, timer_cb);
	curl_multi_setopt(sd->multi, CURLMOPT_TIMERDATA, sd);
	return sd;
fail:
	sender_free(sd);
	return NULL;
}

void sender_free(struct sender *sd)
{
	struct queue *q, *qn;
	struct job *j, *jn;

	if (sd == NULL)
		return;
	for (q = sd->queues; q; q = qn) {
		qn = q->next;
		if (q->easy) {
			curl_multi_remove_handle(sd->multi, q->easy);
			curl_easy_cleanup(q->easy);
			sink_request_release(&q->rq);
		}
		for (j = q->head; j; j = jn) {
			jn = j->next;
			job_free(j);
		}
		free(q->sink);
		free(q->token);
		free(q);
	}
	if (sd->multi)
		curl_multi_cleanup(sd->multi);
	if (sd->curl_tfd >= 0) {
		loop_del(sd->loop, sd->curl_tfd);
		close(sd->curl_tfd);
	}
	if (sd->retry_tfd >= 0) {
		loop_del(sd->loop, sd->retry_tfd);
		close(sd->retry_tfd);
	}
	free(sd);
}

/* want_logins: log in to every CrowdSec Local API now, so that a wrong
 * password shows at start (and after a reload), not at the first attack;
 * a JWT from before a reload may be for another login */
static void want_logins(struct sender *sd)
{
	struct queue *q;
	size_t i;

	for (i = 0; sd->ac && i < sd->ac->nsinks; i++)
		if (sd->ac->sinks[i].type == SINK_CROWDSEC && !sd->ac->sinks[i].dry_run)
			queue_get(sd, sd->ac->sinks[i].name);
	for (q = sd->queues; q; q = q->next) {
		free(q->token);
		q->token = NULL;
		q->want_login = 1;
		q->login_failures = 0;
		q->login_next = 0;
	}
}

void sender_set_conf(struct sender *sd, const struct alertconf *ac)
{
	sd->ac = ac;
	want_logins(sd);
	schedule(sd);
}

static void enqueue(struct sender *sd, int64_t id, const char *sink,
    const char *body, size_t len, int64_t created, int attempts, int64_t next_at)
{
	struct queue *q = queue_get(sd, sink);
	struct job *j = xcalloc(1, sizeof *j);

	j->id = id;
	j->sink = xstrdup(sink);
	j->body = xmalloc(len + 1);
	memcpy(j->body, body, len);
	j->body[len] = '\0';
	j->len = len;
	j->created = created;
	j->attempts = attempts;
	j->next_at = next_at;
	if (q->tail)
		q->tail->next = j;
	else
		q->head = j;
	q->tail = j;
	sd->pending++;
}

void sender_add(struct sender *sd, int64_t id, const char *sink,
    const char *body, size_t len, int64_t created)
{
	enqueue(sd, id, sink, body, len, created, 0, 0);
	schedule(sd);
}

#define SQL_PENDING "SELECT id, sink, body, created, attempts, next_at FROM " \
    "outbox WHERE status = 'pending'"

/* load: queue the rows st selects (SQL_PENDING...); how many, or -1 */
static int load(struct sender *sd, sqlite3_stmt *st)
{
	int rc, n = 0;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		enqueue(sd, sqlite3_column_int64(st, 0),
		    (const char *)sqlite3_column_text(st, 1),
		    sqlite3_column_blob(st, 2), (size_t)sqlite3_column_bytes(st, 2),
		    sqlite3_column_int64(st, 3), sqlite3_column_int(st, 4),
		    sqlite3_column_int64(st, 5));
		n++;
	}
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? n : -1;
}

int sender_load(struct sender *sd)
{
	sqlite3_stmt *st;
	int n;

	if (sqlite3_prepare_v2(store_db(sd->store), SQL_PENDING " ORDER BY id",
	    -1, &st, NULL) != SQLITE_OK)
		return -1;
	n = load(sd, st);
	sqlite3_finalize(st);
	if (n > 0)
		log_info("%d notification(s) pending from before: resending", n);
	want_logins(sd);
	schedule(sd);
	return n < 0 ? -1 : 0;
}

/* load_ids: queue rows ids[0..n) (new rows: the parts of a split one) */
static int load_ids(struct sender *sd, const int64_t *ids, int n)
{
	sqlite3_stmt *st;
	int i, ret = 0;

	if (sqlite3_prepare_v2(store_db(sd->store), SQL_PENDING " AND id = ?",
	    -1, &st, NULL) != SQLITE_OK)
		return -1;
	for (i = 0; i < n; i++) {
		sqlite3_bind_int64(st, 1, ids[i]);
		if (load(sd, st) < 0)
			ret = -1;
	}
	sqlite3_finalize(st);
	return ret;
}

void sender_on_split(struct sender *sd, sender_split_cb *fn, void *arg)
{
	sd->split = fn;
	sd->split_arg = arg;
}

size_t sender_pending(const struct sender *sd)
{
	return sd->pending;
}
