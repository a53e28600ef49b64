/* diagconf: the `diagnose:` section of the configuration (see diagconf.h) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alertconf.h"
#include "diagconf.h"
#include "duration.h"
#include "xmalloc.h"
#include "yamldoc.h"

#define ERR(d, file, n, ...) \
	diag_add((d), (file), (n) ? (n)->line : 0, (n) ? (n)->col : 0, __VA_ARGS__)

static const char *const verdicts[VERDICT_N] = {
	"helpdesk", "attack", "abuse", "config"
};

const char *verdict_name(enum verdict v)
{
	return (unsigned)v < VERDICT_N ? verdicts[v] : "?";
}

void diagconf_defaults(struct diagconf *c)
{
	memset(c, 0, sizeof *c);
	c->enabled = 1;
	c->window = 3600;
	c->interval = 60;
	c->new_networks = 5;
	c->volume_factor = 10;
	c->volume_min = 100;
	c->baseline_days = 7;
	c->failures_min = 50;
	c->known_client_days = 30;
	c->brute_min = 5;
	c->stale_min = 3;
	c->localdomains = xstrdup("/etc/localdomains");
	c->remotedomains = xstrdup("/etc/remotedomains");
	c->repeat = 6 * 3600;
	c->resolve_after = 3600;
}

void diagconf_release(struct diagconf *c)
{
	size_t v, i;

	free(c->localdomains);
	free(c->remotedomains);
	for (v = 0; v < VERDICT_N; v++) {
		for (i = 0; i < c->nroute[v]; i++)
			free(c->route[v][i]);
		free(c->route[v]);
	}
	memset(c, 0, sizeof *c);
}

static int want_secs(struct diag *d, const char *file,
    const struct ydoc_node *v, const char *key, int64_t min, int64_t *out)
{
	int64_t s;

	if (v->type != YDOC_SCALAR || duration_parse(v->str, &s) < 0 || s < min) {
		ERR(d, file, v, "'diagnose.%s' must be a duration like 30s, 1h or "
		    "7d%s", key, min > 1 ? " (at least 1m)" : "");
		return -1;
	}
	*out = s;
	return 0;
}

static int want_num(struct diag *d, const char *file,
    const struct ydoc_node *v, const char *key, int64_t max, int64_t *out)
{
	char *end;
	long long n;

	if (v->type != YDOC_SCALAR || v->len == 0 ||
	    (n = strtoll(v->str, &end, 10), *end) || n < 1 || n > max) {
		ERR(d, file, v, "'diagnose.%s' must be a whole number from 1 to %lld",
		    key, (long long)max);
		return -1;
	}
	*out = n;
	return 0;
}

static void want_path(struct diag *d, const char *file,
    const struct ydoc_node *v, const char *key, char **out)
{
	if (v->type != YDOC_SCALAR || v->str[0] != '/') {
		ERR(d, file, v, "'diagnose.%s' must be an absolute file path", key);
		return;
	}
	free(*out);
	*out = xstrdup(v->str);
}

static void parse_route(struct diagconf *c, const char *file,
    const struct ydoc_node *m, const struct alertconf *ac, struct diag *d)
{
	size_t i, j, v;

	if (m->type != YDOC_MAP) {
		ERR(d, file, m, "'diagnose.route' must be a mapping of verdicts "
		    "(helpdesk, attack, abuse, config) to lists of sinks");
		return;
	}
	for (i = 0; i < m->n; i++) {
		const struct ydoc_node *k = m->kids[2 * i], *l = m->kids[2 * i + 1];
		const char *key = k->type == YDOC_SCALAR ? k->str : "?";

		for (v = 0; v < VERDICT_N; v++)
			if (strcmp(key, verdicts[v]) == 0)
				break;
		if (v == VERDICT_N) {
			ERR(d, file, k, "unknown verdict 'diagnose.route.%s' (expected "
			    "helpdesk, attack, abuse, config)", key);
			continue;
		}
		c->route_line[v] = l->line;
		c->route_col[v] = l->col;
		if (l->type == YDOC_SCALAR && l->len > 0) {
			c->route[v] = xreallocarray(c->route[v], c->nroute[v] + 1,
			    sizeof *c->route[v]);
			c->route[v][c->nroute[v]++] = xstrdup(l->str);
		} else if (l->type == YDOC_SEQ) {
			for (j = 0; j < l->n; j++) {
				const struct ydoc_node *s = l->kids[j];

				if (s->type != YDOC_SCALAR || s->len == 0) {
					ERR(d, file, s, "items of 'diagnose.route.%s' must be "
					    "sink names", key);
					continue;
				}
				c->route[v] = xreallocarray(c->route[v], c->nroute[v] + 1,
				    sizeof *c->route[v]);
				c->route[v][c->nroute[v]++] = xstrdup(s->str);
			}
		} else if (!(l->type == YDOC_SCALAR && l->len == 0)) {
			ERR(d, file, l, "'diagnose.route.%s' must be a list of sinks",
			    key);
			continue;
		}
		for (j = 0; ac && j < c->nroute[v]; j++)
			if (alertconf_sink(ac, c->route[v][j]) == NULL)
				ERR(d, file, l, "'diagnose.route.%s' names an unknown "
				    "sink '%s' (define it under 'sinks')", key,
				    c->route[v][j]);
	}
}

int diagconf_load(struct diagconf *c, const char *path,
    const struct alertconf *ac, struct diag *d)
{
	struct ydoc_node *doc, *sec;
	size_t i, n0 = d->n;

	diagconf_defaults(c);
	if (path == NULL)
		return 0;
	if ((doc = ydoc_load(path, d)) == NULL)
		return -1;
	sec = doc->type == YDOC_MAP ? ydoc_get(doc, "diagnose") : NULL;
	if (sec == NULL || (sec->type == YDOC_SCALAR && sec->len == 0 &&
	    !sec->quoted))
		goto out;
	if (sec->type != YDOC_MAP) {
		ERR(d, path, sec, "'diagnose' must be a mapping (window, "
		    "new_networks, volume_factor, ..., route)");
		goto out;
	}
	for (i = 0; i < sec->n; i++) {
		const struct ydoc_node *k = sec->kids[2 * i], *v = sec->kids[2 * i + 1];
		const char *key = k->type == YDOC_SCALAR ? k->str : "?";

		if (strcmp(key, "enabled") == 0) {
			if (v->type == YDOC_SCALAR && (strcmp(v->str, "true") == 0 ||
			    strcmp(v->str, "yes") == 0))
				c->enabled = 1;
			else if (v->type == YDOC_SCALAR && (strcmp(v->str, "false") == 0 ||
			    strcmp(v->str, "no") == 0))
				c->enabled = 0;
			else
				ERR(d, path, v, "'diagnose.enabled' must be true or false");
		} else if (strcmp(key, "window") == 0)
			want_secs(d, path, v, key, 60, &c->window);
		else if (strcmp(key, "interval") == 0)
			want_secs(d, path, v, key, 1, &c->interval);
		else if (strcmp(key, "new_networks") == 0)
			want_num(d, path, v, key, 1000000, &c->new_networks);
		else if (strcmp(key, "volume_factor") == 0)
			want_num(d, path, v, key, 1000000, &c->volume_factor);
		else if (strcmp(key, "volume_min") == 0)
			want_num(d, path, v, key, 1000000000, &c->volume_min);
		else if (strcmp(key, "baseline_days") == 0)
			want_num(d, path, v, key, 366, &c->baseline_days);
		else if (strcmp(key, "failures_min") == 0)
			want_num(d, path, v, key, 1000000000, &c->failures_min);
		else if (strcmp(key, "known_client_days") == 0)
			;   /* the top-level setting's alias: config.c reads it */
		else if (strcmp(key, "brute_min_failures") == 0)
			want_num(d, path, v, key, 1000000000, &c->brute_min);
		else if (strcmp(key, "stale_min_failures") == 0)
			want_num(d, path, v, key, 1000000000, &c->stale_min);
		else if (strcmp(key, "localdomains") == 0)
			want_path(d, path, v, key, &c->localdomains);
		else if (strcmp(key, "remotedomains") == 0)
			want_path(d, path, v, key, &c->remotedomains);
		else if (strcmp(key, "repeat") == 0)
			want_secs(d, path, v, key, 1, &c->repeat);
		else if (strcmp(key, "resolve_after") == 0)
			want_secs(d, path, v, key, 1, &c->resolve_after);
		else if (strcmp(key, "route") == 0)
			parse_route(c, path, v, ac, d);
		else
			ERR(d, path, k, "unknown setting 'diagnose.%s' (expected enabled, "
			    "window, interval, new_networks, volume_factor, volume_min, "
			    "baseline_days, failures_min, known_client_days, "
			    "brute_min_failures, stale_min_failures, localdomains, "
			    "remotedomains, route, repeat, resolve_after)", key);
	}
out:
	ydoc_free(doc);
	return d->n > n0 ? -1 : 0;
}
