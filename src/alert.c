/* alert: thresholds → alerts → notifications → outbox (see alert.h) */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sqlite3.h>

#include "alert.h"
#include "eximlog.h"
#include "guard.h"
#include "hash.h"
#include "log.h"
#include "netaddr.h"
#include "notice.h"
#include "owners.h"
#include "rules.h"
#include "sbuf.h"
#include "sink.h"
#include "smap.h"
#include "store.h"
#include "threshold.h"
#include "utf8.h"
#include "xmalloc.h"

#define SAMPLE_MAX 240
#define KEY_MAX 256          /* bytes of a group or value, escaped, with NUL */
#define PRUNE_EVERY 60
#define AM_CHUNK 500         /* alerts per Alertmanager request */
#define CS_CHUNK 100         /* alerts per CrowdSec request */

enum { A_CANDIDATE, A_FIRING, A_RESOLVED };
enum { P_NONE, P_FIRE, P_RESOLVE };

struct alert {
	int64_t id;              /* 0 = not in the store yet */
	int id_new;              /* inserted by the transaction being written */
	char *grp;               /* printable text (utf8_printable), glen bytes */
	size_t glen;
	int state, pending;
	int64_t started_at, resolved_at, last_notified, below_since;
	int64_t value, peak;
	int64_t sample_ts;
	char *sample;
	char *not_acted;         /* why the acting sinks were not given it */
	int dirty;
	int refs;                /* notifications not yet committed */
	struct alert *next;      /* graveyard */
};

struct thr {
	const struct threshold_conf *tc;
	struct threshold *w;
	struct smap alerts;      /* group → struct alert (candidate, firing) */
	struct alert *grave;     /* out of the map, waiting to be written */
	unsigned char *cls;      /* class index → watched */
	size_t ncls;
	char *classes;           /* "a, b" */
	const char *remedy;
	int64_t batch_due;       /* unix ms; 0 = nothing batched */
	int64_t last_sent;       /* unix ms */
};

struct outitem {
	int64_t id;
	char *sink, *threshold, *kind;
	struct sbuf body;
	struct alert **alerts;
	size_t nalerts;
	int64_t created;
};

struct alert_engine {
	const struct alertconf *ac;
	const struct rules *rules;
	const struct owners *owners;
	struct thr *th;
	size_t nth;
	struct outitem *out;
	size_t nout;
	alert_outbox_cb *cb;
	void *cbarg;
	int unsaved;             /* windows have entries not in the store */
	int64_t last_prune;
	struct guard *guard;     /* never act against the wrong address */
};

static void alert_free1(struct alert *a)
{
	free(a->grp);
	free(a->sample);
	free(a->not_acted);
	free(a);
}

static void thr_release(struct thr *t)
{
	struct alert *a, *n;
	size_t i;

	threshold_free(t->w);
	for (i = 0; i < t->alerts.cap; i++)
		if (t->alerts.keys[i])
			alert_free1(t->alerts.vals[i]);
	smap_release(&t->alerts);
	for (a = t->grave; a; a = n) {
		n = a->next;
		alert_free1(a);
	}
	free(t->cls);
	free(t->classes);
	memset(t, 0, sizeof *t);
}

static void thr_rules(struct thr *t, const struct rules *r)
{
	size_t j;
	int ix;

	free(t->cls);
	t->ncls = rules_nclasses(r);
	t->cls = xcalloc(t->ncls + 1, 1);
	t->remedy = t->tc->remedy;
	for (j = 0; j < t->tc->nclasses; j++) {
		if ((ix = rules_find(r, t->tc->classes[j])) < 0)
			continue;
		t->cls[ix] = 1;
		if (t->remedy == NULL)
			t->remedy = rules_remedy(r, (size_t)ix);
	}
}

static void thr_init(struct thr *t, const struct threshold_conf *tc,
    const struct alertconf *ac, const struct rules *r)
{
	struct sbuf b;
	size_t j;

	memset(t, 0, sizeof *t);
	t->tc = tc;
	t->w = threshold_new(tc->window, tc->distinct != BY_GLOBAL, ac->max_groups);
	smap_init(&t->alerts);
	sbuf_init(&b);
	for (j = 0; j < tc->nclasses; j++)
		sbuf_addf(&b, "%s%s", j ? ", " : "", tc->classes[j]);
	t->classes = sbuf_detach(&b);
	sbuf_release(&b);
	thr_rules(t, r);
}

struct alert_engine *alert_new(const struct alertconf *ac,
    const struct rules *r, const struct owners *o)
{
	struct alert_engine *e = xcalloc(1, sizeof *e);
	size_t i;

	e->ac = ac;
	e->rules = r;
	e->owners = o;
	e->nth = ac->nth;
	e->th = xcalloc(e->nth ? e->nth : 1, sizeof *e->th);
	for (i = 0; i < e->nth; i++)
		thr_init(&e->th[i], &ac->th[i], ac, r);
	return e;
}

static void out_free(struct outitem *o)
{
	size_t i;

	for (i = 0; i < o->nalerts; i++)
		o->alerts[i]->refs--;
	free(o->alerts);
	free(o->sink);
	free(o->threshold);
	free(o->kind);
	sbuf_release(&o->body);
}

void alert_free(struct alert_engine *e)
{
	size_t i;

	if (e == NULL)
		return;
	for (i = 0; i < e->nout; i++)
		out_free(&e->out[i]);
	free(e->out);
	for (i = 0; i < e->nth; i++)
		thr_release(&e->th[i]);
	free(e->th);
	free(e);
}

void alert_on_outbox(struct alert_engine *e, alert_outbox_cb *fn, void *arg)
{
	e->cb = fn;
	e->cbarg = arg;
}

void alert_set_rules(struct alert_engine *e, const struct rules *r)
{
	size_t i;

	e->rules = r;
	for (i = 0; i < e->nth; i++)
		thr_rules(&e->th[i], r);
}

void alert_set_guard(struct alert_engine *e, struct guard *g)
{
	e->guard = g;
}

/* acting: tc names a sink that acts on addresses */
static int acting(const struct alert_engine *e, const struct threshold_conf *tc)
{
	const struct sink_conf *sc;
	size_t k;

	for (k = 0; k < tc->nsinks; k++)
		if ((sc = alertconf_sink(e->ac, tc->sinks[k])) != NULL &&
		    sink_acts(sc))
			return 1;
	return 0;
}

/* guarded: why grp must not go to the acting sinks, or NULL (a new string:
 * free()) — asked of the guard every time it would go: a client may have
 * logged in since, a relay list may have changed */
static char *guarded(struct alert_engine *e, const struct threshold_conf *tc,
    const char *grp, int64_t now)
{
	char why[600];

	if (e->guard == NULL) {
		snprintf(why, sizeof why, "no never-act guard");
	} else if (guard_check(e->guard, grp, now, why, sizeof why)) {
		return NULL;
	}
	log_info("alert %s: %s is not given to the acting sinks: %s", tc->id,
	    grp, why);
	return xstrdup(why);
}

size_t alert_nthresholds(const struct alert_engine *e)
{
	return e->nth;
}

static int same_shape(const struct alertconf *aa, const struct threshold_conf *a,
    const struct alertconf *bb, const struct threshold_conf *b)
{
	size_t i;

	if (strcmp(a->id, b->id) != 0 || a->by != b->by ||
	    a->distinct != b->distinct || a->window != b->window ||
	    a->nclasses != b->nclasses)
		return 0;
	/* other networks are other groups */
	if ((a->by == BY_PREFIX || a->distinct == BY_PREFIX) &&
	    (aa->prefix_v4 != bb->prefix_v4 || aa->prefix_v6 != bb->prefix_v6))
		return 0;
	for (i = 0; i < a->nclasses; i++)
		if (strcmp(a->classes[i], b->classes[i]) != 0)
			return 0;
	return 1;
}

void alert_reconfigure(struct alert_engine *e, const struct alertconf *ac,
    const struct owners *o)
{
	struct thr *nt = xcalloc(ac->nth ? ac->nth : 1, sizeof *nt);
	size_t i, j;

	for (i = 0; i < ac->nth; i++) {
		for (j = 0; j < e->nth; j++)
			if (e->th[j].tc && same_shape(e->ac, e->th[j].tc, ac,
			    &ac->th[i]))
				break;
		if (j < e->nth && e->nout == 0) {
			/* keep the windows and alerts; take the new settings */
			nt[i] = e->th[j];
			nt[i].tc = &ac->th[i];
			thr_rules(&nt[i], e->rules);
			memset(&e->th[j], 0, sizeof e->th[j]);
		} else {
			thr_init(&nt[i], &ac->th[i], ac, e->rules);
		}
	}
	for (i = 0; i < e->nout; i++)
		out_free(&e->out[i]);
	e->nout = 0;
	for (j = 0; j < e->nth; j++)
		if (e->th[j].tc)
			thr_release(&e->th[j]);
	free(e->th);
	e->th = nt;
	e->nth = ac->nth;
	e->ac = ac;
	e->owners = o;
}

/* ---- events ---- */

/* group_of: the group (or distinct value) of ev for `by`; a network is
 * written into net (NETADDR_STRLEN bytes) */
static struct span group_of(const struct alert_engine *e, enum alert_by by,
    const struct event *ev, char *net)
{
	struct span s = span_make(NULL, 0);
	const char *ow;
	size_t n;

	switch (by) {
	case BY_GLOBAL:
		return span_make("", 0);
	case BY_IP:
		s = ev->f[FIELD_IP];
		break;
	case BY_PREFIX:
		/* the canonical network text, never the log's: "2001:db8:1:2::/64" */
		s = ev->f[FIELD_IP];
		if (!span_ok(s) || (n = netaddr_network_text(s.p, s.len,
		    e->ac->prefix_v4, e->ac->prefix_v6, net, NETADDR_STRLEN)) == 0)
			return span_make(NULL, 0);
		return span_make(net, n);
	case BY_ACCOUNT:
		s = ev->account;
		break;
	case BY_OWNER:
		if (!span_ok(ev->account) || ev->account.len == 0 || e->owners == NULL)
			return span_make(NULL, 0);
		ow = owners_lookup(e->owners, ev->account.p, ev->account.len);
		return ow ? span_make(ow, strlen(ow)) : span_make(NULL, 0);
	}
	if (!span_ok(s) || s.len == 0)
		return span_make(NULL, 0);
	return s;
}

static struct alert *alert_get(struct thr *t, const char *grp, size_t len)
{
	struct alert *a = smap_get(&t->alerts, grp, len);

	if (a && a->state == A_RESOLVED) {
		/* a new crossing after a resolve is a new alert */
		smap_del(&t->alerts, grp, len);
		a->next = t->grave;
		t->grave = a;
		a = NULL;
	}
	if (a == NULL) {
		a = xcalloc(1, sizeof *a);
		a->grp = xstrndup(grp, len);
		a->glen = len;
		a->state = A_CANDIDATE;
		smap_put(&t->alerts, grp, len, a);
	}
	return a;
}

/* key_make: log text as a key: printable (utf8_printable), and when it
 * had to be cut, the cut text followed by a hash of the whole, so that two
 * long texts with the same beginning stay two keys. */
static size_t key_make(char *dst, size_t cap, const char *s, size_t n)
{
	static const char cut[] = "\xe2\x80\xa6";     /* "…" */
	size_t len = utf8_printable(dst, cap - 16, s, n);

	if (len >= sizeof cut - 1 &&
	    memcmp(dst + len - (sizeof cut - 1), cut, sizeof cut - 1) == 0)
		len += (size_t)snprintf(dst + len, cap - len, "%016" PRIx64,
		    hash_bytes(0x6b6579, s, n));
	return len;
}

void alert_event(struct alert_engine *e, const struct event *ev,
    const struct eximlog_line *ln, int64_t now)
{
	struct event parsed;
	char gk[KEY_MAX], vk[KEY_MAX], sample[SAMPLE_MAX + 1];
	char gnet[NETADDR_STRLEN], vnet[NETADDR_STRLEN];
	size_t i, glen, vlen;

	for (i = 0; i < e->nth; i++) {
		struct thr *t = &e->th[i];
		struct span g, v = span_make("", 0);
		struct alert *a;

		if (ev->cls < 0 || (size_t)ev->cls >= t->ncls || !t->cls[ev->cls])
			continue;
		if (ev->host_deferred) {
			/* the pipeline left the client host to whoever needs
			 * it (rules_scratch_defer_host): a threshold does */
			struct eximlog_host h;

			parsed = *ev;
			eximlog_host_parse(ev->f[FIELD_HOST].p, ev->f[FIELD_HOST].len, &h);
			parsed.f[FIELD_IP] = h.ip;
			parsed.ambiguous_host = h.ambiguous;
			parsed.host_deferred = 0;
			ev = &parsed;
		}
		if (!span_ok(g = group_of(e, t->tc->by, ev, gnet)))
			continue;
		if (t->tc->distinct != BY_GLOBAL &&
		    !span_ok(v = group_of(e, t->tc->distinct, ev, vnet)))
			continue;
		/* log text becomes keys, SQL text and message text from here
		 * on: printable, without NUL bytes, bounded */
		glen = key_make(gk, sizeof gk, g.p, g.len);
		vlen = key_make(vk, sizeof vk, v.p, v.len);
		if (threshold_add(t->w, gk, glen, vk, vlen, ev->ts, 1, now, 0) < 0)
			continue;
		e->unsaved = 1;
		if (threshold_value(t->w, gk, glen) < t->tc->count)
			continue;
		a = alert_get(t, gk, glen);
		if (a->sample == NULL || a->sample_ts != ev->ts) {
			free(a->sample);
			utf8_printable(sample, sizeof sample, ln->body.p, ln->body.len);
			a->sample = xstrdup(sample);
			a->sample_ts = ev->ts;
		}
	}
}

/* ---- lifecycle ---- */

static int by_value(const void *x, const void *y)
{
	const struct alert *a = *(struct alert *const *)x;
	const struct alert *b = *(struct alert *const *)y;

	if (a->value != b->value)
		return a->value > b->value ? -1 : 1;
	return strcmp(a->grp, b->grp);   /* printable: no NUL inside */
}

/* a body for items [from, to) of a notice */
struct part {
	struct sbuf body;
	size_t from, to;
	size_t nfiring;
};

struct parts {
	struct part *p;
	size_t n;
};

static void parts_release(struct parts *ps)
{
	size_t i;

	for (i = 0; i < ps->n; i++)
		sbuf_release(&ps->p[i].body);
	free(ps->p);
	memset(ps, 0, sizeof *ps);
}

/* render_parts: the bodies sink sc gets about items [from, to) of n: one,
 * or, when it would be larger than the sink takes (sink_body_max), those
 * of each half, halved again until each fits or is about one group.  A
 * part the sink has nothing to say about (a PagerDuty resolve while others
 * fire) is left out. */
static void render_parts(const struct sink_conf *sc, const struct notice *n,
    size_t from, size_t to, struct parts *ps)
{
	struct notice part = *n;
	struct part *p;
	struct sbuf body;
	size_t max = sink_body_max(sc), mid;

	part.items = n->items + from;
	part.nfiring = from < n->nfiring ?
	    (to < n->nfiring ? to : n->nfiring) - from : 0;
	part.nresolved = (to - from) - part.nfiring;
	sbuf_init(&body);
	if (sink_render(sc, &part, &body) < 0) {
		sbuf_release(&body);
		return;
	}
	if (max && body.len > max && to - from > 1) {
		sbuf_release(&body);
		mid = from + (to - from) / 2;
		render_parts(sc, n, from, mid, ps);
		render_parts(sc, n, mid, to, ps);
		return;
	}
	ps->p = xreallocarray(ps->p, ps->n + 1, sizeof *ps->p);
	p = &ps->p[ps->n++];
	p->body = body;
	p->from = from;
	p->to = to;
	p->nfiring = part.nfiring;
}

/* enqueue: part p of a notice for sink sc as an outbox row to write */
static void enqueue(struct alert_engine *e, struct thr *t,
    const struct sink_conf *sc, struct part *p, int64_t now,
    struct alert **fire, size_t nf, struct alert **res)
{
	struct outitem o;
	size_t i;

	memset(&o, 0, sizeof o);
	o.body = p->body;
	sbuf_init(&p->body);
	o.sink = xstrdup(sc->name);
	o.threshold = xstrdup(t->tc->id);
	o.kind = xstrdup(p->nfiring ? "firing" : "resolved");
	o.created = now;
	o.nalerts = p->to - p->from;
	o.alerts = xcalloc(o.nalerts, sizeof *o.alerts);
	for (i = p->from; i < p->to; i++) {
		o.alerts[i - p->from] = i < nf ? fire[i] : res[i - nf];
		o.alerts[i - p->from]->refs++;
	}
	e->out = xreallocarray(e->out, e->nout + 1, sizeof *e->out);
	e->out[e->nout++] = o;
}

static void emit(struct alert_engine *e, struct thr *t, int64_t now_ms)
{
	struct alert **fire = NULL, **res = NULL, *a;
	size_t nf = 0, nr = 0, i, k, still = 0;
	struct notice n;
	int act;

	for (i = 0; i < t->alerts.cap; i++) {
		if (!t->alerts.keys[i])
			continue;
		a = t->alerts.vals[i];
		if (a->state == A_FIRING)
			still++;
		if (a->pending == P_FIRE && a->state == A_FIRING) {
			fire = xreallocarray(fire, nf + 1, sizeof *fire);
			fire[nf++] = a;
		} else if (a->pending == P_RESOLVE) {
			res = xreallocarray(res, nr + 1, sizeof *res);
			res[nr++] = a;
		}
	}
	if (nf + nr == 0)
		goto out;
	if (nf > 1)
		qsort(fire, nf, sizeof *fire, by_value);
	if (nr > 1)
		qsort(res, nr, sizeof *res, by_value);
	memset(&n, 0, sizeof n);
	n.tc = t->tc;
	n.host = e->ac->host;
	n.classes = t->classes;
	n.remedy = t->remedy;
	n.now = now_ms / 1000;
	n.top = e->ac->top;
	n.nfiring = nf;
	n.nresolved = nr;
	n.still_firing = still > 0;
	n.items = xcalloc(nf + nr, sizeof *n.items);
	act = acting(e, t->tc);
	for (i = 0; i < nf + nr; i++) {
		a = i < nf ? fire[i] : res[i - nf];
		free(a->not_acted);
		a->not_acted = act && i < nf ? guarded(e, t->tc, a->grp, n.now) : NULL;
		n.items[i].not_acted = a->not_acted;
		n.items[i].grp = a->grp;
		n.items[i].value = a->value;
		n.items[i].peak = a->peak;
		n.items[i].alert_id = a->id;
		n.items[i].started_at = a->started_at;
		n.items[i].resolved_at = a->resolved_at;
		n.items[i].sample = a->sample ? a->sample : "";
		n.items[i].resolved = i >= nf;
	}
	for (k = 0; k < t->tc->nsinks; k++) {
		const struct sink_conf *sc = alertconf_sink(e->ac, t->tc->sinks[k]);
		size_t from, chunk = nf + nr;
		struct parts ps;

		if (sc == NULL)
			continue;
		/* Alertmanager takes one alert per group: a huge batch goes in
		 * several requests; the webhook lists every group, in parts
		 * when they do not fit one body; the others summarise it in
		 * one message */
		if (sc->type == SINK_ALERTMANAGER && chunk > AM_CHUNK)
			chunk = AM_CHUNK;
		if (sc->type == SINK_CROWDSEC && chunk > CS_CHUNK)
			chunk = CS_CHUNK;
		memset(&ps, 0, sizeof ps);
		for (from = 0; from < nf + nr; from += chunk)
			render_parts(sc, &n, from,
			    from + chunk < nf + nr ? from + chunk : nf + nr, &ps);
		for (i = 0; i < ps.n; i++)
			enqueue(e, t, sc, &ps.p[i], n.now, fire, nf, res);
		parts_release(&ps);
	}
	free(n.items);
	for (i = 0; i < nf + nr; i++) {
		a = i < nf ? fire[i] : res[i - nf];
		a->pending = P_NONE;
		a->last_notified = n.now;
		a->dirty = 1;
		if (a->state == A_RESOLVED) {
			smap_del(&t->alerts, a->grp, a->glen);
			a->next = t->grave;
			t->grave = a;
		}
	}
	log_info("alert %s: %zu firing, %zu resolved, notified %zu sink(s)",
	    t->tc->id, nf, nr, t->tc->nsinks);
out:
	free(fire);
	free(res);
	t->last_sent = now_ms;
	t->batch_due = 0;
}

void alert_evaluate(struct alert_engine *e, int64_t now_ms)
{
	int64_t now = now_ms / 1000;
	size_t i, j, ndrop;
	struct alert **drop = NULL;

	for (i = 0; i < e->nth; i++) {
		struct thr *t = &e->th[i];
		const struct threshold_conf *tc = t->tc;
		int any = 0;

		threshold_expire(t->w, now);
		ndrop = 0;
		for (j = 0; j < t->alerts.cap; j++) {
			struct alert *a = t->alerts.vals[j];
			int64_t v;

			if (!t->alerts.keys[j])
				continue;
			v = threshold_value(t->w, a->grp, a->glen);
			switch (a->state) {
			case A_CANDIDATE:
				if (v < tc->count) {
					drop = xreallocarray(drop, ndrop + 1, sizeof *drop);
					drop[ndrop++] = a;
					break;
				}
				a->state = A_FIRING;
				a->started_at = now;
				a->value = a->peak = v;
				a->pending = P_FIRE;
				a->dirty = 1;
				break;
			case A_FIRING:
				a->value = v;
				/* written when it grows, so that `alerts` shows the
				 * most events the window held, as `report` counts */
				if (v > a->peak) {
					a->peak = v;
					a->dirty = 1;
				}
				if (v >= tc->count) {
					if (a->below_since) {
						a->below_since = 0;
						a->dirty = 1;
					}
					if (a->pending == P_NONE && a->last_notified &&
					    now - a->last_notified >= tc->repeat)
						a->pending = P_FIRE;
				} else {
					if (!a->below_since) {
						a->below_since = now;
						a->dirty = 1;
					}
					if (now - a->below_since >= tc->resolve_after) {
						a->state = A_RESOLVED;
						a->resolved_at = now;
						a->pending = P_RESOLVE;
						a->dirty = 1;
					}
				}
				break;
			default:
				break;
			}
			if (a->pending)
				any = 1;
		}
		for (j = 0; j < ndrop; j++) {
			smap_del(&t->alerts, drop[j]->grp, drop[j]->glen);
			alert_free1(drop[j]);
		}
		if (any && t->batch_due == 0) {
			int64_t due = now_ms + tc->first_wait_ms;

			if (t->last_sent && t->last_sent + tc->group_wait_ms > due)
				due = t->last_sent + tc->group_wait_ms;
			t->batch_due = due;
		}
		if (t->batch_due && now_ms >= t->batch_due)
			emit(e, t, now_ms);
	}
	free(drop);
}

int64_t alert_next_ms(const struct alert_engine *e, int64_t now_ms)
{
	int64_t next = -1, d;
	size_t i;

	for (i = 0; i < e->nth; i++) {
		const struct thr *t = &e->th[i];

		if (t->batch_due) {
			d = t->batch_due - now_ms;
			if (d < 1)
				d = 1;
			if (next < 0 || d < next)
				next = d;
		}
		/* alerts change with time alone (windows slide, resolve_after,
		 * repeat); groups under the threshold need no timer: they cross
		 * on an event, and expire at the next commit */
		if (t->alerts.n && (next < 0 || next > 1000))
			next = 1000;
	}
	return next;
}

size_t alert_firing(const struct alert_engine *e)
{
	size_t i, j, n = 0;

	for (i = 0; i < e->nth; i++)
		for (j = 0; j < e->th[i].alerts.cap; j++)
			if (e->th[i].alerts.keys[j] &&
			    ((struct alert *)e->th[i].alerts.vals[j])->state == A_FIRING)
				n++;
	return n;
}

int alert_dirty(const struct alert_engine *e)
{
	size_t i, j;

	if (e->unsaved || e->nout)
		return 1;
	for (i = 0; i < e->nth; i++) {
		if (e->th[i].grave)
			return 1;
		for (j = 0; j < e->th[i].alerts.cap; j++)
			if (e->th[i].alerts.keys[j] &&
			    ((struct alert *)e->th[i].alerts.vals[j])->dirty)
				return 1;
	}
	return 0;
}

/* ---- store ---- */

struct wctx {
	sqlite3_stmt *count, *slice, *unslice;
	const char *th;
};

/* save_count: events added to a slot of a count threshold */
static int save_count(void *arg, const char *grp, size_t glen, int64_t ts,
    int64_t n)
{
	struct wctx *w = arg;
	int rc;

	sqlite3_bind_text(w->count, 1, w->th, -1, SQLITE_STATIC);
	sqlite3_bind_text(w->count, 2, grp, (int)glen, SQLITE_STATIC);
	sqlite3_bind_int64(w->count, 3, ts);
	sqlite3_bind_int64(w->count, 4, n);
	rc = sqlite3_step(w->count);
	sqlite3_reset(w->count);
	return rc == SQLITE_DONE ? 0 : -1;
}

/* save_slice: the state of a slice of a distinct threshold (len 0: none) */
static int save_slice(void *arg, const char *grp, size_t glen, int64_t ts,
    const void *data, size_t len)
{
	struct wctx *w = arg;
	sqlite3_stmt *st = len ? w->slice : w->unslice;
	int rc;

	sqlite3_bind_text(st, 1, w->th, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, grp, (int)glen, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, ts);
	if (len)
		sqlite3_bind_blob(st, 4, data, (int)len, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

static const char *state_name(int s)
{
	return s == A_RESOLVED ? "resolved" : "firing";
}

static int save_alert(sqlite3 *db, sqlite3_stmt *ins, sqlite3_stmt *upd,
    const struct thr *t, struct alert *a)
{
	sqlite3_stmt *st = a->id ? upd : ins;
	int rc;

	if (!a->dirty || a->state == A_CANDIDATE)
		return 0;
	sqlite3_bind_text(st, 1, t->tc->id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, a->grp, (int)a->glen, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, alert_by_name(t->tc->by), -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, t->tc->severity, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, state_name(a->state), -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 6, a->started_at);
	if (a->state == A_RESOLVED)
		sqlite3_bind_int64(st, 7, a->resolved_at);
	else
		sqlite3_bind_null(st, 7);
	sqlite3_bind_int64(st, 8, a->last_notified);
	sqlite3_bind_int64(st, 9, a->below_since);
	sqlite3_bind_int64(st, 10, a->value);
	sqlite3_bind_int64(st, 11, a->peak);
	sqlite3_bind_text(st, 12, a->sample ? a->sample : "", -1, SQLITE_STATIC);
	if (a->id)
		sqlite3_bind_int64(st, 13, a->id);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return -1;
	if (!a->id) {
		a->id = sqlite3_last_insert_rowid(db);
		a->id_new = 1;
	}
	return 0;
}

#define SQL_OUTBOX "INSERT INTO outbox (sink, threshold, kind, body, created) " \
    "VALUES (?, ?, ?, ?, ?)"
#define SQL_LINK "INSERT OR IGNORE INTO outbox_alerts (outbox_id, alert_id) " \
    "VALUES (?, ?)"

/* outbox_insert: one outbox row; its id, or 0 */
static int64_t outbox_insert(sqlite3 *db, sqlite3_stmt *box, const char *sink,
    const char *threshold, const char *kind, const struct sbuf *body,
    int64_t created)
{
	int rc;

	sqlite3_bind_text(box, 1, sink, -1, SQLITE_STATIC);
	sqlite3_bind_text(box, 2, threshold, -1, SQLITE_STATIC);
	sqlite3_bind_text(box, 3, kind, -1, SQLITE_STATIC);
	sqlite3_bind_text(box, 4, body->s, (int)body->len, SQLITE_STATIC);
	sqlite3_bind_int64(box, 5, created);
	rc = sqlite3_step(box);
	sqlite3_reset(box);
	return rc == SQLITE_DONE ? sqlite3_last_insert_rowid(db) : 0;
}

static int outbox_link(sqlite3_stmt *link, int64_t oid, int64_t aid)
{
	int rc;

	sqlite3_bind_int64(link, 1, oid);
	sqlite3_bind_int64(link, 2, aid);
	rc = sqlite3_step(link);
	sqlite3_reset(link);
	return rc == SQLITE_DONE ? 0 : -1;
}

int alert_write(struct alert_engine *e, struct store *s, int64_t now)
{
	sqlite3 *db = store_db(s);
	sqlite3_stmt *win = NULL, *ins = NULL, *upd = NULL, *box = NULL,
	    *link = NULL, *prune = NULL, *slice = NULL, *unslice = NULL,
	    *prune_slices = NULL;
	struct wctx w;
	struct alert *a;
	size_t i, j;
	int ret = -1;

	if (sqlite3_prepare_v2(db, "INSERT INTO alert_window (threshold, grp, val, "
	    "ts, n) VALUES (?, ?, '', ?, ?) ON CONFLICT DO UPDATE SET n = n + "
	    "excluded.n", -1, &win, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, "INSERT OR REPLACE INTO alert_distinct "
	    "(threshold, grp, ts, data) VALUES (?, ?, ?, ?)", -1, &slice,
	    NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, "DELETE FROM alert_distinct WHERE threshold = ? "
	    "AND grp = ? AND ts = ?", -1, &unslice, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, "DELETE FROM alert_distinct WHERE threshold = ? "
	    "AND ts <= ?", -1, &prune_slices, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, "INSERT INTO alerts (threshold, grp, grp_kind, "
	    "severity, state, started_at, resolved_at, last_notified, below_since, "
	    "value, peak, sample) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", -1,
	    &ins, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, "UPDATE alerts SET threshold = ?, grp = ?, "
	    "grp_kind = ?, severity = ?, state = ?, started_at = ?, resolved_at = ?, "
	    "last_notified = ?, below_since = ?, value = ?, peak = ?, sample = ? "
	    "WHERE id = ?", -1, &upd, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, SQL_OUTBOX, -1, &box, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, SQL_LINK, -1, &link, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, "DELETE FROM alert_window WHERE threshold = ? "
	    "AND ts <= ?", -1, &prune, NULL) != SQLITE_OK)
		goto out;
	w.count = win;
	w.slice = slice;
	w.unslice = unslice;
	for (i = 0; i < e->nth; i++) {
		struct thr *t = &e->th[i];

		w.th = t->tc->id;
		if (e->unsaved &&
		    threshold_unsaved(t->w, save_count, save_slice, &w) < 0)
			goto out;
		for (j = 0; j < t->alerts.cap; j++)
			if (t->alerts.keys[j] &&
			    save_alert(db, ins, upd, t, t->alerts.vals[j]) < 0)
				goto out;
		for (a = t->grave; a; a = a->next)
			if (save_alert(db, ins, upd, t, a) < 0)
				goto out;
		if (now - e->last_prune >= PRUNE_EVERY) {
			/* what left the window: a slot or slice is kept while its
			 * last second is in it */
			sqlite3_bind_text(prune, 1, t->tc->id, -1, SQLITE_STATIC);
			sqlite3_bind_int64(prune, 2, now - t->tc->window -
			    THRESHOLD_SLOT(t->tc->window));
			if (sqlite3_step(prune) != SQLITE_DONE)
				goto out;
			sqlite3_reset(prune);
			sqlite3_bind_text(prune_slices, 1, t->tc->id, -1, SQLITE_STATIC);
			sqlite3_bind_int64(prune_slices, 2, now - t->tc->window -
			    THRESHOLD_SLICE(t->tc->window));
			if (sqlite3_step(prune_slices) != SQLITE_DONE)
				goto out;
			sqlite3_reset(prune_slices);
		}
	}
	for (i = 0; i < e->nout; i++) {
		struct outitem *o = &e->out[i];

		if ((o->id = outbox_insert(db, box, o->sink, o->threshold, o->kind,
		    &o->body, o->created)) == 0)
			goto out;
		for (j = 0; j < o->nalerts; j++)
			if (o->alerts[j]->id != 0 &&
			    outbox_link(link, o->id, o->alerts[j]->id) < 0)
				goto out;
	}
	if (now - e->last_prune >= PRUNE_EVERY)
		e->last_prune = now;
	ret = 0;
out:
	if (ret < 0)
		log_warnx("%s: writing alerts: %s", store_path(s), sqlite3_errmsg(db));
	sqlite3_finalize(win);
	sqlite3_finalize(ins);
	sqlite3_finalize(upd);
	sqlite3_finalize(box);
	sqlite3_finalize(link);
	sqlite3_finalize(prune);
	sqlite3_finalize(slice);
	sqlite3_finalize(unslice);
	sqlite3_finalize(prune_slices);
	return ret;
}

static void written_alert(struct alert *a, int ok)
{
	if (ok) {
		a->dirty = 0;
		a->id_new = 0;
	} else if (a->id_new) {
		a->id = 0;
		a->id_new = 0;
	}
}

void alert_written(struct alert_engine *e, int ok)
{
	struct alert *a, **pp;
	size_t i, j;

	for (i = 0; i < e->nth; i++) {
		struct thr *t = &e->th[i];

		if (ok)
			threshold_mark_saved(t->w);
		for (j = 0; j < t->alerts.cap; j++)
			if (t->alerts.keys[j])
				written_alert(t->alerts.vals[j], ok);
		for (a = t->grave; a; a = a->next)
			written_alert(a, ok);
	}
	if (!ok) {
		for (i = 0; i < e->nout; i++)
			e->out[i].id = 0;
		return;
	}
	e->unsaved = 0;
	for (i = 0; i < e->nout; i++) {
		struct outitem *o = &e->out[i];

		if (e->cb)
			e->cb(e->cbarg, o->id, o->sink, o->body.s, o->body.len, o->created);
		out_free(o);
	}
	e->nout = 0;
	for (i = 0; i < e->nth; i++) {
		for (pp = &e->th[i].grave; (a = *pp) != NULL;) {
			if (!a->dirty && a->refs == 0) {
				*pp = a->next;
				alert_free1(a);
			} else {
				pp = &a->next;
			}
		}
	}
}

static struct thr *thr_find(struct alert_engine *e, const char *id)
{
	size_t i;

	for (i = 0; i < e->nth; i++)
		if (strcmp(e->th[i].tc->id, id) == 0)
			return &e->th[i];
	return NULL;
}

struct cand {
	struct thr *t;
};

static void candidate(void *arg, const char *grp, size_t glen, int64_t value)
{
	struct thr *t = ((struct cand *)arg)->t;

	if (value >= t->tc->count && smap_get(&t->alerts, grp, glen) == NULL)
		alert_get(t, grp, glen);
}

int alert_load(struct alert_engine *e, struct store *s, int64_t now)
{
	sqlite3 *db = store_db(s);
	sqlite3_stmt *st = NULL;
	struct thr *t;
	struct cand c;
	size_t i, nw = 0, na = 0;
	int rc;

	if (sqlite3_prepare_v2(db, "SELECT threshold, grp, val, ts, n FROM "
	    "alert_window ORDER BY ts", -1, &st, NULL) != SQLITE_OK)
		goto fail;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *g = (const char *)sqlite3_column_text(st, 1);
		const char *v = (const char *)sqlite3_column_text(st, 2);
		size_t glen = (size_t)sqlite3_column_bytes(st, 1);
		size_t vlen = (size_t)sqlite3_column_bytes(st, 2);

		if ((t = thr_find(e, (const char *)sqlite3_column_text(st, 0))) == NULL)
			continue;
		if (threshold_add(t->w, g, glen, v, vlen,
		    sqlite3_column_int64(st, 3), sqlite3_column_int64(st, 4), now, 1) == 0)
			nw++;
	}
	sqlite3_finalize(st);
	st = NULL;
	if (rc != SQLITE_DONE)
		goto fail;
	if (sqlite3_prepare_v2(db, "SELECT threshold, grp, ts, data FROM "
	    "alert_distinct ORDER BY ts", -1, &st, NULL) != SQLITE_OK)
		goto fail;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if ((t = thr_find(e, (const char *)sqlite3_column_text(st, 0))) == NULL)
			continue;
		if (threshold_load_slice(t->w, (const char *)sqlite3_column_text(st, 1),
		    (size_t)sqlite3_column_bytes(st, 1), sqlite3_column_int64(st, 2),
		    sqlite3_column_blob(st, 3), (size_t)sqlite3_column_bytes(st, 3),
		    now) == 0)
			nw++;
	}
	sqlite3_finalize(st);
	st = NULL;
	if (rc != SQLITE_DONE)
		goto fail;
	if (sqlite3_prepare_v2(db, "SELECT id, threshold, grp, started_at, "
	    "last_notified, below_since, value, peak, sample FROM alerts WHERE "
	    "state = 'firing'", -1, &st, NULL) != SQLITE_OK)
		goto fail;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *g = (const char *)sqlite3_column_text(st, 2);
		size_t glen = (size_t)sqlite3_column_bytes(st, 2);
		struct alert *a;

		if ((t = thr_find(e, (const char *)sqlite3_column_text(st, 1))) == NULL)
			continue;   /* no longer configured: stays as it was */
		a = alert_get(t, g, glen);
		a->id = sqlite3_column_int64(st, 0);
		a->state = A_FIRING;
		a->started_at = sqlite3_column_int64(st, 3);
		a->last_notified = sqlite3_column_int64(st, 4);
		a->below_since = sqlite3_column_int64(st, 5);
		a->value = sqlite3_column_int64(st, 6);
		a->peak = sqlite3_column_int64(st, 7);
		free(a->sample);
		a->sample = xstrdup((const char *)sqlite3_column_text(st, 8));
		if (a->last_notified * 1000 > t->last_sent)
			t->last_sent = a->last_notified * 1000;
		na++;
	}
	sqlite3_finalize(st);
	st = NULL;
	if (rc != SQLITE_DONE)
		goto fail;
	for (i = 0; i < e->nth; i++) {
		c.t = &e->th[i];
		threshold_each(e->th[i].w, candidate, &c);
	}
	if (na || nw)
		log_info("alerts: %zu firing and %zu window entries from before",
		    na, nw);
	return 0;
fail:
	sqlite3_finalize(st);
	log_warnx("%s: loading alert state: %s", store_path(s), sqlite3_errmsg(db));
	return -1;
}

/* split_order: firing before resolved, each by value (as emit sorts) */
static int split_order(const void *x, const void *y)
{
	const struct notice_item *a = x, *b = y;

	if (a->resolved != b->resolved)
		return a->resolved - b->resolved;
	if (a->value != b->value)
		return a->value > b->value ? -1 : 1;
	return strcmp(a->grp, b->grp);
}

int alert_split(struct alert_engine *e, struct store *s, int64_t id,
    int64_t **ids)
{
	sqlite3 *db = store_db(s);
	sqlite3_stmt *st = NULL, *box = NULL, *link = NULL, *upd = NULL;
	struct notice_item *items = NULL;
	const struct sink_conf *sc;
	struct parts ps;
	struct notice n;
	struct thr *t;
	char *sink = NULL, *threshold = NULL, *kind = NULL;
	int64_t created, *out = NULL;
	size_t nitems = 0, nf = 0, i, j;
	int ret = -1, began = 0, rc;

	*ids = NULL;
	memset(&ps, 0, sizeof ps);
	if (sqlite3_prepare_v2(db, "SELECT sink, threshold, kind, created FROM "
	    "outbox WHERE id = ? AND status = 'pending'", -1, &st, NULL)
	    != SQLITE_OK)
		goto out;
	sqlite3_bind_int64(st, 1, id);
	if ((rc = sqlite3_step(st)) != SQLITE_ROW) {
		ret = rc == SQLITE_DONE ? 0 : -1;
		goto out;
	}
	sink = xstrdup((const char *)sqlite3_column_text(st, 0));
	threshold = xstrdup((const char *)sqlite3_column_text(st, 1));
	kind = xstrdup((const char *)sqlite3_column_text(st, 2));
	created = sqlite3_column_int64(st, 3);
	sqlite3_finalize(st);
	st = NULL;
	if ((t = thr_find(e, threshold)) == NULL ||
	    (sc = alertconf_sink(e->ac, sink)) == NULL) {
		ret = 0;
		goto out;
	}
	/* the alerts as they are now; those resolved when the row was written
	 * were listed as resolved */
	if (sqlite3_prepare_v2(db, "SELECT a.id, a.grp, a.value, a.peak, "
	    "a.started_at, COALESCE(a.resolved_at, 0), a.sample, a.state = "
	    "'resolved' AND a.resolved_at <= ? FROM outbox_alerts l JOIN alerts a "
	    "ON a.id = l.alert_id WHERE l.outbox_id = ?", -1, &st, NULL)
	    != SQLITE_OK)
		goto out;
	sqlite3_bind_int64(st, 1, created);
	sqlite3_bind_int64(st, 2, id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct notice_item *it;

		items = xreallocarray(items, nitems + 1, sizeof *items);
		it = &items[nitems++];
		memset(it, 0, sizeof *it);
		it->alert_id = sqlite3_column_int64(st, 0);
		it->grp = xstrdup((const char *)sqlite3_column_text(st, 1));
		it->value = sqlite3_column_int64(st, 2);
		it->peak = sqlite3_column_int64(st, 3);
		it->started_at = sqlite3_column_int64(st, 4);
		it->resolved_at = sqlite3_column_int64(st, 5);
		it->sample = xstrdup((const char *)sqlite3_column_text(st, 6));
		it->resolved = sqlite3_column_int(st, 7);
	}
	sqlite3_finalize(st);
	st = NULL;
	if (rc != SQLITE_DONE)
		goto out;
	if (nitems < 2) {
		ret = 0;     /* one alert: nothing to split */
		goto out;
	}
	qsort(items, nitems, sizeof *items, split_order);
	while (nf < nitems && !items[nf].resolved)
		nf++;
	/* the guard again: nothing it refuses reaches an acting sink, and
	 * the others show the reason as they did */
	if (acting(e, t->tc))
		for (i = 0; i < nf; i++)
			items[i].not_acted = guarded(e, t->tc, items[i].grp, created);
	memset(&n, 0, sizeof n);
	n.tc = t->tc;
	n.host = e->ac->host;
	n.classes = t->classes;
	n.remedy = t->remedy;
	n.now = created;
	n.top = e->ac->top;
	n.items = items;
	n.nfiring = nf;
	n.nresolved = nitems - nf;
	n.still_firing = strcmp(kind, "firing") == 0;
	render_parts(sc, &n, 0, nitems / 2, &ps);
	render_parts(sc, &n, nitems / 2, nitems, &ps);
	if (ps.n == 0) {
		ret = 0;
		goto out;
	}
	/* the parts and the end of the row in one transaction: after a crash
	 * either the row is still pending (and is refused and split again) or
	 * the parts are there to send */
	if (store_begin(s) < 0)
		goto out;
	began = 1;
	if (sqlite3_prepare_v2(db, SQL_OUTBOX, -1, &box, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, SQL_LINK, -1, &link, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, "UPDATE outbox SET status = 'split' WHERE id = ? "
	    "AND status = 'pending'", -1, &upd, NULL) != SQLITE_OK)
		goto out;
	out = xcalloc(ps.n, sizeof *out);
	for (i = 0; i < ps.n; i++) {
		struct part *p = &ps.p[i];

		if ((out[i] = outbox_insert(db, box, sink, threshold,
		    p->nfiring ? "firing" : "resolved", &p->body, created)) == 0)
			goto out;
		for (j = p->from; j < p->to; j++)
			if (outbox_link(link, out[i], items[j].alert_id) < 0)
				goto out;
	}
	sqlite3_bind_int64(upd, 1, id);
	if (sqlite3_step(upd) != SQLITE_DONE || sqlite3_changes(db) != 1)
		goto out;
	if (store_commit(s) < 0)
		goto out;
	began = 0;
	*ids = out;
	out = NULL;
	ret = (int)ps.n;
out:
	if (ret < 0)
		log_warnx("%s: splitting notification %" PRId64 ": %s", store_path(s),
		    id, sqlite3_errmsg(db));
	sqlite3_finalize(st);
	sqlite3_finalize(box);
	sqlite3_finalize(link);
	sqlite3_finalize(upd);
	if (began)
		store_rollback(s);
	for (i = 0; i < nitems; i++) {
		free((char *)items[i].grp);
		free((char *)items[i].sample);
		free((char *)items[i].not_acted);
	}
	free(items);
	free(out);
	parts_release(&ps);
	free(sink);
	free(threshold);
	free(kind);
	return ret;
}

int alert_test_body(const struct alertconf *ac, const struct sink_conf *sc,
    struct sbuf *out)
{
	struct threshold_conf tc;
	struct notice n;
	struct notice_item it;
	char *cls[1] = { "test" };
	char *sinks[1];

	memset(&tc, 0, sizeof tc);
	tc.id = "eximwatch_test";
	tc.classes = cls;
	tc.nclasses = 1;
	tc.by = BY_GLOBAL;
	tc.count = 1;
	tc.window = 60;
	tc.repeat = 3600;
	tc.resolve_after = 60;
	tc.severity = "info";
	sinks[0] = sc->name;
	tc.sinks = sinks;
	tc.nsinks = 1;
	memset(&it, 0, sizeof it);
	it.grp = "";
	it.value = it.peak = 1;
	it.started_at = time(NULL);
	it.sample = "";
	memset(&n, 0, sizeof n);
	n.tc = &tc;
	n.host = ac->host;
	n.classes = "test";
	n.remedy = "nothing to do: this is a test notification";
	n.now = time(NULL);
	n.items = &it;
	n.nfiring = 1;
	n.top = ac->top;
	n.test = 1;
	return sink_render(sc, &n, out);
}
