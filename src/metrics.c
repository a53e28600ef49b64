/* metrics: node_exporter textfile for Prometheus (see metrics.h) */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "counter.h"
#include "evlog.h"
#include "metrics.h"
#include "sbuf.h"
#include "store.h"
#include "xmalloc.h"
#include "yamldoc.h"

struct metrics {
	struct metrics_count *classes;   /* names owned */
	size_t nclasses;
	struct metrics_count *sinks;     /* names owned */
	size_t nsinks;
	uint64_t alerts_firing, outbox_depth;
	uint64_t *scratch;               /* per class index, for one batch */
	size_t nscratch;
};

/* label values come from rule files and the configuration: escape them as
 * the exposition format wants (backslash, double quote, newline) */
static void add_label(struct sbuf *b, const char *v)
{
	for (; *v; v++) {
		if (*v == '\\')
			sbuf_adds(b, "\\\\");
		else if (*v == '"')
			sbuf_adds(b, "\\\"");
		else if (*v == '\n')
			sbuf_adds(b, "\\n");
		else
			sbuf_addc(b, *v);
	}
}

static void family(struct sbuf *b, const char *name, const char *type,
    const char *help)
{
	sbuf_addf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void labelled(struct sbuf *b, const char *name, const char *type,
    const char *help, const char *label, const struct metrics_count *v,
    size_t n)
{
	size_t i;

	if (n == 0)
		return;
	family(b, name, type, help);
	for (i = 0; i < n; i++) {
		sbuf_addf(b, "%s{%s=\"", name, label);
		add_label(b, v[i].name);
		sbuf_addf(b, "\"} %" PRIu64 "\n", v[i].n);
	}
}

static void single(struct sbuf *b, const char *name, const char *type,
    const char *help, uint64_t v)
{
	family(b, name, type, help);
	sbuf_addf(b, "%s %" PRIu64 "\n", name, v);
}

char *metrics_format(const struct metrics_snapshot *s, size_t *len)
{
	struct sbuf b;
	char *text;

	sbuf_init(&b);
	labelled(&b, "eximwatch_events_total", "counter",
	    "Exim log events classified, by class, since the daemon started.",
	    "class", s->classes, s->nclasses);
	single(&b, "eximwatch_lines_read_total", "counter",
	    "Log lines read since the daemon started.", s->lines_read);
	single(&b, "eximwatch_lines_unmatched_suspicious_total", "counter",
	    "Lines that read like a rejection or failure but matched no rule.",
	    s->suspicious_unmatched);
	single(&b, "eximwatch_oversized_lines_total", "counter",
	    "Lines longer than max_line, counted and skipped.", s->oversized);
	single(&b, "eximwatch_binary_lines_total", "counter",
	    "Lines holding NUL bytes (Exim writes none), counted as they are.",
	    s->binary);
	single(&b, "eximwatch_bytes_behind", "gauge",
	    "Bytes of the followed log not read yet (size minus position).",
	    s->bytes_behind);
	single(&b, "eximwatch_alerts_firing", "gauge",
	    "Alerts currently firing.", s->alerts_firing);
	single(&b, "eximwatch_outbox_depth", "gauge",
	    "Notifications waiting to be delivered.", s->outbox_depth);
	labelled(&b, "eximwatch_delivery_failures_total", "counter",
	    "Failed attempts to deliver a notification, by sink.",
	    "sink", s->sinks, s->nsinks);
	single(&b, "eximwatch_last_commit_timestamp_seconds", "gauge",
	    "Unix time of the last commit of counts to the database.",
	    (uint64_t)(s->last_commit > 0 ? s->last_commit : 0));
	*len = b.len;
	text = sbuf_detach(&b);
	sbuf_release(&b);         /* detach leaves b a fresh empty buffer */
	return text;
}

static int write_all(int fd, const char *p, size_t n)
{
	ssize_t w;

	while (n > 0) {
		if ((w = write(fd, p, n)) < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

int metrics_write(const char *dir, const struct metrics_snapshot *s)
{
	char *text = NULL, *tmp, *dst;
	size_t len;
	int fd = -1, dfd, rc = -1, made = 0, saved;

	/* the temporary name does not end in .prom: node_exporter reads only
	 * *.prom, so it never sees the file before the rename */
	tmp = xasprintf("%s/.%s.XXXXXX", dir, METRICS_FILE);
	dst = xasprintf("%s/%s", dir, METRICS_FILE);
	if ((fd = mkostemp(tmp, O_CLOEXEC)) < 0)
		goto fail;
	made = 1;
	text = metrics_format(s, &len);
	/* mkstemp makes 0600; node_exporter runs as another user */
	if (fchmod(fd, 0644) < 0 || write_all(fd, text, len) < 0 ||
	    fsync(fd) < 0)
		goto fail;
	if (close(fd) < 0) {
		fd = -1;
		goto fail;
	}
	fd = -1;
	if (rename(tmp, dst) < 0)
		goto fail;
	/* make the rename itself durable; failing that is not worth an error */
	if ((dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) >= 0) {
		fsync(dfd);
		close(dfd);
	}
	rc = 0;
fail:
	saved = errno;
	if (fd >= 0)
		close(fd);
	if (rc < 0 && made)
		unlink(tmp);
	free(text);
	free(tmp);
	free(dst);
	errno = saved;
	return rc;
}

struct metrics *metrics_new(void)
{
	return xcalloc(1, sizeof(struct metrics));
}

static void counts_free(struct metrics_count *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free((char *)v[i].name);
	free(v);
}

void metrics_free(struct metrics *m)
{
	if (m == NULL)
		return;
	counts_free(m->classes, m->nclasses);
	counts_free(m->sinks, m->nsinks);
	free(m->scratch);
	free(m);
}

static struct metrics_count *find(struct metrics_count *v, size_t n,
    const char *name)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(v[i].name, name) == 0)
			return &v[i];
	return NULL;
}

static struct metrics_count *class_slot(struct metrics *m, const char *name)
{
	struct metrics_count *c = find(m->classes, m->nclasses, name);

	if (c)
		return c;
	m->classes = xreallocarray(m->classes, m->nclasses + 1,
	    sizeof *m->classes);
	c = &m->classes[m->nclasses++];
	c->name = xstrdup(name);
	c->n = 0;
	return c;
}

/* a class removed from the rules keeps its series: its counter must not
 * vanish while the process lives */
void metrics_set_classes(struct metrics *m, const char *const *names, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		class_slot(m, names[i]);
}

/* add_scratch: the per-class sums of one batch into the totals */
static void add_scratch(struct metrics *m, const char *const *class_names,
    size_t nclasses)
{
	size_t i;

	for (i = 0; i < nclasses; i++)
		if (m->scratch[i])
			class_slot(m, class_names[i])->n += m->scratch[i];
}

void metrics_add_batch(struct metrics *m, const struct counter *batch,
    const char *const *class_names, size_t nclasses)
{
	const struct counter_row *rows;
	size_t nrows, i;

	if (m->nscratch < nclasses) {
		m->scratch = xreallocarray(m->scratch, nclasses, sizeof *m->scratch);
		m->nscratch = nclasses;
	}
	memset(m->scratch, 0, nclasses * sizeof *m->scratch);
	/* sum by class index first: a batch has up to ~65k rows */
	rows = counter_rows(batch, &nrows);
	for (i = 0; i < nrows; i++)
		if (rows[i].cls < nclasses)
			m->scratch[rows[i].cls] += rows[i].n;
	add_scratch(m, class_names, nclasses);
}

void metrics_add_events(struct metrics *m, const struct evlog *batch,
    const char *const *class_names, size_t nclasses)
{
	if (m->nscratch < nclasses) {
		m->scratch = xreallocarray(m->scratch, nclasses, sizeof *m->scratch);
		m->nscratch = nclasses;
	}
	memset(m->scratch, 0, nclasses * sizeof *m->scratch);
	evlog_class_totals(batch, m->scratch, nclasses);
	add_scratch(m, class_names, nclasses);
}

static int table_exists(sqlite3 *db, const char *name)
{
	sqlite3_stmt *st;
	int found;

	if (sqlite3_prepare_v2(db, "SELECT 1 FROM sqlite_master WHERE type = "
	    "'table' AND name = ?1", -1, &st, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	found = sqlite3_step(st) == SQLITE_ROW;
	sqlite3_finalize(st);
	return found;
}

static int one_int(sqlite3 *db, const char *sql, uint64_t *out)
{
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		return -1;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*out = (uint64_t)sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? 0 : -1;
}

int metrics_load_alerts(struct metrics *m, struct store *s)
{
	sqlite3 *db = store_db(s);
	sqlite3_stmt *st = NULL;
	struct metrics_count *sinks = NULL;
	uint64_t firing = 0, depth = 0;
	size_t n = 0;
	int rc;

	if ((rc = table_exists(db, "alerts")) < 0)
		return -1;
	if (rc && one_int(db, "SELECT COUNT(*) FROM alerts WHERE state = "
	    "'firing'", &firing) < 0)
		return -1;
	if ((rc = table_exists(db, "outbox")) < 0)
		return -1;
	if (rc) {
		if (one_int(db, "SELECT COUNT(*) FROM outbox WHERE status = "
		    "'pending'", &depth) < 0)
			return -1;
		/* every attempt of a row failed but a delivered row's last */
		if (sqlite3_prepare_v2(db, "SELECT sink, SUM(CASE WHEN status = "
		    "'delivered' AND attempts > 0 THEN attempts - 1 ELSE attempts "
		    "END) FROM outbox GROUP BY sink ORDER BY "
		    "sink", -1, &st, NULL) != SQLITE_OK)
			return -1;
		while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
			sinks = xreallocarray(sinks, n + 1, sizeof *sinks);
			sinks[n].name = xstrdup((const char *)sqlite3_column_text(st, 0));
			sinks[n].n = (uint64_t)sqlite3_column_int64(st, 1);
			n++;
		}
		sqlite3_finalize(st);
		if (rc != SQLITE_DONE) {
			counts_free(sinks, n);
			return -1;
		}
	}
	counts_free(m->sinks, m->nsinks);
	m->sinks = sinks;
	m->nsinks = n;
	m->alerts_firing = firing;
	m->outbox_depth = depth;
	return 0;
}

void metrics_snapshot(const struct metrics *m, struct metrics_snapshot *s)
{
	memset(s, 0, sizeof *s);
	s->classes = m->classes;
	s->nclasses = m->nclasses;
	s->sinks = m->sinks;
	s->nsinks = m->nsinks;
	s->alerts_firing = m->alerts_firing;
	s->outbox_depth = m->outbox_depth;
}

int metrics_conf_load(struct metrics_conf *mc, const char *path, struct diag *d)
{
	struct ydoc_node *doc, *sec, *k, *v;
	size_t i, n0 = d->n;

	memset(mc, 0, sizeof *mc);
	if (path == NULL)
		return 0;
	if ((doc = ydoc_load(path, d)) == NULL)
		return -1;
	sec = ydoc_get(doc, "metrics");
	if (sec == NULL || (sec->type == YDOC_SCALAR && sec->len == 0 &&
	    !sec->quoted))
		goto out;
	if (sec->type != YDOC_MAP) {
		diag_add(d, path, sec->line, sec->col,
		    "'metrics' must be a mapping with 'textfile_dir'");
		goto out;
	}
	for (i = 0; i < sec->n; i++) {
		k = sec->kids[2 * i];
		v = sec->kids[2 * i + 1];
		if (k->type != YDOC_SCALAR || strcmp(k->str, "textfile_dir") != 0) {
			diag_add(d, path, k->line, k->col, "unknown setting 'metrics.%s' "
			    "(expected textfile_dir)", k->type == YDOC_SCALAR ?
			    k->str : "?");
			continue;
		}
		if (v->type != YDOC_SCALAR || v->str[0] != '/') {
			diag_add(d, path, v->line, v->col, "'metrics.textfile_dir' must "
			    "be an absolute directory path");
			continue;
		}
		free(mc->textfile_dir);
		mc->textfile_dir = xstrdup(v->str);
	}
out:
	ydoc_free(doc);
	return d->n > n0 ? -1 : 0;
}

void metrics_conf_release(struct metrics_conf *mc)
{
	free(mc->textfile_dir);
	mc->textfile_dir = NULL;
}
