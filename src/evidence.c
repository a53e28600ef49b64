/* evidence: details for diagnosis, recorded from events (see evidence.h) */
#include <inttypes.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "counter.h"
#include "evidence.h"
#include "evlog.h"
#include "hash.h"
#include "knownclients.h"
#include "log.h"
#include "netaddr.h"
#include "store.h"
#include "xmalloc.h"

#define SLOTS 8                 /* values tracked per group in memory */
#define HOUR 3600
#define MINUTE 60

/* per kind: rows kept per group (values; or, per minute, domains),
 * minimum total, and whether its counts are kept per minute */
static const struct {
	int keep;
	int64_t min;
	int per_minute;
} kinds[EVK_N] = {
	[EVK_SUBJECT] = { 3, EVIDENCE_MIN_GROUP, 0 },
	[EVK_RCPT_DOMAIN] = { 5, EVIDENCE_MIN_GROUP, 0 },
	[EVK_CWD] = { 3, EVIDENCE_MIN_GROUP, 0 },
	[EVK_SCRIPT_SENDER] = { 3, EVIDENCE_MIN_GROUP, 0 },
	[EVK_RELAY_DOMAIN] = { 4, 1, 1 },
	[EVK_REMOTE_RELAY_DOMAIN] = { 4, 1, 1 },
};

enum evidence_role evidence_role(const char *name)
{
	if (name == NULL)
		return EVR_NONE;
	if (strcmp(name, "msg_in_auth") == 0)
		return EVR_AUTH;
	if (strcmp(name, "msg_in_local") == 0)
		return EVR_LOCAL;
	if (strcmp(name, "relay_denied") == 0)
		return EVR_RELAY;
	if (strcmp(name, "remote_relay_denied") == 0)
		return EVR_REMOTE_RELAY;
	return EVR_NONE;
}

/* ---- the extra bytes: fields of (tag, 2-byte length, bytes) ------------- */

enum { X_SUBJECT = 'T', X_DOMAIN = 'D', X_CWD = 'C', X_SENDER = 'S',
	X_SUBMITTER = 'U' };

static size_t put(char *buf, size_t cap, size_t off, int tag, const char *p,
    size_t n)
{
	if (p == NULL)
		return off;
	if (n > EVIDENCE_VALUE_MAX)
		n = EVIDENCE_VALUE_MAX;
	if (off + 3 + n > cap)
		return off;
	buf[off] = (char)tag;
	buf[off + 1] = (char)(n & 0xff);
	buf[off + 2] = (char)(n >> 8);
	if (n)
		memcpy(buf + off + 3, p, n);
	return off + 3 + n;
}

/* arrival: the subject (T="...", as logged, escapes kept) and the first
 * recipient of an arrival; one pass over the line */
static void arrival(struct span body, struct span *subj, struct span *rcpt)
{
	const char *s = body.p, *t;
	size_t n = body.len, i, j;

	*subj = *rcpt = span_make(NULL, 0);
	if (s == NULL)
		return;
	/* the first '"' is usually T="'s (a HELO or id= rarely has one) */
	t = memchr(s, '"', n);
	if (t != NULL && !(t - s >= 3 && memcmp(t - 3, " T=", 3) == 0))
		t = memmem(s, n, " T=\"", 4) ? (const char *)memmem(s, n, " T=\"", 4)
		    + 3 : NULL;
	if (t == NULL) {
		*rcpt = eximlog_arrival_rcpt(body);
		return;
	}
	for (i = (size_t)(t - s) + 1; i < n && s[i] != '"'; i++)
		if (s[i] == '\\' && i + 1 < n)
			i++;
	t++;
	*subj = span_make(t, (size_t)(s + i - t));
	/* cPanel: T="..." for a b c (+received_recipients) */
	if (i + 6 < n && memcmp(s + i + 1, " for ", 5) == 0) {
		for (i += 6, j = i; j < n && s[j] != ' '; j++)
			;
		*rcpt = span_make(s + i, j - i);
	} else {
		*rcpt = eximlog_arrival_rcpt(body);
	}
}

/* domain: the part after the last '@' of an address (none: absent) */
static struct span domain(struct span a)
{
	size_t i;

	if (a.p == NULL)
		return a;
	if (a.len > 0 && a.p[a.len - 1] == '>')
		a.len--;
	for (i = a.len; i > 0 && a.p[i - 1] != '@'; i--)
		;
	if (i == 0 || i == a.len)
		return span_make(NULL, 0);
	return span_make(a.p + i, a.len - i);
}

size_t evidence_extra(enum evidence_role r, const struct event *ev,
    const struct eximlog_line *ln, const struct localsub_who *who,
    char *buf, size_t cap)
{
	size_t off = 0;
	struct span rc, sj;

	switch (r) {
	case EVR_AUTH:
		arrival(ln->body, &sj, &rc);
		rc = domain(rc);
		off = put(buf, cap, off, X_SUBJECT, sj.p, sj.len);
		off = put(buf, cap, off, X_DOMAIN, rc.p, rc.len);
		break;
	case EVR_LOCAL:
		/* only a user's submissions: cPanel's own jobs are no one's */
		if (who == NULL || !span_ok(who->user) || who->system)
			break;
		arrival(ln->body, &sj, &rc);
		rc = domain(rc);
		off = put(buf, cap, off, X_SUBMITTER, "", 0);
		off = put(buf, cap, off, X_SUBJECT, sj.p, sj.len);
		off = put(buf, cap, off, X_DOMAIN, rc.p, rc.len);
		off = put(buf, cap, off, X_CWD, who->cwd.p, who->cwd.len);
		off = put(buf, cap, off, X_SENDER, ev->f[FIELD_SENDER].p,
		    ev->f[FIELD_SENDER].len);
		break;
	case EVR_RELAY:
		rc = ev->f[FIELD_RCPT];
		if (!span_ok(rc))
			rc = eximlog_tag(ln->body, "RCPT <");
		rc = domain(rc);
		off = put(buf, cap, off, X_DOMAIN, rc.p, rc.len);
		break;
	case EVR_REMOTE_RELAY:
		rc = domain(eximlog_delivery_rcpt(ln->body));
		off = put(buf, cap, off, X_DOMAIN, rc.p, rc.len);
		break;
	default:
		break;
	}
	return off;
}

/* xfield: the field tag of extra x, absent if not there */
static struct span xfield(struct span x, int tag)
{
	size_t off = 0, n;

	while (off + 3 <= x.len) {
		n = (unsigned char)x.p[off + 1] | (size_t)(unsigned char)x.p[off + 2] << 8;
		if (off + 3 + n > x.len)
			break;
		if (x.p[off] == tag)
			return span_make(x.p + off + 3, n);
		off += 3 + n;
	}
	return span_make(NULL, 0);
}

/* ---- recording ---------------------------------------------------------- */

/* A group: the events of one (subject, hour): an account's or a local
 * user's messages (kinds 1-4, one part each), or the relay refusals of
 * the hour (kind 5 or 6, one part).  A part tracks its values in SLOTS
 * slots (space-saving), kept as arrays so that looking for a value reads
 * one cache line of hashes; per-minute kinds also count each value's
 * events per minute of the hour.  Hourly parts track values only from
 * their TRACK_FROM-th event on: most accounts send a few messages an
 * hour, and their parts stay a counter (values are lower bounds anyway). */
#define TRACK_FROM 5
#define PARTS 4

struct gvals {
	uint32_t vh[SLOTS];       /* hash of the value */
	uint16_t len[SLOTS];      /* 0: free */
	uint16_t gen[SLOTS], infl_gen[SLOTS];   /* a replacement bumps gen */
	int64_t n[SLOTS], err[SLOTS];  /* count (upper bound), inherited part */
	int64_t wr[SLOTS], fl[SLOTS];  /* written, in flight (of n - err) */
	int32_t *min[SLOTS];      /* per-minute kinds: [0..60) counts,
	                           * [60..120) written, [120..180) in flight */
	char v[][EVIDENCE_VALUE_MAX];    /* the values */
};

struct part {
	int64_t total, written, infl;
	int nwrites;              /* writes so far (the first is the simple one) */
	struct gvals *s;          /* NULL until TRACK_FROM events */
};

struct group {
	uint64_t hash;
	int fam;                  /* 0: kinds 1-4; else the kind (5, 6) */
	int inflight;             /* in e->flight */
	int64_t period;           /* the hour */
	struct part p[PARTS];
	size_t slen;
	char subj[];              /* the account or user ("" for none) */
};

struct evidence {
	char **names;
	unsigned char *roles;
	size_t nclasses;
	struct kc_writer *kc;
	struct group **tab;       /* open addressing, by hash */
	size_t cap, n;            /* cap: power of two */
	struct group **flight;    /* written in the open transaction */
	size_t nflight, capflight;
	int64_t now;              /* start of the latest minute seen: the
	                           * hours before it are complete */
	int64_t hours_done;       /* hour of now at the last look */
	int forget;               /* drop written groups at the commit */
	sqlite3 *db;
	sqlite3_stmt *tot, *up, *upd, *ins;
};

static int kind_of(const struct group *g, size_t j)
{
	return g->fam ? g->fam : (int)j + 1;
}

static size_t nparts(const struct group *g)
{
	return g->fam ? 1 : PARTS;
}

struct evidence *evidence_new(const char *const *class_names, size_t n)
{
	struct evidence *e = xcalloc(1, sizeof *e);

	e->cap = 256;
	e->tab = xcalloc(e->cap, sizeof *e->tab);
	e->kc = kc_writer_new();
	evidence_set_classes(e, class_names, n);
	return e;
}

void evidence_set_classes(struct evidence *e, const char *const *names,
    size_t n)
{
	size_t i;

	for (i = 0; i < e->nclasses; i++)
		free(e->names[i]);
	free(e->names);
	free(e->roles);
	e->nclasses = n;
	e->names = xcalloc(n ? n : 1, sizeof *e->names);
	e->roles = xcalloc(n ? n : 1, 1);
	for (i = 0; i < n; i++) {
		e->names[i] = xstrdup(names[i]);
		e->roles[i] = (unsigned char)evidence_role(names[i]);
	}
}

static void group_free(struct group *g)
{
	size_t i, j;

	for (j = 0; j < PARTS; j++) {
		for (i = 0; g->p[j].s && i < SLOTS; i++)
			free(g->p[j].s->min[i]);
		free(g->p[j].s);
	}
	free(g);
}

void evidence_free(struct evidence *e)
{
	size_t i;

	if (e == NULL)
		return;
	for (i = 0; i < e->cap; i++)
		if (e->tab[i])
			group_free(e->tab[i]);
	free(e->tab);
	for (i = 0; i < e->nclasses; i++)
		free(e->names[i]);
	free(e->names);
	free(e->roles);
	free(e->flight);
	kc_writer_free(e->kc);
	sqlite3_finalize(e->tot);
	sqlite3_finalize(e->up);
	sqlite3_finalize(e->upd);
	sqlite3_finalize(e->ins);
	free(e);
}

static size_t nslots(int kind)
{
	return kinds[kind].keep * 2 < SLOTS ? (size_t)kinds[kind].keep * 2 :
	    SLOTS;
}

static void tab_put(struct evidence *e, struct group *g)
{
	size_t m = e->cap - 1, i = g->hash & m;

	while (e->tab[i])
		i = (i + 1) & m;
	e->tab[i] = g;
}

/* rebuild: the table again from the groups keep() keeps (the others are
 * freed), grown if need be */
static void rebuild(struct evidence *e, int (*keep)(struct evidence *,
    struct group *))
{
	struct group **old = e->tab;
	size_t i, oc = e->cap, n = 0;

	for (i = 0; i < oc; i++)
		if (old[i] && (keep == NULL || keep(e, old[i])))
			n++;
	while (n * 2 > e->cap)
		e->cap *= 2;
	e->tab = xcalloc(e->cap, sizeof *e->tab);
	e->n = n;
	for (i = 0; i < oc; i++) {
		if (old[i] == NULL)
			continue;
		if (keep == NULL || keep(e, old[i]))
			tab_put(e, old[i]);
		else
			group_free(old[i]);
	}
	free(old);
}

/* group: the group (fam, subj, hour of t), made if need be */
static struct group *group(struct evidence *e, int fam, struct span subj,
    int64_t t)
{
	struct group *g;
	int64_t period = t - t % HOUR;
	uint64_t h;
	size_t i, m = e->cap - 1;

	h = hash_bytes(hash_mix((uint64_t)period ^ 0x9e3779b97f4a7c15ULL,
	    (uint64_t)fam + 0xff51afd7ed558ccdULL), subj.p, subj.len);
	for (i = h & m; (g = e->tab[i]) != NULL; i = (i + 1) & m)
		if (g->hash == h && g->fam == fam && g->period == period &&
		    g->slen == subj.len && memcmp(g->subj, subj.p, subj.len) == 0)
			return g;
	g = xcalloc(1, sizeof *g + subj.len + 1);
	g->hash = h;
	g->fam = fam;
	g->period = period;
	g->slen = subj.len;
	if (subj.len)
		memcpy(g->subj, subj.p, subj.len);
	e->tab[i] = g;
	if (++e->n * 2 > e->cap)
		rebuild(e, NULL);
	return g;
}

/* note: one event of part j of g with value v (lower: compared and kept
 * in lower case) at time t */
static void note(struct group *g, size_t j, int64_t t, struct span v,
    int lower)
{
	char low[EVIDENCE_VALUE_MAX];
	struct part *pt = &g->p[j];
	struct gvals *s;
	int kind = kind_of(g, j);
	uint32_t vh;
	size_t i, k = nslots(kind), best = SLOTS;

	if (!span_ok(v) || v.len == 0)
		return;
	if (++pt->total < (kinds[kind].per_minute ? 1 : TRACK_FROM))
		return;
	if (v.len > EVIDENCE_VALUE_MAX)
		v.len = EVIDENCE_VALUE_MAX;
	if (lower) {
		for (i = 0; i < v.len; i++)
			low[i] = v.p[i] >= 'A' && v.p[i] <= 'Z' ?
			    (char)(v.p[i] - 'A' + 'a') : v.p[i];
		v.p = low;
	}
	if (pt->s == NULL)
		pt->s = xcalloc(1, sizeof *pt->s + k * sizeof pt->s->v[0]);
	s = pt->s;
	vh = (uint32_t)hash_bytes(0, v.p, v.len);
	for (i = 0; i < k; i++) {
		if (s->len[i] == 0) {
			if (best == SLOTS || s->len[best] != 0)
				best = i;
			continue;
		}
		if (s->vh[i] == vh && s->len[i] == v.len &&
		    memcmp(s->v[i], v.p, v.len) == 0)
			goto counted;
		if (best == SLOTS || (s->len[best] != 0 && s->n[i] < s->n[best]))
			best = i;
	}
	/* a free slot, or the least frequent value gives way (space-saving:
	 * the newcomer inherits its count as an upper bound) */
	i = best;
	if (s->len[i] != 0) {
		s->err[i] = s->n[i];
		s->gen[i]++;
	} else {
		s->n[i] = s->err[i] = 0;
	}
	s->wr[i] = 0;
	s->vh[i] = vh;
	s->len[i] = (uint16_t)v.len;
	memcpy(s->v[i], v.p, v.len);
	if (kinds[kind].per_minute) {
		if (s->min[i] == NULL)
			s->min[i] = xcalloc(180, sizeof *s->min[i]);
		memset(s->min[i], 0, 120 * sizeof *s->min[i]);
	}
counted:
	s->n[i]++;
	if (s->min[i])
		s->min[i][(t - (t - t % HOUR)) / MINUTE]++;
}

void evidence_add_counter(struct evidence *e, const struct counter *c)
{
	const struct counter_row *r;
	const char *arena = counter_arena(c);
	size_t n, i;

	r = counter_rows(c, &n);
	for (i = 0; i < n; i++)
		if (r[i].cls < e->nclasses && e->roles[r[i].cls] == EVR_AUTH)
			kc_writer_note(e->kc, arena + r[i].ip_off, r[i].ip_len,
			    arena + r[i].acct_off, r[i].acct_len, r[i].bucket,
			    (int64_t)r[i].n);
}

void evidence_add_events(struct evidence *e, const struct evlog *l,
    int clients)
{
	struct evlog_event ev;
	struct group *g;
	size_t off = 0;

	while (evlog_next(l, &off, &ev)) {
		int role = ev.cls < e->nclasses ? e->roles[ev.cls] : EVR_NONE;
		struct span ip = ev.ip;

		if (role == EVR_NONE || ev.bucket < 0)
			continue;
		if (ev.bucket > e->now)
			e->now = ev.bucket;
		switch (role) {
		case EVR_AUTH:
			if (clients && ev.host) {
				struct eximlog_host h;

				eximlog_host_parse(ev.ip.p, ev.ip.len, &h);
				ip = h.ip;
			}
			if (clients && span_ok(ip))
				kc_writer_note(e->kc, ip.p, ip.len, ev.acct.p,
				    ev.acct.len, ev.bucket, 1);
			/* FALLTHROUGH */
		case EVR_LOCAL:
			if (ev.acct.len == 0 || ev.acct.len > 320 || (role ==
			    EVR_LOCAL && !span_ok(xfield(ev.extra, X_SUBMITTER))))
				break;
			g = group(e, 0, ev.acct, ev.bucket);
			note(g, EVK_SUBJECT - 1, ev.bucket,
			    xfield(ev.extra, X_SUBJECT), 0);
			note(g, EVK_RCPT_DOMAIN - 1, ev.bucket,
			    xfield(ev.extra, X_DOMAIN), 1);
			if (role == EVR_LOCAL) {
				note(g, EVK_CWD - 1, ev.bucket,
				    xfield(ev.extra, X_CWD), 0);
				note(g, EVK_SCRIPT_SENDER - 1, ev.bucket,
				    xfield(ev.extra, X_SENDER), 0);
			}
			break;
		case EVR_RELAY:
		case EVR_REMOTE_RELAY:
			g = group(e, role == EVR_RELAY ? EVK_RELAY_DOMAIN :
			    EVK_REMOTE_RELAY_DOMAIN, span_make("", 0), ev.bucket);
			note(g, 0, ev.bucket, xfield(ev.extra, X_DOMAIN), 1);
			break;
		default:
			break;
		}
	}
}

static int prep(struct evidence *e, sqlite3_stmt **st, const char *sql)
{
	if (*st == NULL && sqlite3_prepare_v3(e->db, sql, -1,
	    SQLITE_PREPARE_PERSISTENT, st, NULL) != SQLITE_OK)
		return -1;
	return 0;
}

static int step(sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);

	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

/* put_row: add d to the row (kind, subject, period, value) */
static int put_row(sqlite3_stmt *st, int kind, const char *subj, size_t slen,
    int64_t period, const char *v, size_t vlen, int64_t d)
{
	sqlite3_bind_int(st, 1, kind);
	sqlite3_bind_text(st, 2, subj, (int)slen, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, period);
	sqlite3_bind_text(st, 4, v, (int)vlen, SQLITE_STATIC);
	sqlite3_bind_int64(st, 5, d);
	return step(st);
}

/* write_minutes: a per-minute kind's value i: (kind, value, minute, '')
 * rows for the minutes with unwritten events */
static int write_minutes(struct evidence *e, struct group *g, int kind,
    struct gvals *s, size_t i)
{
	int32_t *c = s->min[i];
	int m;

	for (m = 0; m < 60; m++) {
		int32_t d = c[m] - c[60 + m];

		if (d <= 0)
			continue;
		if (put_row(e->up, kind, s->v[i], s->len[i], g->period + m * MINUTE,
		    "", 0, d) < 0)
			return -1;
		c[60 + m] += d;
		c[120 + m] += d;
	}
	return 0;
}

/* write_part: part j's unwritten counts: its total and its values
 * (per-minute kinds: its top domains' minutes) while the hour has room
 * for them; 0 or -1 */
static int write_part(struct evidence *e, struct group *g, size_t j)
{
	struct part *pt = &g->p[j];
	struct gvals *s = pt->s;
	int kind = kind_of(g, j);
	int64_t d = pt->total - pt->written;
	size_t i, k = nslots(kind), nv = 0, keep = (size_t)kinds[kind].keep;

	if (!kinds[kind].per_minute &&
	    put_row(e->tot, kind, g->subj, g->slen, g->period, "", 0, d) < 0)
		return -1;
	pt->written += d;
	pt->infl += d;
	for (i = 0; s && i < k; i++) {
		if (s->len[i] == 0 || (d = s->n[i] - s->err[i] - s->wr[i]) <= 0)
			continue;
		if (s->fl[i] == 0) {
			s->infl_gen[i] = s->gen[i];
		} else if (s->infl_gen[i] != s->gen[i]) {
			s->fl[i] = 0;   /* the value in flight was replaced */
			s->infl_gen[i] = s->gen[i];
		}
		if (kinds[kind].per_minute) {
			/* the top domains; the slots are sorted by count */
			if (nv++ >= keep)
				continue;
			if (write_minutes(e, g, kind, s, i) < 0)
				return -1;
		} else if (pt->nwrites == 0) {
			/* the part's first write: its top values, one
			 * statement each (rows of an earlier run of the same
			 * hour are added to, even past the bound) */
			if (nv++ >= keep)
				continue;
			if (put_row(e->up, kind, g->subj, g->slen, g->period, s->v[i],
			    s->len[i], d) < 0)
				return -1;
		} else {
			if (put_row(e->upd, kind, g->subj, g->slen, g->period, s->v[i],
			    s->len[i], d) < 0)
				return -1;
			/* a new value: only while the hour has room */
			if (sqlite3_changes(e->db) == 0) {
				sqlite3_bind_int(e->ins, 6, kinds[kind].keep);
				if (put_row(e->ins, kind, g->subj, g->slen, g->period,
				    s->v[i], s->len[i], d) < 0)
					return -1;
			}
		}
		s->wr[i] += d;
		s->fl[i] += d;
	}
	pt->nwrites++;
	return 0;
}

/* sort_slots: most frequent first (lower bounds); slots move whole */
static void sort_slots(struct gvals *s, int kind)
{
	size_t i, j, k = nslots(kind);
	char tv[EVIDENCE_VALUE_MAX];

	for (i = 1; s && i < k; i++) {
		for (j = i; j > 0; j--) {
			size_t a = j - 1, b = j;

			if (!(s->len[a] == 0 ? s->len[b] != 0 : s->len[b] != 0 &&
			    s->n[b] - s->err[b] > s->n[a] - s->err[a]))
				break;
#define SWAP(f) do { __typeof__(s->f[a]) t_ = s->f[a]; s->f[a] = s->f[b]; \
	s->f[b] = t_; } while (0)
			SWAP(vh); SWAP(len); SWAP(gen); SWAP(infl_gen); SWAP(n);
			SWAP(err); SWAP(wr); SWAP(fl); SWAP(min);
#undef SWAP
			memcpy(tv, s->v[a], sizeof tv);
			memcpy(s->v[a], s->v[b], sizeof tv);
			memcpy(s->v[b], tv, sizeof tv);
		}
	}
}

static int complete(const struct evidence *e, const struct group *g)
{
	return g->period + HOUR <= e->now;
}

static int due(const struct part *pt, int kind)
{
	return pt->total >= kinds[kind].min && pt->total != pt->written;
}

/* keep_not_small: a complete group too small to matter (or any small one
 * when memory ran over) is dropped */
static int keep_not_small(struct evidence *e, struct group *g)
{
	size_t j;

	if (g->inflight || !(complete(e, g) || e->forget))
		return 1;
	for (j = 0; j < nparts(g); j++)
		if (g->p[j].total >= kinds[kind_of(g, j)].min)
			return 1;
	return 0;
}

int evidence_write(struct evidence *e, struct store *s, int force)
{
	int64_t hour = e->now - e->now % HOUR;
	size_t i, j;

	if (kc_writer_write(e->kc, s, force) < 0)
		return -1;
	/* the groups are looked at when an hour ended, or everything is due */
	if (e->n == 0 || (!force && hour == e->hours_done && e->n <=
	    EVIDENCE_GROUPS_MAX))
		return 0;
	if (e->n > EVIDENCE_GROUPS_MAX) {
		force = 1;
		e->forget = 1;
	}
	if (e->db != store_db(s)) {
		sqlite3_finalize(e->tot);
		sqlite3_finalize(e->up);
		sqlite3_finalize(e->upd);
		sqlite3_finalize(e->ins);
		e->tot = e->up = e->upd = e->ins = NULL;
		e->db = store_db(s);
	}
	if (prep(e, &e->tot, "INSERT INTO evidence (kind, subject, period, "
	    "value, n) VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT DO UPDATE SET "
	    "n = n + excluded.n") < 0 ||
	    prep(e, &e->up, "INSERT INTO evidence (kind, subject, period, "
	    "value, n) VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT DO UPDATE SET "
	    "n = n + excluded.n") < 0 ||
	    prep(e, &e->upd, "UPDATE evidence SET n = n + ?5 WHERE kind = ?1 "
	    "AND subject = ?2 AND period = ?3 AND value = ?4") < 0 ||
	    prep(e, &e->ins, "INSERT INTO evidence (kind, subject, period, value, "
	    "n) SELECT ?1, ?2, ?3, ?4, ?5 WHERE (SELECT count(*) FROM evidence "
	    "WHERE kind = ?1 AND subject = ?2 AND period = ?3) <= ?6") < 0)
		return -1;
	for (i = 0; i < e->cap; i++) {
		struct group *g = e->tab[i];
		int wrote = 0;

		if (g == NULL || !(complete(e, g) || force))
			continue;
		for (j = 0; j < nparts(g); j++) {
			int kind = kind_of(g, j);

			if (!due(&g->p[j], kind))
				continue;
			if (g->p[j].nwrites == 0 || kinds[kind].per_minute)
				sort_slots(g->p[j].s, kind);
			if (write_part(e, g, j) < 0)
				return -1;
			wrote = 1;
		}
		if (wrote && !g->inflight) {
			g->inflight = 1;
			if (e->nflight == e->capflight) {
				e->capflight = e->capflight ? 2 * e->capflight : 64;
				e->flight = xreallocarray(e->flight, e->capflight,
				    sizeof *e->flight);
			}
			e->flight[e->nflight++] = g;
		}
	}
	rebuild(e, keep_not_small);
	e->hours_done = hour;
	return 0;
}

/* keep_unfinished: a complete group written in full is done with (any
 * written one when memory ran over) */
static int keep_unfinished(struct evidence *e, struct group *g)
{
	size_t j;

	if (!(e->forget || complete(e, g)))
		return 1;
	for (j = 0; j < nparts(g); j++)
		if (due(&g->p[j], kind_of(g, j)))
			return 1;
	return 0;
}

void evidence_done(struct evidence *e, int ok)
{
	size_t i, j, k;

	kc_writer_done(e->kc, ok);
	for (i = 0; i < e->nflight; i++) {
		struct group *g = e->flight[i];

		g->inflight = 0;
		for (j = 0; j < PARTS; j++) {
			struct part *pt = &g->p[j];
			struct gvals *s = pt->s;

			if (!ok) {
				pt->written -= pt->infl;
				if (pt->written == 0)
					pt->nwrites = 0;
			}
			pt->infl = 0;
			for (k = 0; s && k < SLOTS; k++) {
				int m;

				if (!ok && s->infl_gen[k] == s->gen[k]) {
					s->wr[k] -= s->fl[k];
					for (m = 0; s->min[k] && m < 60; m++)
						s->min[k][60 + m] -= s->min[k][120 + m];
				}
				s->fl[k] = 0;
				if (s->min[k])
					memset(s->min[k] + 120, 0, 60 * sizeof *s->min[k]);
			}
		}
	}
	if (!ok) {
		e->hours_done = -1;   /* look at them again */
	} else if (e->nflight) {
		rebuild(e, keep_unfinished);
		e->forget = 0;
	}
	e->nflight = 0;
}

/* ---- reading ------------------------------------------------------------ */

int evidence_query(struct store *s, enum evidence_kind kind,
    const char *subject, int64_t since, int64_t until, size_t max,
    struct evidence_value **out, size_t *n, int64_t *total)
{
	sqlite3_stmt *st = NULL;
	size_t cap = 0;
	int64_t lo;
	int rc;

	*out = NULL;
	*n = 0;
	*total = 0;
	if (kind <= 0 || kind >= EVK_N)
		return -1;
	/* hours overlapping the window; per-minute kinds: the minutes whose
	 * start is in it, per domain (the subject column), all of them */
	lo = kinds[kind].per_minute ? since : since - HOUR + 1;
	if (sqlite3_prepare_v2(store_db(s), kinds[kind].per_minute ?
	    "SELECT subject, sum(n) FROM evidence WHERE kind = ?1 AND ?2 = '' "
	    "AND period >= ?3 AND period < ?4 GROUP BY subject ORDER BY sum(n) "
	    "DESC, subject" :
	    "SELECT value, sum(n) FROM evidence WHERE kind = ?1 AND subject = ?2 "
	    "AND period >= ?3 AND period < ?4 GROUP BY value ORDER BY value = '' "
	    "DESC, sum(n) DESC, value", -1, &st, NULL) != SQLITE_OK)
		goto fail;
	sqlite3_bind_int(st, 1, kind);
	sqlite3_bind_text(st, 2, subject ? subject : "", -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, lo);
	sqlite3_bind_int64(st, 4, until);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *v = (const char *)sqlite3_column_text(st, 0);
		int64_t c = sqlite3_column_int64(st, 1);

		if (v == NULL || v[0] == '\0') {
			*total = c;
			continue;
		}
		if (kinds[kind].per_minute)
			*total += c;
		if (max && *n >= max)
			continue;
		if (*n == cap) {
			cap = cap ? 2 * cap : 8;
			*out = xreallocarray(*out, cap, sizeof **out);
		}
		(*out)[*n].value = xstrdup(v);
		(*out)[(*n)++].n = c;
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		goto fail2;
	return 0;
fail:
	sqlite3_finalize(st);
fail2:
	log_warnx("%s: reading evidence: %s", store_path(s),
	    sqlite3_errmsg(store_db(s)));
	evidence_values_free(*out, *n);
	*out = NULL;
	*n = 0;
	return -1;
}

void evidence_values_free(struct evidence_value *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(v[i].value);
	free(v);
}

int evidence_span(struct store *s, enum evidence_kind kind, const char *value,
    int64_t since, int64_t until, int64_t *first, int64_t *last)
{
	sqlite3_stmt *st = NULL;
	int rc, found = 0;

	*first = *last = 0;
	if (kind <= 0 || kind >= EVK_N || !kinds[kind].per_minute)
		return 0;
	if (sqlite3_prepare_v2(store_db(s), "SELECT min(period), max(period) FROM "
	    "evidence WHERE kind = ?1 AND subject = ?2 AND period >= ?3 AND "
	    "period < ?4", -1, &st, NULL) != SQLITE_OK)
		goto fail;
	sqlite3_bind_int(st, 1, kind);
	sqlite3_bind_text(st, 2, value, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, since);
	sqlite3_bind_int64(st, 4, until);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL) {
		*first = sqlite3_column_int64(st, 0);
		*last = sqlite3_column_int64(st, 1);
		found = 1;
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW)
		goto fail2;
	return found;
fail:
	sqlite3_finalize(st);
fail2:
	log_warnx("%s: reading evidence: %s", store_path(s),
	    sqlite3_errmsg(store_db(s)));
	return -1;
}

int64_t evidence_prune(struct store *s, int64_t before)
{
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(store_db(s), "DELETE FROM evidence WHERE period < "
	    "?1", -1, &st, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_int64(st, 1, before);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? sqlite3_changes64(store_db(s)) : -1;
}
