/* diagnotify: findings → lifecycle → outbox (see diagnotify.h) */
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#include "diagnotify.h"
#include "diagsink.h"
#include "findings.h"
#include "log.h"
#include "sbuf.h"
#include "smap.h"
#include "store.h"
#include "xmalloc.h"

enum { F_FIRING, F_RESOLVED };

struct fst {
	int64_t id;               /* 0: not stored yet */
	int id_new;               /* inserted by the transaction being written */
	char *key;                /* "kind subject" (the map's key) */
	char *subject;
	int state;
	int64_t started_at, last_seen, resolved_at, last_notified;
	struct finding f;         /* the finding as last seen (owned) */
	int dirty;
	struct fst *next;         /* resolved, waiting to be written */
};

struct item {
	int64_t id;
	char *sink, *threshold, *kind;
	struct sbuf body;
	int64_t created;
};

struct diagnotify {
	const struct diagconf *dc;
	const struct alertconf *ac;
	struct smap map;          /* key -> struct fst (firing) */
	struct fst *grave;
	struct item *items;
	size_t nitems;
	alert_outbox_cb *cb;
	void *cbarg;
};

static char *dup0(const char *s)
{
	return s ? xstrdup(s) : NULL;
}

static void finding_copy(struct finding *to, const struct finding *from)
{
	to->kind = from->kind;
	to->verdict = from->verdict;
	to->ip = dup0(from->ip);
	to->account = dup0(from->account);
	to->owner = dup0(from->owner);
	to->domain = dup0(from->domain);
	to->events = from->events;
	to->first = from->first;
	to->last = from->last;
	to->evidence = dup0(from->evidence);
	to->summary = dup0(from->summary);
}

static void finding_free1(struct finding *f)
{
	free(f->ip);
	free(f->account);
	free(f->owner);
	free(f->domain);
	free(f->evidence);
	free(f->summary);
	memset(f, 0, sizeof *f);
}

static void fst_free(struct fst *s)
{
	finding_free1(&s->f);
	free(s->key);
	free(s->subject);
	free(s);
}

static void item_free(struct item *it)
{
	free(it->sink);
	free(it->threshold);
	free(it->kind);
	sbuf_release(&it->body);
}

struct diagnotify *diagnotify_new(const struct diagconf *dc,
    const struct alertconf *ac)
{
	struct diagnotify *n = xcalloc(1, sizeof *n);

	n->dc = dc;
	n->ac = ac;
	smap_init(&n->map);
	return n;
}

void diagnotify_free(struct diagnotify *n)
{
	struct fst *s, *x;
	size_t i;

	if (n == NULL)
		return;
	for (i = 0; i < n->map.cap; i++)
		if (n->map.keys[i])
			fst_free(n->map.vals[i]);
	smap_release(&n->map);
	for (s = n->grave; s; s = x) {
		x = s->next;
		fst_free(s);
	}
	for (i = 0; i < n->nitems; i++)
		item_free(&n->items[i]);
	free(n->items);
	free(n);
}

void diagnotify_reconfigure(struct diagnotify *n, const struct diagconf *dc,
    const struct alertconf *ac)
{
	n->dc = dc;
	n->ac = ac;
}

void diagnotify_on_outbox(struct diagnotify *n, alert_outbox_cb *fn,
    void *arg)
{
	n->cb = fn;
	n->cbarg = arg;
}

/* notify: one notification of s to each sink of its verdict's route */
static void notify(struct diagnotify *n, struct fst *s, int resolved,
    int repeat, int64_t now)
{
	struct finding_note note;
	enum verdict v = s->f.verdict;
	size_t i;

	memset(&note, 0, sizeof note);
	note.host = n->ac->host;
	note.f = &s->f;
	note.resolved = resolved;
	note.repeat = repeat;
	note.started_at = s->started_at;
	note.resolved_at = s->resolved_at;
	note.now = now;
	note.repeat_secs = n->dc->repeat;
	for (i = 0; i < n->dc->nroute[v]; i++) {
		const struct sink_conf *sc = alertconf_sink(n->ac, n->dc->route[v][i]);
		struct item it;

		if (sc == NULL)
			continue;
		memset(&it, 0, sizeof it);
		sbuf_init(&it.body);
		if (diagsink_render(sc, &note, &it.body) < 0) {
			sbuf_release(&it.body);
			continue;
		}
		it.sink = xstrdup(sc->name);
		it.threshold = xasprintf("diagnose/%s", finding_kind_name(s->f.kind));
		it.kind = xstrdup(resolved ? "resolved" : "firing");
		it.created = now;
		n->items = xreallocarray(n->items, n->nitems + 1, sizeof *n->items);
		n->items[n->nitems++] = it;
	}
	{
		struct sbuf t;

		/* the subject is log text: no control characters in our log */
		sbuf_init(&t);
		term_safe(&t, s->subject, 120);
		log_info("finding %s %s: %s, notified %zu sink(s)",
		    finding_kind_name(s->f.kind), t.s, resolved ? "resolved" :
		    repeat ? "still there" : "new", n->dc->nroute[v]);
		sbuf_release(&t);
	}
}

static char *make_key(enum finding_kind k, const char *subject)
{
	return xasprintf("%s %s", finding_kind_name(k), subject);
}

void diagnotify_update(struct diagnotify *n, const struct findings *fs,
    int64_t now)
{
	struct sbuf subj;
	size_t i;
	char **gone = NULL;
	size_t ngone = 0;

	sbuf_init(&subj);
	for (i = 0; i < fs->n; i++) {
		const struct finding *f = &fs->v[i];
		struct fst *s;
		char *key;

		sbuf_reset(&subj);
		diagsink_key(f, &subj);
		key = make_key(f->kind, subj.s);
		s = smap_get(&n->map, key, strlen(key));
		if (s == NULL) {
			s = xcalloc(1, sizeof *s);
			s->key = key;
			s->subject = xstrdup(subj.s);
			s->state = F_FIRING;
			s->started_at = now;
			s->last_seen = now;
			finding_copy(&s->f, f);
			smap_put(&n->map, key, strlen(key), s);
			s->last_notified = now;
			s->dirty = 1;
			notify(n, s, 0, 0, now);
			continue;
		}
		free(key);
		finding_free1(&s->f);
		finding_copy(&s->f, f);
		s->last_seen = now;
		s->dirty = 1;
		if (now - s->last_notified >= n->dc->repeat) {
			s->last_notified = now;
			notify(n, s, 0, 1, now);
		}
	}
	sbuf_release(&subj);
	/* gone long enough: resolved */
	for (i = 0; i < n->map.cap; i++) {
		struct fst *s = n->map.vals[i];

		if (!n->map.keys[i] || s->last_seen >= now ||
		    now - s->last_seen < n->dc->resolve_after)
			continue;
		s->state = F_RESOLVED;
		s->resolved_at = now;
		s->last_notified = now;
		s->dirty = 1;
		notify(n, s, 1, 0, now);
		gone = xreallocarray(gone, ngone + 1, sizeof *gone);
		gone[ngone++] = s->key;
	}
	for (i = 0; i < ngone; i++) {
		struct fst *s = smap_del(&n->map, gone[i], strlen(gone[i]));

		s->next = n->grave;
		n->grave = s;
	}
	free(gone);
}

int diagnotify_dirty(const struct diagnotify *n)
{
	size_t i;

	if (n->nitems || n->grave)
		return 1;
	for (i = 0; i < n->map.cap; i++)
		if (n->map.keys[i] && ((struct fst *)n->map.vals[i])->dirty)
			return 1;
	return 0;
}

static void bind0(sqlite3_stmt *st, int i, const char *s)
{
	if (s)
		sqlite3_bind_text(st, i, s, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, i);
}

static int save(sqlite3 *db, sqlite3_stmt *ins, sqlite3_stmt *upd,
    struct fst *s)
{
	sqlite3_stmt *st = s->id ? upd : ins;
	int rc;

	if (!s->dirty)
		return 0;
	sqlite3_bind_text(st, 1, finding_kind_name(s->f.kind), -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, s->subject, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, verdict_name(s->f.verdict), -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, s->state == F_FIRING ? "firing" : "resolved", -1,
	    SQLITE_STATIC);
	sqlite3_bind_int64(st, 5, s->started_at);
	sqlite3_bind_int64(st, 6, s->last_seen);
	if (s->state == F_RESOLVED)
		sqlite3_bind_int64(st, 7, s->resolved_at);
	else
		sqlite3_bind_null(st, 7);
	sqlite3_bind_int64(st, 8, s->last_notified);
	sqlite3_bind_int64(st, 9, s->f.events);
	sqlite3_bind_int64(st, 10, s->f.first);
	sqlite3_bind_int64(st, 11, s->f.last);
	bind0(st, 12, s->f.ip);
	bind0(st, 13, s->f.account);
	bind0(st, 14, s->f.owner);
	bind0(st, 15, s->f.domain);
	sqlite3_bind_text(st, 16, s->f.summary ? s->f.summary : "", -1,
	    SQLITE_STATIC);
	sqlite3_bind_text(st, 17, s->f.evidence ? s->f.evidence : "{}", -1,
	    SQLITE_STATIC);
	if (s->id)
		sqlite3_bind_int64(st, 18, s->id);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return -1;
	if (!s->id) {
		s->id = sqlite3_last_insert_rowid(db);
		s->id_new = 1;
	}
	return 0;
}

#define COLS "kind, subject, verdict, state, started_at, last_seen, " \
	"resolved_at, last_notified, events, first, last, ip, account, owner, " \
	"domain, summary, evidence"

int diagnotify_write(struct diagnotify *n, struct store *s)
{
	sqlite3 *db = store_db(s);
	sqlite3_stmt *ins = NULL, *upd = NULL, *box = NULL;
	struct fst *g;
	size_t i;
	int ret = -1;

	if (sqlite3_prepare_v2(db, "INSERT INTO findings (" COLS ") VALUES (?1, "
	    "?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, "
	    "?17)", -1, &ins, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, "UPDATE findings SET (" COLS ") = (?1, ?2, ?3, "
	    "?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17) "
	    "WHERE id = ?18", -1, &upd, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, "INSERT INTO outbox (sink, threshold, kind, body, "
	    "created) VALUES (?, ?, ?, ?, ?)", -1, &box, NULL) != SQLITE_OK)
		goto out;
	for (i = 0; i < n->map.cap; i++)
		if (n->map.keys[i] && save(db, ins, upd, n->map.vals[i]) < 0)
			goto out;
	for (g = n->grave; g; g = g->next)
		if (save(db, ins, upd, g) < 0)
			goto out;
	for (i = 0; i < n->nitems; i++) {
		struct item *it = &n->items[i];

		sqlite3_bind_text(box, 1, it->sink, -1, SQLITE_STATIC);
		sqlite3_bind_text(box, 2, it->threshold, -1, SQLITE_STATIC);
		sqlite3_bind_text(box, 3, it->kind, -1, SQLITE_STATIC);
		sqlite3_bind_text(box, 4, it->body.s, (int)it->body.len,
		    SQLITE_STATIC);
		sqlite3_bind_int64(box, 5, it->created);
		if (sqlite3_step(box) != SQLITE_DONE)
			goto out;
		sqlite3_reset(box);
		it->id = sqlite3_last_insert_rowid(db);
	}
	ret = 0;
out:
	if (ret < 0)
		log_warnx("%s: writing findings: %s", store_path(s),
		    sqlite3_errmsg(db));
	sqlite3_finalize(ins);
	sqlite3_finalize(upd);
	sqlite3_finalize(box);
	return ret;
}

static void written1(struct fst *s, int ok)
{
	if (ok) {
		s->dirty = 0;
		s->id_new = 0;
	} else if (s->id_new) {
		s->id = 0;
		s->id_new = 0;
	}
}

void diagnotify_written(struct diagnotify *n, int ok)
{
	struct fst *g, *x;
	size_t i;

	for (i = 0; i < n->map.cap; i++)
		if (n->map.keys[i])
			written1(n->map.vals[i], ok);
	for (g = n->grave; g; g = g->next)
		written1(g, ok);
	if (!ok) {
		for (i = 0; i < n->nitems; i++)
			n->items[i].id = 0;
		return;
	}
	for (i = 0; i < n->nitems; i++) {
		struct item *it = &n->items[i];

		if (n->cb)
			n->cb(n->cbarg, it->id, it->sink, it->body.s, it->body.len,
			    it->created);
		item_free(it);
	}
	n->nitems = 0;
	for (g = n->grave; g; g = x) {
		x = g->next;
		fst_free(g);
	}
	n->grave = NULL;
}

static enum finding_kind kind_by_name(const char *s)
{
	int k;

	for (k = 0; k < FK_N; k++)
		if (strcmp(finding_kind_name((enum finding_kind)k), s) == 0)
			return (enum finding_kind)k;
	return FK_N;
}

static char *col(sqlite3_stmt *st, int i)
{
	const unsigned char *t = sqlite3_column_text(st, i);

	return t ? xstrdup((const char *)t) : NULL;
}

int diagnotify_load(struct diagnotify *n, struct store *s)
{
	sqlite3 *db = store_db(s);
	sqlite3_stmt *st;
	size_t count = 0;
	int rc;

	if (sqlite3_prepare_v2(db, "SELECT id, " COLS " FROM findings WHERE "
	    "state = 'firing'", -1, &st, NULL) != SQLITE_OK)
		goto fail;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		enum finding_kind k = kind_by_name((const char *)
		    sqlite3_column_text(st, 1));
		struct fst *x;

		if (k == FK_N)
			continue;
		x = xcalloc(1, sizeof *x);
		x->id = sqlite3_column_int64(st, 0);
		x->subject = col(st, 2);
		x->key = make_key(k, x->subject ? x->subject : "");
		x->state = F_FIRING;
		x->started_at = sqlite3_column_int64(st, 5);
		x->last_seen = sqlite3_column_int64(st, 6);
		x->last_notified = sqlite3_column_int64(st, 8);
		x->f.kind = k;
		x->f.verdict = finding_verdict(k);
		x->f.events = sqlite3_column_int64(st, 9);
		x->f.first = sqlite3_column_int64(st, 10);
		x->f.last = sqlite3_column_int64(st, 11);
		x->f.ip = col(st, 12);
		x->f.account = col(st, 13);
		x->f.owner = col(st, 14);
		x->f.domain = col(st, 15);
		x->f.summary = col(st, 16);
		x->f.evidence = col(st, 17);
		if (smap_get(&n->map, x->key, strlen(x->key))) {
			fst_free(x);
			continue;
		}
		smap_put(&n->map, x->key, strlen(x->key), x);
		count++;
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		goto fail;
	if (count)
		log_info("diagnose: %zu finding(s) firing from before", count);
	return 0;
fail:
	log_warnx("%s: loading findings: %s", store_path(s), sqlite3_errmsg(db));
	return -1;
}

size_t diagnotify_firing(const struct diagnotify *n, size_t *counts)
{
	size_t i, total = 0;

	if (counts)
		memset(counts, 0, VERDICT_N * sizeof *counts);
	for (i = 0; i < n->map.cap; i++) {
		if (!n->map.keys[i])
			continue;
		total++;
		if (counts)
			counts[((struct fst *)n->map.vals[i])->f.verdict]++;
	}
	return total;
}
