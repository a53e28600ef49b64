/* alertconf: thresholds, sinks and alert settings (see alertconf.h) */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <openssl/evp.h>

#include "alertconf.h"
#include "duration.h"
#include "redact.h"
#include "rules.h"
#include "suggest.h"
#include "xmalloc.h"
#include "yamldoc.h"

#define ERR(d, file, n, ...) \
	diag_add((d), (file), (n) ? (n)->line : 0, (n) ? (n)->col : 0, __VA_ARGS__)

static const char *const severities[] = { "critical", "error", "warning",
	"notice", "info", NULL };

const char *alert_by_name(enum alert_by b)
{
	switch (b) {
	case BY_IP: return "ip";
	case BY_ACCOUNT: return "account";
	case BY_OWNER: return "owner";
	case BY_PREFIX: return "prefix";
	default: return "global";
	}
}

const char *sink_type_name(enum sink_type t)
{
	switch (t) {
	case SINK_SLACK: return "slack";
	case SINK_PAGERDUTY: return "pagerduty";
	case SINK_ALERTMANAGER: return "alertmanager";
	case SINK_CROWDSEC: return "crowdsec";
	case SINK_BANLOG: return "banlog";
	default: return "webhook";
	}
}

int sink_acts(const struct sink_conf *s)
{
	return s->type == SINK_CROWDSEC || s->type == SINK_BANLOG;
}

int alertconf_ms(const char *s, int64_t *ms)
{
	char *end;
	long long v;
	int64_t secs;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (end != s && errno == 0 && v >= 0 && (strcmp(end, "ms") == 0 ||
	    *end == '\0')) {
		*ms = v;
		return 0;
	}
	if (duration_parse(s, &secs) == 0 && secs >= 0) {
		*ms = secs * 1000;
		return 0;
	}
	return -1;
}

static void strv_free(char **v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

void alertconf_release(struct alertconf *ac)
{
	size_t i;

	for (i = 0; i < ac->nth; i++) {
		struct threshold_conf *t = &ac->th[i];

		free(t->id);
		strv_free(t->classes, t->nclasses);
		free(t->class_line);
		free(t->class_col);
		free(t->severity);
		free(t->remedy);
		strv_free(t->sinks, t->nsinks);
		free(t->sink_line);
		free(t->sink_col);
	}
	free(ac->th);
	for (i = 0; i < ac->nsinks; i++) {
		struct sink_conf *s = &ac->sinks[i];

		free(s->name);
		free(s->url);
		if (s->secret)
			OPENSSL_cleanse(s->secret, strlen(s->secret));
		free(s->secret);
		if (s->key)
			OPENSSL_cleanse(s->key, s->keylen);
		free(s->key);
		free(s->proxy);
		free(s->login);
		free(s->decision_type);
		free(s->path);
		redact_free(s->redact);
	}
	free(ac->sinks);
	free(ac->never_act);
	strv_free(ac->relay_files, ac->nrelay_files);
	free(ac->path);
	free(ac->host);
	memset(ac, 0, sizeof *ac);
}

const struct sink_conf *alertconf_sink(const struct alertconf *ac,
    const char *name)
{
	size_t i;

	for (i = 0; i < ac->nsinks; i++)
		if (strcmp(ac->sinks[i].name, name) == 0)
			return &ac->sinks[i];
	return NULL;
}

static int is_scalar(const struct ydoc_node *v)
{
	return v->type == YDOC_SCALAR && v->len > 0;
}

static int want_secs(struct diag *d, const char *file, const struct ydoc_node *v,
    const char *key, int64_t *out)
{
	if (!is_scalar(v) || duration_parse(v->str, out) < 0 || *out <= 0) {
		ERR(d, file, v, "'%s' must be a duration like 30s, 10m or 1h", key);
		return -1;
	}
	return 0;
}

static int want_ms(struct diag *d, const char *file, const struct ydoc_node *v,
    const char *key, int64_t *out)
{
	if (!is_scalar(v) || alertconf_ms(v->str, out) < 0) {
		ERR(d, file, v, "'%s' must be a duration like 500ms, 30s or 1m", key);
		return -1;
	}
	return 0;
}

static int want_count(struct diag *d, const char *file, const struct ydoc_node *v,
    const char *key, int64_t *out)
{
	char *end;
	long long n;

	if (!is_scalar(v) || (n = strtoll(v->str, &end, 10), *end) || n < 1 ||
	    n > 1000000000) {
		ERR(d, file, v, "'%s' must be a whole number from 1", key);
		return -1;
	}
	*out = n;
	return 0;
}

static int want_list(struct diag *d, const char *file, const struct ydoc_node *v,
    const char *key, char ***out, size_t *n, int **lines, int **cols)
{
	size_t i;

	if (is_scalar(v)) {   /* one item without brackets */
		*out = xcalloc(1, sizeof **out);
		(*out)[0] = xstrdup(v->str);
		*n = 1;
		if (lines) {
			*lines = xcalloc(1, sizeof **lines);
			*cols = xcalloc(1, sizeof **cols);
			(*lines)[0] = v->line;
			(*cols)[0] = v->col;
		}
		return 0;
	}
	if (v->type != YDOC_SEQ || v->n == 0) {
		ERR(d, file, v, "'%s' must be a non-empty list", key);
		return -1;
	}
	*out = xcalloc(v->n, sizeof **out);
	if (lines) {
		*lines = xcalloc(v->n, sizeof **lines);
		*cols = xcalloc(v->n, sizeof **cols);
	}
	for (i = 0; i < v->n; i++) {
		const struct ydoc_node *k = v->kids[i];

		if (!is_scalar(k)) {
			ERR(d, file, k, "items of '%s' must be strings", key);
			continue;
		}
		(*out)[(*n)++] = xstrdup(k->str);
		if (lines) {
			(*lines)[*n - 1] = k->line;
			(*cols)[*n - 1] = k->col;
		}
	}
	return 0;
}

static int parse_by(const struct ydoc_node *v, enum alert_by *out, int allow_owner)
{
	if (!is_scalar(v))
		return -1;
	if (strcmp(v->str, "ip") == 0)
		*out = BY_IP;
	else if (strcmp(v->str, "account") == 0)
		*out = BY_ACCOUNT;
	else if (strcmp(v->str, "prefix") == 0)
		*out = BY_PREFIX;
	else if (allow_owner && strcmp(v->str, "owner") == 0)
		*out = BY_OWNER;
	else if (allow_owner && strcmp(v->str, "global") == 0)
		*out = BY_GLOBAL;
	else
		return -1;
	return 0;
}

static void parse_threshold(struct alertconf *ac, const char *file,
    const struct ydoc_node *m, struct diag *d)
{
	static const char *const keys[] = { "id", "classes", "by", "window",
		"count", "distinct", "severity", "sinks", "repeat", "resolve_after",
		"group_wait", "first_wait", "remedy", NULL };
	struct threshold_conf t;
	size_t i, j;
	/* a key written but wrong has its own error: "needs" is for absent */
	int have_id = 0, have_classes = 0, have_window = 0, have_count = 0,
	    have_resolve = 0;

	memset(&t, 0, sizeof t);
	t.line = m->line;
	t.col = m->col;
	t.repeat = 3600;
	t.group_wait_ms = 30000;
	t.first_wait_ms = 500;
	if (m->type != YDOC_MAP) {
		ERR(d, file, m, "a threshold must be a mapping (id, classes, window, "
		    "count...)");
		return;
	}
	for (i = 0; i < m->n; i++) {
		const struct ydoc_node *k = m->kids[2 * i], *v = m->kids[2 * i + 1];
		const char *key = k->type == YDOC_SCALAR ? k->str : "?";

		if (strcmp(key, "id") == 0) {
			have_id = 1;
			if (!is_scalar(v) || strspn(v->str, "abcdefghijklmnopqrstuvwxyz"
			    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.") != v->len)
				ERR(d, file, v, "a threshold id must be letters, digits, "
				    "'_', '-' or '.'");
			else
				t.id = xstrdup(v->str);
		} else if (strcmp(key, "classes") == 0) {
			have_classes = 1;
			want_list(d, file, v, "classes", &t.classes, &t.nclasses,
			    &t.class_line, &t.class_col);
		} else if (strcmp(key, "by") == 0) {
			if (parse_by(v, &t.by, 1) < 0)
				ERR(d, file, v, "'by' must be ip, prefix, account, owner or "
				    "global");
		} else if (strcmp(key, "window") == 0) {
			have_window = 1;
			want_secs(d, file, v, "window", &t.window);
		} else if (strcmp(key, "count") == 0) {
			have_count++;
			want_count(d, file, v, "count", &t.count);
		} else if (strcmp(key, "distinct") == 0) {
			have_count++;
			if (v->type != YDOC_MAP) {
				ERR(d, file, v, "'distinct' must be a mapping {field: "
				    "ip|prefix|account, count: N}");
				continue;
			}
			for (j = 0; j < v->n; j++) {
				const struct ydoc_node *dk = v->kids[2 * j], *dv = v->kids[2 * j + 1];

				if (dk->type == YDOC_SCALAR && strcmp(dk->str, "field") == 0) {
					if (parse_by(dv, &t.distinct, 0) < 0)
						ERR(d, file, dv, "'distinct.field' must be ip, prefix or "
						    "account");
				} else if (dk->type == YDOC_SCALAR &&
				    strcmp(dk->str, "count") == 0) {
					want_count(d, file, dv, "distinct.count", &t.count);
				} else {
					ERR(d, file, dk, "unknown key 'distinct.%s' (expected field, "
					    "count)", dk->type == YDOC_SCALAR ? dk->str : "?");
				}
			}
			if (t.distinct == BY_GLOBAL)
				ERR(d, file, v, "'distinct' needs a field: ip, prefix or "
				    "account");
			if (t.count == 0)
				ERR(d, file, v, "'distinct' needs a count");
		} else if (strcmp(key, "severity") == 0) {
			for (j = 0; severities[j]; j++)
				if (is_scalar(v) && strcmp(v->str, severities[j]) == 0)
					break;
			if (!severities[j])
				ERR(d, file, v, "severity must be critical, error, warning, "
				    "notice or info");
			else
				t.severity = xstrdup(v->str);
		} else if (strcmp(key, "sinks") == 0) {
			want_list(d, file, v, "sinks", &t.sinks, &t.nsinks,
			    &t.sink_line, &t.sink_col);
		} else if (strcmp(key, "repeat") == 0) {
			want_secs(d, file, v, "repeat", &t.repeat);
		} else if (strcmp(key, "resolve_after") == 0) {
			if (want_secs(d, file, v, "resolve_after", &t.resolve_after) == 0)
				have_resolve = 1;
		} else if (strcmp(key, "group_wait") == 0) {
			want_ms(d, file, v, "group_wait", &t.group_wait_ms);
		} else if (strcmp(key, "first_wait") == 0) {
			want_ms(d, file, v, "first_wait", &t.first_wait_ms);
		} else if (strcmp(key, "remedy") == 0) {
			if (!is_scalar(v))
				ERR(d, file, v, "'remedy' must be a string");
			else
				t.remedy = xstrdup(v->str);
		} else {
			const char *sug = suggest(key, keys, -1);

			ERR(d, file, k, "unknown threshold key '%s'%s%s%s (expected id, "
			    "classes, by, window, count, distinct, severity, sinks, "
			    "repeat, resolve_after, group_wait, first_wait, remedy)",
			    key, sug ? ": did you mean '" : "", sug ? sug : "",
			    sug ? "'?" : "");
		}
	}
	if (!have_id)
		ERR(d, file, m, "a threshold needs an 'id'");
	if (!have_classes)
		ERR(d, file, m, "threshold '%s' needs 'classes'", t.id ? t.id : "?");
	if (!have_window)
		ERR(d, file, m, "threshold '%s' needs a 'window'", t.id ? t.id : "?");
	if (have_count != 1)
		ERR(d, file, m, "threshold '%s' needs exactly one of 'count' and "
		    "'distinct'", t.id ? t.id : "?");
	if (t.distinct != BY_GLOBAL && (t.distinct == t.by ||
	    (t.by == BY_IP && t.distinct == BY_PREFIX)))
		ERR(d, file, m, "threshold '%s': counting distinct %s values per %s "
		    "is always 1", t.id ? t.id : "?", alert_by_name(t.distinct),
		    alert_by_name(t.by));
	if (!have_resolve)
		t.resolve_after = t.window;
	if (t.severity == NULL)
		t.severity = xstrdup("warning");
	for (i = 0; i < ac->nth && t.id; i++)
		if (ac->th[i].id && strcmp(ac->th[i].id, t.id) == 0)
			ERR(d, file, m, "duplicate threshold id '%s' (first at line %d)",
			    t.id, ac->th[i].line);
	/* kept even with errors (alertconf_load then fails): its sinks and
	 * classes are checked in the same pass */
	ac->th = xreallocarray(ac->th, ac->nth + 1, sizeof *ac->th);
	ac->th[ac->nth++] = t;
}

/* read_secret: the value of key, key_file or key_env in m; 1 found (*out,
 * also added to rd), 0 absent, -1 error (in d) */
static int read_secret(struct alertconf *ac, const char *file,
    const struct ydoc_node *m, const char *key, char **out,
    struct redact *rd, struct diag *d)
{
	char name[64];
	const struct ydoc_node *v;
	int found = 0;

	if ((v = ydoc_get(m, key)) != NULL) {
		found++;
		if (!is_scalar(v)) {
			ERR(d, file, v, "'%s' must be a string", key);
			return -1;
		}
		*out = xstrdup(v->str);
		ac->inline_secrets = 1;
	}
	snprintf(name, sizeof name, "%s_file", key);
	if ((v = ydoc_get(m, name)) != NULL) {
		FILE *fp;
		char buf[4096];
		size_t n;

		found++;
		if (!is_scalar(v) || (fp = fopen(v->str, "re")) == NULL) {
			ERR(d, file, v, "'%s': cannot read %s: %s", name,
			    is_scalar(v) ? v->str : "?", strerror(errno));
			return -1;
		}
		n = fread(buf, 1, sizeof buf - 1, fp);
		fclose(fp);
		buf[n] = '\0';
		while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r' ||
		    buf[n - 1] == ' '))
			buf[--n] = '\0';
		if (n == 0) {
			ERR(d, file, v, "'%s': %s is empty", name, v->str);
			return -1;
		}
		free(*out);
		*out = xstrdup(buf);
		OPENSSL_cleanse(buf, sizeof buf);
	}
	snprintf(name, sizeof name, "%s_env", key);
	if ((v = ydoc_get(m, name)) != NULL) {
		const char *e;

		found++;
		if (!is_scalar(v) || (e = getenv(v->str)) == NULL || *e == '\0') {
			ERR(d, file, v, "'%s': the environment variable %s is not set",
			    name, is_scalar(v) ? v->str : "?");
			return -1;
		}
		free(*out);
		*out = xstrdup(e);
	}
	if (found > 1) {
		ERR(d, file, m, "give only one of '%s', '%s_file' and '%s_env'", key,
		    key, key);
		return -1;
	}
	if (found)
		redact_add(rd, *out);
	return found;
}

/* webhook_key: Standard Webhooks secrets are "whsec_" + base64; anything
 * else is used as raw bytes */
static int webhook_key(struct sink_conf *s)
{
	size_t n, pad = 0;
	const char *b;
	int k;

	if (strncmp(s->secret, "whsec_", 6) != 0) {
		s->keylen = strlen(s->secret);
		s->key = (unsigned char *)xstrdup(s->secret);
		return 0;
	}
	b = s->secret + 6;
	n = strlen(b);
	if (n == 0 || n % 4 != 0)
		return -1;
	s->key = xmalloc(n);
	if ((k = EVP_DecodeBlock(s->key, (const unsigned char *)b, (int)n)) < 0)
		return -1;
	if (b[n - 1] == '=')
		pad++;
	if (b[n - 2] == '=')
		pad++;
	s->keylen = (size_t)k - pad;
	return 0;
}

static const char *const sink_keys[] = { "type", "url", "url_file", "url_env",
	"routing_key", "routing_key_file", "routing_key_env", "secret",
	"secret_file", "secret_env", "proxy", "timeout", "connect_timeout",
	"retry_initial", "retry_max", "give_up_after", "min_interval", "login",
	"password", "password_file", "password_env", "duration", "decision_type",
	"dry_run", "path", "max_size", NULL };

static int want_bool(struct diag *d, const char *file, const struct ydoc_node *v,
    const char *key, int *out)
{
	if (is_scalar(v) && (strcmp(v->str, "true") == 0 ||
	    strcmp(v->str, "yes") == 0)) {
		*out = 1;
		return 0;
	}
	if (is_scalar(v) && (strcmp(v->str, "false") == 0 ||
	    strcmp(v->str, "no") == 0)) {
		*out = 0;
		return 0;
	}
	ERR(d, file, v, "'%s' must be true or false", key);
	return -1;
}

/* acting: the keys of the acting sinks (crowdsec, banlog) */
static void parse_acting(struct alertconf *ac, const char *file,
    const struct ydoc_node *m, struct sink_conf *s, struct diag *d)
{
	const struct ydoc_node *v;
	char *end;
	long long n;

	s->duration = 4 * 3600;
	if ((v = ydoc_get(m, "duration")) != NULL &&
	    want_secs(d, file, v, "duration", &s->duration) == 0 &&
	    (s->duration < 60 || s->duration > 365 * 86400))
		ERR(d, file, v, "'duration' must be from 1m to 365d");
	if ((v = ydoc_get(m, "dry_run")) != NULL)
		want_bool(d, file, v, "dry_run", &s->dry_run);
	if (s->type == SINK_CROWDSEC) {
		if ((v = ydoc_get(m, "login")) == NULL || !is_scalar(v) ||
		    v->len > 255)
			ERR(d, file, v ? v : m, "sink '%s' needs a login: the machine "
			    "id of this server in the CrowdSec Local API (cscli "
			    "machines add NAME)", s->name);
		else
			s->login = xstrdup(v->str);
		if (read_secret(ac, file, m, "password", &s->secret, s->redact,
		    d) == 0)
			ERR(d, file, m, "sink '%s' needs a password (or password_file, "
			    "password_env)", s->name);
		s->decision_type = xstrdup("ban");
		if ((v = ydoc_get(m, "decision_type")) != NULL) {
			if (!is_scalar(v) || v->len > 64 ||
			    strspn(v->str, "abcdefghijklmnopqrstuvwxyz0123456789_-")
			    != v->len)
				ERR(d, file, v, "'decision_type' must be a word like ban "
				    "or captcha");
			else {
				free(s->decision_type);
				s->decision_type = xstrdup(v->str);
			}
		}
	} else {
		s->path = xstrdup("/var/lib/eximwatch/bans.log");
		if ((v = ydoc_get(m, "path")) != NULL) {
			if (!is_scalar(v) || v->str[0] != '/')
				ERR(d, file, v, "'path' must be an absolute file name");
			else {
				free(s->path);
				s->path = xstrdup(v->str);
			}
		}
		s->max_size = 10 << 20;
		if ((v = ydoc_get(m, "max_size")) != NULL) {
			n = is_scalar(v) ? strtoll(v->str, &end, 10) : 0;
			if (n < 1 || n > 1 << 20 || (*end != '\0' &&
			    strcmp(end, "k") != 0 && strcmp(end, "M") != 0))
				ERR(d, file, v, "'max_size' must be a size like 10M or "
				    "512k");
			else
				s->max_size = n << (*end == 'k' ? 10 : *end == 'M' ? 20 : 0);
			if (s->max_size < 4096)
				s->max_size = 4096;
		}
	}
}

static void parse_sink(struct alertconf *ac, const char *file,
    const struct ydoc_node *k, const struct ydoc_node *m, struct diag *d)
{
	struct sink_conf s;
	const struct ydoc_node *v;
	size_t i, j, n0 = d->n;
	int r;

	int had = ac->inline_secrets;

	memset(&s, 0, sizeof s);
	s.line = k->line;
	s.col = k->col;
	s.timeout_ms = 10000;
	s.connect_timeout_ms = 5000;
	s.retry_initial_ms = 1000;
	s.retry_max_ms = 300000;
	s.give_up_ms = 86400000;
	if (!is_scalar(k) || strspn(k->str, "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.") != k->len) {
		ERR(d, file, k, "a sink name must be letters, digits, '_', '-' or '.'");
		return;
	}
	if (m->type != YDOC_MAP) {
		ERR(d, file, m, "sink '%s' must be a mapping (type, url...)", k->str);
		return;
	}
	s.name = xstrdup(k->str);
	s.redact = redact_new();
	for (i = 0; i < m->n; i++) {
		const struct ydoc_node *kk = m->kids[2 * i];

		for (j = 0; sink_keys[j]; j++)
			if (kk->type == YDOC_SCALAR && strcmp(kk->str, sink_keys[j]) == 0)
				break;
		if (!sink_keys[j]) {
			const char *sug = kk->type == YDOC_SCALAR ?
			    suggest(kk->str, sink_keys, -1) : NULL;

			ERR(d, file, kk, "unknown key '%s' in sink '%s'%s%s%s (expected "
			    "type, url, routing_key, secret, password (each also as _file "
			    "or _env), login, duration, decision_type, dry_run, path, "
			    "max_size, proxy, timeout, connect_timeout, retry_initial, "
			    "retry_max, give_up_after, min_interval)",
			    kk->type == YDOC_SCALAR ? kk->str : "?", s.name,
			    sug ? ": did you mean '" : "", sug ? sug : "",
			    sug ? "'?" : "");
		}
	}
	v = ydoc_get(m, "type");
	if (v == NULL || !is_scalar(v)) {
		ERR(d, file, v ? v : m, "sink '%s' needs a type: slack, pagerduty, "
		    "alertmanager, webhook, crowdsec or banlog", s.name);
		goto done;
	}
	if (strcmp(v->str, "slack") == 0)
		s.type = SINK_SLACK;
	else if (strcmp(v->str, "pagerduty") == 0)
		s.type = SINK_PAGERDUTY;
	else if (strcmp(v->str, "alertmanager") == 0)
		s.type = SINK_ALERTMANAGER;
	else if (strcmp(v->str, "webhook") == 0)
		s.type = SINK_WEBHOOK;
	else if (strcmp(v->str, "crowdsec") == 0)
		s.type = SINK_CROWDSEC;
	else if (strcmp(v->str, "banlog") == 0)
		s.type = SINK_BANLOG;
	else {
		ERR(d, file, v, "unknown sink type '%s' (expected slack, pagerduty, "
		    "alertmanager, webhook, crowdsec, banlog)", v->str);
		goto done;
	}
	if (sink_acts(&s))
		parse_acting(ac, file, m, &s, d);
	else {
		static const char *const acting_keys[] = { "login", "password",
			"password_file", "password_env", "duration", "decision_type",
			"dry_run", "path", "max_size", NULL };

		for (j = 0; acting_keys[j]; j++)
			if ((v = ydoc_get(m, acting_keys[j])) != NULL)
				ERR(d, file, v, "sink '%s': '%s' is for crowdsec and banlog "
				    "sinks", s.name, acting_keys[j]);
	}
	if (s.type == SINK_BANLOG) {
		if (ydoc_get(m, "url") || ydoc_get(m, "url_file") ||
		    ydoc_get(m, "url_env"))
			ERR(d, file, m, "sink '%s': a banlog sink writes a file "
			    "('path'), it has no url", s.name);
		goto common;
	}
	if (s.type == SINK_SLACK)
		s.min_interval_ms = 1000;
	had = ac->inline_secrets;
	r = read_secret(ac, file, m, "url", &s.url, s.redact, d);
	if (r == 0 && s.type == SINK_PAGERDUTY)
		s.url = xstrdup("https://events.pagerduty.com");
	else if (r == 0)
		ERR(d, file, m, "sink '%s' needs a url (or url_file, url_env)", s.name);
	if (r > 0 && (s.type == SINK_ALERTMANAGER || s.type == SINK_PAGERDUTY ||
	    s.type == SINK_CROWDSEC))
		ac->inline_secrets = had;   /* these urls hold no secret */
	if (s.url && strncmp(s.url, "http://", 7) != 0 &&
	    strncmp(s.url, "https://", 8) != 0)
		ERR(d, file, ydoc_get(m, "url") ? ydoc_get(m, "url") : m,
		    "sink '%s': the url must start with https:// or http://", s.name);
	if (s.type == SINK_PAGERDUTY) {
		if (read_secret(ac, file, m, "routing_key", &s.secret, s.redact,
		    d) == 0)
			ERR(d, file, m, "sink '%s' needs a routing_key (or "
			    "routing_key_file, routing_key_env)", s.name);
	} else if (ydoc_get(m, "routing_key") || ydoc_get(m, "routing_key_file") ||
	    ydoc_get(m, "routing_key_env")) {
		ERR(d, file, m, "sink '%s': routing_key is for pagerduty sinks", s.name);
	}
	if (s.type == SINK_WEBHOOK) {
		if (read_secret(ac, file, m, "secret", &s.secret, s.redact, d) > 0 &&
		    webhook_key(&s) < 0)
			ERR(d, file, m, "sink '%s': a whsec_ secret must be base64", s.name);
	} else if (ydoc_get(m, "secret") || ydoc_get(m, "secret_file") ||
	    ydoc_get(m, "secret_env")) {
		ERR(d, file, m, "sink '%s': secret is for webhook sinks", s.name);
	}
common:
	if ((v = ydoc_get(m, "proxy")) != NULL) {
		if (v->type != YDOC_SCALAR)
			ERR(d, file, v, "'proxy' must be a URL like http://proxy:3128");
		else {
			s.proxy = xstrdup(v->str);
			redact_add(s.redact, s.proxy);   /* user:password@ */
		}
	}
	if ((v = ydoc_get(m, "timeout")) != NULL)
		want_ms(d, file, v, "timeout", &s.timeout_ms);
	if ((v = ydoc_get(m, "connect_timeout")) != NULL)
		want_ms(d, file, v, "connect_timeout", &s.connect_timeout_ms);
	if ((v = ydoc_get(m, "retry_initial")) != NULL)
		want_ms(d, file, v, "retry_initial", &s.retry_initial_ms);
	if ((v = ydoc_get(m, "retry_max")) != NULL)
		want_ms(d, file, v, "retry_max", &s.retry_max_ms);
	if ((v = ydoc_get(m, "give_up_after")) != NULL)
		want_ms(d, file, v, "give_up_after", &s.give_up_ms);
	if ((v = ydoc_get(m, "min_interval")) != NULL)
		want_ms(d, file, v, "min_interval", &s.min_interval_ms);
	if (s.timeout_ms < 100 || s.connect_timeout_ms < 100)
		ERR(d, file, m, "sink '%s': timeouts must be at least 100ms", s.name);
	if (s.retry_initial_ms < 10 || s.retry_max_ms < s.retry_initial_ms)
		ERR(d, file, m, "sink '%s': retry_initial must be at least 10ms and "
		    "retry_max at least retry_initial", s.name);
done:
	if (alertconf_sink(ac, s.name))
		ERR(d, file, k, "duplicate sink name '%s'", s.name);
	ac->sinks = xreallocarray(ac->sinks, ac->nsinks + 1, sizeof *ac->sinks);
	ac->sinks[ac->nsinks++] = s;
	(void)n0;
}

static void parse_settings(struct alertconf *ac, const char *file,
    const struct ydoc_node *m, struct diag *d)
{
	size_t i;
	int64_t n;

	if (m->type != YDOC_MAP) {
		ERR(d, file, m, "'alerts' must be a mapping (host, top, max_groups)");
		return;
	}
	for (i = 0; i < m->n; i++) {
		const struct ydoc_node *k = m->kids[2 * i], *v = m->kids[2 * i + 1];
		const char *key = k->type == YDOC_SCALAR ? k->str : "?";

		if (strcmp(key, "host") == 0) {
			if (!is_scalar(v))
				ERR(d, file, v, "'alerts.host' must be a host name");
			else {
				free(ac->host);
				ac->host = xstrdup(v->str);
			}
		} else if (strcmp(key, "top") == 0) {
			if (want_count(d, file, v, "alerts.top", &n) == 0)
				ac->top = (size_t)n;
		} else if (strcmp(key, "max_groups") == 0) {
			if (want_count(d, file, v, "alerts.max_groups", &n) == 0)
				ac->max_groups = (size_t)n;
		} else {
			ERR(d, file, k, "unknown setting 'alerts.%s' (expected host, top, "
			    "max_groups)", key);
		}
	}
}

/* parse_guard: never_act, trusted_relay_files (known_client_days is
 * config.c's: the caller sets it) */
static void parse_guard(struct alertconf *ac, const char *file,
    const struct ydoc_node *doc, struct diag *d)
{
	const struct ydoc_node *v;
	size_t i;

	if ((v = ydoc_get(doc, "never_act")) != NULL) {
		if (v->type != YDOC_SEQ && !(v->type == YDOC_SCALAR && v->len == 0)) {
			ERR(d, file, v, "'never_act' must be a list of addresses and "
			    "networks like 192.0.2.0/24");
		} else if (v->type == YDOC_SEQ) {
			ac->never_act = xcalloc(v->n ? v->n : 1, sizeof *ac->never_act);
			for (i = 0; i < v->n; i++) {
				const struct ydoc_node *k = v->kids[i];

				if (!is_scalar(k) || netaddr_parse(k->str, k->len,
				    &ac->never_act[ac->nnever_act]) < 0)
					ERR(d, file, k, "never_act: '%s' is not an address or a "
					    "network (192.0.2.7, 192.0.2.0/24, 2001:db8::/48)",
					    k->type == YDOC_SCALAR ? k->str : "?");
				else
					ac->nnever_act++;
			}
		}
	}
	if ((v = ydoc_get(doc, "trusted_relay_files")) != NULL) {
		strv_free(ac->relay_files, ac->nrelay_files);
		ac->relay_files = NULL;
		ac->nrelay_files = 0;
		if (!(v->type == YDOC_SCALAR && v->len == 0) &&
		    !(v->type == YDOC_SEQ && v->n == 0))
			want_list(d, file, v, "trusted_relay_files", &ac->relay_files,
			    &ac->nrelay_files, NULL, NULL);
	}
}

int alertconf_load(struct alertconf *ac, const char *path, struct diag *d)
{
	static const char *const relay_files[] = { "/etc/relayhosts",
		"/etc/alwaysrelay", "/etc/trustedmailhosts" };
	struct ydoc_node *doc, *v;
	const char **names;
	char host[256];
	size_t i, j, n0 = d->n;

	memset(ac, 0, sizeof *ac);
	ac->top = 10;
	ac->max_groups = 10000;
	ac->prefix_v4 = 24;
	ac->prefix_v6 = 64;
	ac->known_client_days = 30;
	ac->nrelay_files = sizeof relay_files / sizeof *relay_files;
	ac->relay_files = xcalloc(ac->nrelay_files, sizeof *ac->relay_files);
	for (i = 0; i < ac->nrelay_files; i++)
		ac->relay_files[i] = xstrdup(relay_files[i]);
	if (gethostname(host, sizeof host) != 0)
		strcpy(host, "localhost");
	host[sizeof host - 1] = '\0';
	ac->host = xstrdup(host);
	if (path == NULL)
		return 0;
	if ((doc = ydoc_load(path, d)) == NULL)
		return -1;
	ac->path = xstrdup(path);
	if (doc->type != YDOC_MAP) {
		ydoc_free(doc);
		return 0;   /* config.c reports it */
	}
	if ((v = ydoc_get(doc, "alerts")) != NULL)
		parse_settings(ac, path, v, d);
	if ((v = ydoc_get(doc, "sinks")) != NULL) {
		if (v->type == YDOC_MAP) {
			for (i = 0; i < v->n; i++)
				parse_sink(ac, path, v->kids[2 * i], v->kids[2 * i + 1], d);
		} else if (!(v->type == YDOC_SCALAR && v->len == 0)) {
			ERR(d, path, v, "'sinks' must be a mapping of sink names to "
			    "settings");
		}
	}
	if ((v = ydoc_get(doc, "thresholds")) != NULL) {
		if (v->type == YDOC_SEQ) {
			for (i = 0; i < v->n; i++)
				parse_threshold(ac, path, v->kids[i], d);
		} else if (!(v->type == YDOC_SCALAR && v->len == 0)) {
			ERR(d, path, v, "'thresholds' must be a list");
		}
	}
	parse_guard(ac, path, doc, d);
	/* every sink a threshold names must exist (the error at the name) */
	names = xcalloc(ac->nsinks + 1, sizeof *names);
	for (i = 0; i < ac->nsinks; i++)
		names[i] = ac->sinks[i].name;
	for (i = 0; i < ac->nth; i++) {
		const struct threshold_conf *t = &ac->th[i];

		for (j = 0; j < t->nsinks; j++) {
			const char *m;

			if (alertconf_sink(ac, t->sinks[j]) != NULL)
				continue;
			m = suggest(t->sinks[j], names, (long)ac->nsinks);
			diag_add(d, path, t->sink_line[j], t->sink_col[j],
			    "threshold '%s' names an unknown sink '%s'%s%s%s",
			    t->id ? t->id : "?", t->sinks[j], m ? ": did you mean '" : "", m ? m : "",
			    m ? "'?" : "");
		}
		/* an acting sink needs an address to act on */
		for (j = 0; j < t->nsinks; j++) {
			const struct sink_conf *sc = alertconf_sink(ac, t->sinks[j]);

			if (sc != NULL && sink_acts(sc) && t->by != BY_IP &&
			    t->by != BY_PREFIX)
				diag_add(d, path, t->line, t->col,
				    "threshold '%s': sink '%s' (%s) acts on addresses: "
				    "the threshold must be 'by: ip' or 'by: prefix'",
				    t->id, sc->name, sink_type_name(sc->type));
		}
	}
	free(names);
	ydoc_free(doc);
	return d->n > n0 ? -1 : 0;
}

int alertconf_check_classes(const struct alertconf *ac, const struct rules *r,
    struct diag *d)
{
	size_t i, j, n0 = d->n;

	for (i = 0; i < ac->nth; i++)
		for (j = 0; j < ac->th[i].nclasses; j++)
			if (rules_find(r, ac->th[i].classes[j]) < 0) {
				const char *m = suggest(ac->th[i].classes[j],
				    rules_class_names(r), (long)rules_nclasses(r));

				diag_add(d, ac->path, ac->th[i].class_line[j],
				    ac->th[i].class_col[j], "threshold '%s': unknown class "
				    "'%s'%s%s%s", ac->th[i].id ? ac->th[i].id : "?",
				    ac->th[i].classes[j],
				    m ? ": did you mean " : "", m ? m : "", m ? "?" : "");
			}
	return d->n > n0 ? -1 : 0;
}
