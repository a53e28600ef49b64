/* sink_crowdsec: eximwatch as a CrowdSec watcher (a "machine" of a Local
 * API).  A notice becomes POST /v1/alerts: an array with one CrowdSec
 * alert per firing group, each holding one decision — scope Ip for an
 * address, Range for a network group, scenario "eximwatch/<threshold>",
 * origin "eximwatch", the sink's type and duration.  Resolves send
 * nothing: a decision ends with its duration, and `repeat` renews one that
 * is still deserved (a new alert with a new decision).
 *
 * The body holds no secret: the sender logs in first (POST
 * /v1/watchers/login with login and password → a JWT, kept until it
 * expires or a 401), and adds "Authorization: Bearer" when it sends.
 *
 * Nothing from the log reaches the request: the group is parsed as an
 * address or network and written canonically (a group that does not parse
 * is left out), the message holds the threshold's names and counts. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <curl/curl.h>

#include "json.h"
#include "log.h"
#include "netaddr.h"
#include "notice.h"
#include "sink.h"
#include "xmalloc.h"

/* go_duration: seconds as a Go duration ("4h0m0s" reads badly; "14400s"
 * is what time.ParseDuration takes, "4h" too) */
static void go_duration(struct sbuf *b, int64_t secs)
{
	if (secs % 3600 == 0)
		sbuf_addf(b, "%" PRId64 "h", secs / 3600);
	else if (secs % 60 == 0)
		sbuf_addf(b, "%" PRId64 "m", secs / 60);
	else
		sbuf_addf(b, "%" PRId64 "s", secs);
}

int sink_crowdsec_target(const char *grp, char *buf, size_t len,
    const char **scope)
{
	struct netaddr a;

	if (netaddr_parse(grp, strlen(grp), &a) < 0 ||
	    netaddr_format(&a, buf, len) == 0)
		return -1;
	*scope = netaddr_is_host(&a) ? "Ip" : "Range";
	return 0;
}

static void one(struct sbuf *b, const struct sink_conf *s,
    const struct notice *n, const struct notice_item *it, const char *target,
    const char *scope)
{
	struct sbuf t;
	char start[32], stop[32];

	sbuf_init(&t);
	notice_time(it->started_at, start, sizeof start);
	notice_time(n->now, stop, sizeof stop);
	sbuf_addf(&t, "eximwatch/%s", n->tc->id);
	sbuf_adds(b, "{\"scenario\":");
	json_str(b, t.s, t.len);
	sbuf_adds(b, ",\"scenario_hash\":\"\",\"scenario_version\":\"\","
	    "\"message\":");
	sbuf_reset(&t);
	sbuf_addf(&t, "%s on %s: %s %" PRId64 " (", target, n->host, n->classes,
	    it->value);
	notice_rule(n, &t);
	sbuf_adds(&t, ")");
	json_str(b, t.s, t.len);
	sbuf_adds(b, ",\"events_count\":");
	json_int(b, it->value);
	sbuf_adds(b, ",\"start_at\":");
	json_cstr(b, start);
	sbuf_adds(b, ",\"stop_at\":");
	json_cstr(b, stop);
	sbuf_adds(b, ",\"capacity\":");
	json_int(b, n->tc->count);
	sbuf_adds(b, ",\"leakspeed\":");
	sbuf_reset(&t);
	go_duration(&t, n->tc->window);
	json_str(b, t.s, t.len);
	sbuf_adds(b, ",\"simulated\":false,\"remediation\":true,\"events\":[],"
	    "\"meta\":[{\"key\":\"host\",\"value\":");
	json_cstr(b, n->host);
	sbuf_adds(b, "},{\"key\":\"classes\",\"value\":");
	json_cstr(b, n->classes);
	sbuf_adds(b, "}],\"source\":{\"scope\":");
	json_cstr(b, scope);
	sbuf_adds(b, ",\"value\":");
	json_cstr(b, target);
	sbuf_adds(b, strcmp(scope, "Ip") == 0 ? ",\"ip\":" : ",\"range\":");
	json_cstr(b, target);
	sbuf_adds(b, "},\"decisions\":[{\"origin\":\"eximwatch\",\"type\":");
	json_cstr(b, s->decision_type);
	sbuf_adds(b, ",\"scope\":");
	json_cstr(b, scope);
	sbuf_adds(b, ",\"value\":");
	json_cstr(b, target);
	sbuf_adds(b, ",\"duration\":");
	sbuf_reset(&t);
	go_duration(&t, s->duration);
	json_str(b, t.s, t.len);
	sbuf_addf(b, ",\"scenario\":\"eximwatch/%s\"}]}", n->tc->id);
	sbuf_release(&t);
}

int sink_crowdsec_render(const struct sink_conf *s, const struct notice *n,
    struct sbuf *b)
{
	char target[NETADDR_STRLEN];
	const char *scope;
	size_t i, k = 0;

	if (n->test)
		return -1;   /* `alerts test` logs in: a test decision would ban */
	for (i = 0; i < n->nfiring; i++) {
		const struct notice_item *it = &n->items[i];

		if (it->not_acted)
			continue;
		if (sink_crowdsec_target(it->grp, target, sizeof target,
		    &scope) < 0) {
			log_warnx("sink '%s': threshold %s: the group is not an "
			    "address or network; not sent", s->name, n->tc->id);
			continue;
		}
		if (s->dry_run) {
			/* what the sender logs instead of sending */
			sbuf_addf(b, "%s %s %s for ", s->decision_type, scope, target);
			go_duration(b, s->duration);
			sbuf_addf(b, " (eximwatch/%s, %" PRId64 " events)\n",
			    n->tc->id, it->value);
			k++;
			continue;
		}
		sbuf_adds(b, k++ ? "," : "[");
		one(b, s, n, it, target, scope);
	}
	if (k == 0)
		return -1;    /* resolves, or nothing to act on */
	if (!s->dry_run)
		sbuf_addc(b, ']');
	return 0;
}

void sink_crowdsec_login(const struct sink_conf *s, struct sink_request *rq)
{
	size_t n = strlen(s->url);

	while (n > 0 && s->url[n - 1] == '/')
		n--;
	memset(rq, 0, sizeof *rq);
	sbuf_init(&rq->body);
	rq->url = xasprintf("%.*s/v1/watchers/login", (int)n, s->url);
	rq->headers = curl_slist_append(NULL, "Content-Type: application/json");
	rq->headers = curl_slist_append(rq->headers, "Expect:");
	sbuf_adds(&rq->body, "{\"machine_id\":");
	json_cstr(&rq->body, s->login);
	sbuf_adds(&rq->body, ",\"password\":");
	json_cstr(&rq->body, s->secret);
	sbuf_adds(&rq->body, ",\"scenarios\":[]}");
}

/* str_field: the JSON string value of "key" in resp (no escapes inside:
 * a token and a time have none); its start and length, or NULL */
static const char *str_field(const char *resp, const char *key, size_t *len)
{
	char pat[32];
	const char *p, *e;

	snprintf(pat, sizeof pat, "\"%s\"", key);
	if ((p = strstr(resp, pat)) == NULL)
		return NULL;
	p += strlen(pat);
	while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
		p++;
	if (*p++ != ':')
		return NULL;
	while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
		p++;
	if (*p++ != '"' || (e = strchr(p, '"')) == NULL)
		return NULL;
	*len = (size_t)(e - p);
	return p;
}

int sink_crowdsec_token(const char *resp, char **token, int64_t *expire)
{
	const char *p;
	char buf[40];
	struct tm tm;
	size_t len;

	*token = NULL;
	*expire = 0;
	/* a JWT: base64url parts and dots, nothing a header could misuse */
	if ((p = str_field(resp, "token", &len)) == NULL || len == 0 ||
	    len > 4096 || strspn(p, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnop"
	    "qrstuvwxyz0123456789-_.") < len)
		return -1;
	*token = xstrndup(p, len);
	if ((p = str_field(resp, "expire", &len)) != NULL && len < sizeof buf) {
		memcpy(buf, p, len);
		buf[len] = '\0';
		memset(&tm, 0, sizeof tm);
		if (strptime(buf, "%Y-%m-%dT%H:%M:%S", &tm) != NULL)
			*expire = (int64_t)timegm(&tm);
	}
	return 0;
}
