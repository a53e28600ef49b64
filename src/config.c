/* config: eximwatch.yaml (see config.h) */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "config.h"
#include "duration.h"
#include "paths.h"
#include "sbuf.h"
#include "suggest.h"
#include "xmalloc.h"
#include "yamldoc.h"

#define ERR(d, file, n, ...) \
	diag_add((d), (file), (n) ? (n)->line : 0, (n) ? (n)->col : 0, __VA_ARGS__)

static void strv_free(char **v)
{
	size_t i;

	for (i = 0; v && v[i]; i++)
		free(v[i]);
	free(v);
}

void config_set(char **field, const char *value)
{
	free(*field);
	*field = value ? xstrdup(value) : NULL;
}

void config_defaults(struct config *c)
{
	memset(c, 0, sizeof *c);
	c->log = xstrdup(paths_default_log());
	c->db = xstrdup("/var/lib/eximwatch/eximwatch.db");
	c->rule_dirs = xcalloc(1, sizeof *c->rule_dirs);
	c->disable = xcalloc(1, sizeof *c->disable);
	c->userdomains = xstrdup("/etc/userdomains");
	c->retention = 90 * 86400;
	c->flush_ms = 500;
	c->max_line = 64 << 10;
	c->prefix_v4 = CONFIG_PREFIX_V4;
	c->prefix_v6 = CONFIG_PREFIX_V6;
	c->known_client_days = CONFIG_KNOWN_CLIENT_DAYS;
}

void config_release(struct config *c)
{
	free(c->path);
	free(c->log);
	free(c->db);
	strv_free(c->rule_dirs);
	strv_free(c->disable);
	free(c->disable_line);
	free(c->disable_col);
	free(c->userdomains);
	memset(c, 0, sizeof *c);
}

static int want_str(struct diag *d, const char *file, const struct ydoc_node *v,
    const char *key, char **out)
{
	if (v->type != YDOC_SCALAR || v->len == 0) {
		ERR(d, file, v, "'%s' must be a non-empty string", key);
		return -1;
	}
	config_set(out, v->str);
	return 0;
}

/* want_strv: a list of strings into *out; with lines/cols, where each item
 * is written too (caller frees) */
static int want_strv(struct diag *d, const char *file, const struct ydoc_node *v,
    const char *key, char ***out, int **lines, int **cols)
{
	size_t i;
	char **arr;

	if (v->type == YDOC_SCALAR && v->len == 0) {
		strv_free(*out);
		*out = xcalloc(1, sizeof **out);
		return 0;
	}
	if (v->type != YDOC_SEQ) {
		ERR(d, file, v, "'%s' must be a list", key);
		return -1;
	}
	arr = xcalloc(v->n + 1, sizeof *arr);
	for (i = 0; i < v->n; i++) {
		if (v->kids[i]->type != YDOC_SCALAR || v->kids[i]->len == 0) {
			ERR(d, file, v->kids[i], "items of '%s' must be strings", key);
			strv_free(arr);
			return -1;
		}
		arr[i] = xstrdup(v->kids[i]->str);
	}
	strv_free(*out);
	*out = arr;
	if (lines) {
		free(*lines);
		free(*cols);
		*lines = xcalloc(v->n + 1, sizeof **lines);
		*cols = xcalloc(v->n + 1, sizeof **cols);
		for (i = 0; i < v->n; i++) {
			(*lines)[i] = v->kids[i]->line;
			(*cols)[i] = v->kids[i]->col;
		}
	}
	return 0;
}

/* unknown: "unknown setting 'X' (expected ...)", with the nearest name */
static void unknown(struct diag *d, const char *file,
    const struct ydoc_node *k, const char *prefix,
    const char *const *names)
{
	struct sbuf list;
	const char *m;
	size_t i;

	sbuf_init(&list);
	for (i = 0; names[i]; i++)
		sbuf_addf(&list, "%s%s", i ? ", " : "", names[i]);
	m = k->type == YDOC_SCALAR ? suggest(k->str, names, -1) : NULL;
	ERR(d, file, k, "unknown setting '%s%s'%s%s%s (expected %s)", prefix,
	    k->type == YDOC_SCALAR ? k->str : "?", m ? ": did you mean '" : "",
	    m ? m : "", m ? "'?" : "", list.s);
	sbuf_release(&list);
}

/* ms_parse: "500ms", "2s", "1m" or a bare number of milliseconds */
static int ms_parse(const char *s, int64_t *ms)
{
	char *end;
	long long v;
	int64_t secs;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (end != s && strcmp(end, "ms") == 0 && errno == 0 && v > 0) {
		*ms = v;
		return 0;
	}
	if (end != s && *end == '\0' && errno == 0 && v > 0) {
		*ms = v;
		return 0;
	}
	if (duration_parse(s, &secs) == 0 && secs > 0) {
		*ms = secs * 1000;
		return 0;
	}
	return -1;
}

static int want_bool(struct diag *d, const char *file, const struct ydoc_node *v,
    const char *key, int *out)
{
	if (v->type == YDOC_SCALAR && (strcmp(v->str, "true") == 0 ||
	    strcmp(v->str, "yes") == 0)) {
		*out = 1;
		return 0;
	}
	if (v->type == YDOC_SCALAR && (strcmp(v->str, "false") == 0 ||
	    strcmp(v->str, "no") == 0)) {
		*out = 0;
		return 0;
	}
	ERR(d, file, v, "'%s' must be true or false", key);
	return -1;
}

/* want_prefix: `prefix: {v4: N, v6: M}`.  A network group is what one
 * operator holds: shorter prefixes than /16 and /32 would put strangers
 * in one group (and an acting sink would ban them all). */
static void want_prefix(struct diag *d, const char *file,
    const struct ydoc_node *v, struct config *c)
{
	size_t i;

	if (v->type != YDOC_MAP) {
		ERR(d, file, v, "'prefix' must be a mapping like {v4: 24, v6: 64}");
		return;
	}
	for (i = 0; i < v->n; i++) {
		const struct ydoc_node *k = v->kids[2 * i], *n = v->kids[2 * i + 1];
		const char *key = k->type == YDOC_SCALAR ? k->str : "?";
		int v6 = strcmp(key, "v6") == 0, lo = v6 ? 32 : 16, hi = v6 ? 128 : 32;
		char *end;
		long bits;

		if (!v6 && strcmp(key, "v4") != 0) {
			ERR(d, file, k, "unknown setting 'prefix.%s' (expected v4, v6)",
			    key);
			continue;
		}
		bits = n->type == YDOC_SCALAR ? strtol(n->str, &end, 10) : 0;
		if (n->type != YDOC_SCALAR || n->len == 0 || *end || bits < lo ||
		    bits > hi) {
			ERR(d, file, n, "'prefix.%s' must be a prefix length from %d "
			    "to %d", key, lo, hi);
			continue;
		}
		if (v6)
			c->prefix_v6 = (int)bits;
		else
			c->prefix_v4 = (int)bits;
	}
}

/* want_known_days: `known_client_days`, one setting for who is a customer
 * (the guard of the acting sinks, the diagnosis); `diagnose.known_client_days`
 * is the same setting under the name the diagnosis gave it first */
static void want_known_days(struct diag *d, const char *file,
    const struct ydoc_node *doc, struct config *c)
{
	const struct ydoc_node *top, *alias = NULL, *sec, *v;
	char *end = NULL;
	long long n;

	top = ydoc_get(doc, "known_client_days");
	if ((sec = ydoc_get(doc, "diagnose")) != NULL && sec->type == YDOC_MAP)
		alias = ydoc_get(sec, "known_client_days");
	if (top && alias) {
		ERR(d, file, alias, "'diagnose.known_client_days' is 'known_client_days' "
		    "(line %d) again: set it once", top->line);
		return;
	}
	if ((v = top ? top : alias) == NULL)
		return;
	n = v->type == YDOC_SCALAR && v->len ? strtoll(v->str, &end, 10) : -1;
	if (n < 0 || n > 3650 || end == NULL || *end)
		ERR(d, file, v, "'%sknown_client_days' must be a number of days from "
		    "0 to 3650", v == alias ? "diagnose." : "");
	else
		c->known_client_days = n;
}

static const char *const top_keys[] = { "log", "db", "rules", "userdomains",
	"retention", "flush_interval", "max_line", "syslog", "prefix", "alerts",
	"sinks", "thresholds", "metrics", "never_act", "known_client_days",
	"trusted_relay_files", "diagnose", NULL };
static const char *const rules_keys[] = { "dirs", "disable", NULL };

int config_load(struct config *c, const char *path, int missing_ok,
    struct diag *d)
{
	struct ydoc_node *doc, *k, *v;
	struct stat st;
	size_t i, j, n0 = d->n;

	config_defaults(c);
	if (stat(path, &st) != 0) {
		if (errno == ENOENT && missing_ok)
			return 0;
		diag_add(d, path, 0, 0, "cannot read the configuration: %s",
		    strerror(errno));
		return -1;
	}
	if ((doc = ydoc_load(path, d)) == NULL)
		return -1;
	c->path = xstrdup(path);
	c->world_readable = (st.st_mode & S_IROTH) != 0;
	if (doc->type != YDOC_MAP) {
		ERR(d, path, doc, "the configuration must be a mapping of settings");
		ydoc_free(doc);
		return -1;
	}
	for (i = 0; i < doc->n; i++) {
		k = doc->kids[2 * i];
		v = doc->kids[2 * i + 1];
		if (k->type != YDOC_SCALAR) {
			ERR(d, path, k, "setting names must be strings");
			continue;
		}
		if (strcmp(k->str, "log") == 0) {
			want_str(d, path, v, "log", &c->log);
		} else if (strcmp(k->str, "db") == 0) {
			want_str(d, path, v, "db", &c->db);
		} else if (strcmp(k->str, "userdomains") == 0) {
			want_str(d, path, v, "userdomains", &c->userdomains);
		} else if (strcmp(k->str, "retention") == 0) {
			if (v->type != YDOC_SCALAR ||
			    (strcmp(v->str, "forever") != 0 &&
			    (duration_parse(v->str, &c->retention) < 0 || c->retention <= 0)))
				ERR(d, path, v, "retention must be a duration like 90d, or "
				    "'forever'");
			else if (strcmp(v->str, "forever") == 0)
				c->retention = 0;
		} else if (strcmp(k->str, "flush_interval") == 0) {
			if (v->type != YDOC_SCALAR || ms_parse(v->str, &c->flush_ms) < 0 ||
			    c->flush_ms > 60000)
				ERR(d, path, v, "flush_interval must be a duration from 1ms "
				    "to 60s, like 500ms");
		} else if (strcmp(k->str, "max_line") == 0) {
			char *end;
			long long ml = v->type == YDOC_SCALAR ? strtoll(v->str, &end, 10) : 0;

			if (v->type != YDOC_SCALAR || *end || ml < 1024 || ml > (16 << 20))
				ERR(d, path, v, "max_line must be a number of bytes from "
				    "1024 to 16777216");
			else
				c->max_line = (size_t)ml;
		} else if (strcmp(k->str, "prefix") == 0) {
			want_prefix(d, path, v, c);
		} else if (strcmp(k->str, "syslog") == 0) {
			want_bool(d, path, v, "syslog", &c->syslog);
		} else if (strcmp(k->str, "rules") == 0) {
			size_t r0 = d->n;

			if (v->type != YDOC_MAP) {
				ERR(d, path, v, "'rules' must be a mapping with 'dirs' and "
				    "'disable'");
				c->rules_bad = 1;
				continue;
			}
			for (j = 0; j < v->n; j++) {
				struct ydoc_node *rk = v->kids[2 * j], *rv = v->kids[2 * j + 1];

				if (rk->type == YDOC_SCALAR && strcmp(rk->str, "dirs") == 0)
					want_strv(d, path, rv, "rules.dirs", &c->rule_dirs,
					    NULL, NULL);
				else if (rk->type == YDOC_SCALAR &&
				    strcmp(rk->str, "disable") == 0)
					want_strv(d, path, rv, "rules.disable", &c->disable,
					    &c->disable_line, &c->disable_col);
				else
					unknown(d, path, rk, "rules.", rules_keys);
			}
			if (d->n > r0)
				c->rules_bad = 1;
		} else {
			/* alerts, sinks, thresholds, the acting lists, metrics and
			 * diagnose are read by alertconf.c, metrics.c and
			 * diagconf.c from the same file */
			for (j = 0; top_keys[j]; j++)
				if (strcmp(k->str, top_keys[j]) == 0)
					break;
			if (!top_keys[j])
				unknown(d, path, k, "", top_keys);
		}
	}
	want_known_days(d, path, doc, c);
	ydoc_free(doc);
	return d->n > n0 ? -1 : 0;
}
