/* judge_senders: compromised_account and script_spam, from the senders of
 * the window and their baselines (see judge.h) */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "idtab.h"
#include "json.h"
#include "judge.h"
#include "localsub.h"
#include "smap.h"
#include "xmalloc.h"

struct snet {
	uint32_t id;              /* judge_netid() */
	int known;                /* 1 known before, -1 new, 0 not looked up */
	int64_t n;
	const char *key;          /* its text (judge_netname()) */
};

#define NET_SCAN 8                /* a sender's networks searched in turn
                                  * up to this many; past it, hashed */
#define SENDER_SKIP UINT32_MAX    /* s->byid: not a sender (script_spam:
                                   * not a person's login) */

/* events per account (bounces and deferrals, limit hits) */
struct asums {
	struct imap map;
	struct { int64_t acct, n; } *v;
	size_t n, cap;
};

static void asums_row(struct judge *c, void *arg, int64_t bucket, int64_t ip,
    int64_t acct, int64_t n)
{
	struct asums *a = arg;
	uint32_t *slot = imap_find(&a->map, (uint64_t)acct, 3);

	(void)c;
	(void)bucket;
	(void)ip;
	if (*slot == 0) {
		a->v = judge_grow(a->v, a->n, &a->cap, sizeof *a->v);
		a->v[a->n].acct = acct;
		a->v[a->n].n = 0;
		*slot = (uint32_t)++a->n;
		a->map.n++;
	}
	a->v[*slot - 1].n += n;
}

static void asums_release(struct asums *a)
{
	free(a->v);
	imap_release(&a->map);
}

struct sender {
	int64_t acct;
	int64_t n, first, last;
	int64_t peak;             /* the busiest clock hour of the window */
	int64_t hour, hour_n;     /* the hour being counted and its events
	                           * so far (JUDGE_HOURS: the chunks of an
	                           * hour come together) */
	int64_t fails, limits;    /* bounces + deferrals, sending-limit hits */
	int64_t base, fail_base, limit_base;  /* baselines */
	int64_t base_hours;       /* active hours before the window */
	uint64_t *nets;           /* past NET_SCAN: a hash of network id
	                           * << 32 | net[] index + 1, 0 empty */
	uint32_t capnets;         /* a power of two */
	struct snet *net;
	size_t nnet, capnet;
	size_t lastnet;           /* index + 1 of the network last added to */
	int candidate;
	int64_t next_dom;         /* the next sender of its domain (index + 1) */
};

struct senders {
	struct idtab byid;        /* account id -> index + 1, SENDER_SKIP */
	struct sender *v;
	size_t n, cap;
	struct smap byname;       /* lower-cased account -> index + 1 */
	struct smap bydom;        /* lower-cased domain -> first index + 1 */
	int one_hour;             /* the window is an hour or less */
	int local;                /* local users (script_spam) */
	struct asums fails, limits;   /* per account, while the window is
	                               * read (given to the senders after) */
};

struct senders *judge_senders_new(struct judge *c, int local)
{
	struct senders *s = xcalloc(1, sizeof *s);
	int64_t span = (int64_t)(c->in->until - c->in->since);

	s->local = local;
	/* the busiest clock hour (what falls inside the window of the hours
	 * at its ends): the window itself if it is an hour or less */
	s->one_hour = span <= HOUR;
	return s;
}

void judge_senders_free(struct senders *s)
{
	size_t i;

	if (s == NULL)
		return;
	smap_release(&s->byname);
	smap_release(&s->bydom);
	asums_release(&s->fails);
	asums_release(&s->limits);
	for (i = 0; i < s->n; i++) {
		free(s->v[i].net);
		free(s->v[i].nets);
	}
	free(s->v);
	idtab_release(&s->byid);
	free(s);
}

/* sender_index: the index + 1 of the sender of account id acct, 0 if none */
static uint32_t sender_index(struct senders *s, int64_t acct)
{
	uint32_t v = idtab_get(&s->byid, acct);

	return v == SENDER_SKIP ? 0 : v;
}

static struct sender *sender_get(struct senders *s, int64_t acct)
{
	uint32_t v = sender_index(s, acct);

	return v ? &s->v[v - 1] : NULL;
}

/* sender_make: account id acct seen first: its sender's index + 1, or
 * SENDER_SKIP (a local run's account that is not a person's login);
 * noted for the account's next entries */
static uint32_t sender_make(struct judge *c, struct senders *s, int64_t acct)
{
	uint32_t *slot;
	struct sender *x;

	if (s->local) {
		/* a local user's submissions (a login: no '@'), not cPanel's
		 * own jobs */
		const char *an = judge_name(c, 1, acct);

		if (strchr(an, '@') != NULL || localsub_user_kind(an, strlen(an)) !=
		    LOCALSUB_PERSON) {
			*idtab_slot(&s->byid, acct) = SENDER_SKIP;
			return SENDER_SKIP;
		}
	}
	if (s->n == s->cap) {
		s->cap = s->cap ? 2 * s->cap : 64;
		s->v = xreallocarray(s->v, s->cap, sizeof *s->v);
	}
	x = &s->v[s->n];
	memset(x, 0, sizeof *x);
	x->acct = acct;
	slot = idtab_slot(&s->byid, acct);
	*slot = (uint32_t)++s->n;
	return *slot;
}

/* nets_slot: the slot of network id in x->nets (empty if it is not
 * there): one word a slot, the id hashed by a multiply (ids are numbers
 * from 1, not adversarial) */
static uint64_t *nets_slot(const struct sender *x, uint32_t id)
{
	uint32_t mask = x->capnets - 1;
	uint32_t i = (uint32_t)(((uint64_t)(uint32_t)(id * 0x9e3779b1u) *
	    x->capnets) >> 32);
	while (x->nets[i] != 0 && (uint32_t)(x->nets[i] >> 32) != id)
		i = (i + 1) & mask;
	return &x->nets[i];
}

/* nets_rehash: x->nets of twice its size (at least 4 times NET_SCAN), for
 * x->net[] as it is */
static void nets_rehash(struct sender *x)
{
	size_t i;

	free(x->nets);
	x->capnets = x->capnets ? 2 * x->capnets : 4 * NET_SCAN;
	x->nets = xcalloc(x->capnets, sizeof *x->nets);
	for (i = 0; i < x->nnet; i++)
		*nets_slot(x, x->net[i].id) = (uint64_t)x->net[i].id << 32 |
		    (uint64_t)(i + 1);
}

/* sender_net: x's count of network id (judge_netid()), made if new: the
 * last one added to, or searched in turn while they are few, or hashed */
static struct snet *sender_net(struct judge *c, struct sender *x, uint32_t id)
{
	uint64_t *slot = NULL;
	size_t i;

	if (x->lastnet && x->net[x->lastnet - 1].id == id)
		return &x->net[x->lastnet - 1];
	if (x->nnet <= NET_SCAN) {
		for (i = 0; i < x->nnet; i++)
			if (x->net[i].id == id) {
				x->lastnet = i + 1;
				return &x->net[i];
			}
	} else {
		slot = nets_slot(x, id);
		if (*slot) {
			x->lastnet = (uint32_t)*slot;
			return &x->net[x->lastnet - 1];
		}
	}
	if (x->nnet == x->capnet) {
		x->capnet = x->capnet ? 2 * x->capnet : 4;
		x->net = xreallocarray(x->net, x->capnet, sizeof *x->net);
	}
	x->net[x->nnet].id = id;
	x->net[x->nnet].known = 0;
	x->net[x->nnet].n = 0;
	x->net[x->nnet].key = judge_netname(c, id);
	x->lastnet = ++x->nnet;
	if (x->nnet > NET_SCAN && x->nnet * 2 > x->capnets)
		nets_rehash(x);   /* half full at most (or past NET_SCAN) */
	else if (slot)
		*slot = (uint64_t)id << 32 | (uint64_t)x->nnet;
	return &x->net[x->nnet - 1];
}

static void sender_row(struct judge *c, void *arg, int64_t bucket, int64_t ip,
    int64_t acct, int64_t n)
{
	struct senders *s = arg;
	struct sender *x;
	uint32_t v;
	int64_t h;

	if (acct == 0)
		return;
	if ((v = idtab_get(&s->byid, acct)) == 0)
		v = sender_make(c, s, acct);
	if (v == SENDER_SKIP)
		return;
	x = &s->v[v - 1];
	if (x->n == 0 || bucket < x->first)
		x->first = bucket;
	if (bucket > x->last)
		x->last = bucket;
	x->n += n;
	/* the busiest clock hour, as the hours go by (no array of the
	 * window's hours per sender: 2,160 of them over 90 days) */
	h = s->one_hour ? 0 : bucket - bucket % HOUR;
	if (h != x->hour) {
		if (x->hour_n > x->peak)
			x->peak = x->hour_n;
		x->hour = h;
		x->hour_n = 0;
	}
	x->hour_n += n;
	if (!s->local && ip != 0) {
		uint32_t id = judge_netid(c, ip);

		if (id != 0)
			sender_net(c, x, id)->n += n;
	}
}


int judge_senders_feed(struct judge *c, struct judge_pass *p, struct senders *s)
{
	if (s->local)
		return judge_pass_add(c, p, "msg_in_local", sender_row, s,
		    JUDGE_HOURS);
	if (judge_pass_add(c, p, "msg_in_auth", sender_row, s, JUDGE_HOURS) < 0 ||
	    judge_pass_add(c, p, "bounced", asums_row, &s->fails, JUDGE_ANY) < 0 ||
	    judge_pass_add(c, p, "deferred", asums_row, &s->fails, JUDGE_ANY) < 0 ||
	    judge_pass_add(c, p, "sending_limit", asums_row, &s->limits,
	    JUDGE_ANY) < 0)
		return -1;
	return 0;
}

/* lower: s lower-cased into buf (cut) */
static size_t lower(const char *s, char *buf, size_t len)
{
	size_t i;

	for (i = 0; s[i] && i + 1 < len; i++)
		buf[i] = s[i] >= 'A' && s[i] <= 'Z' ? (char)(s[i] - 'A' + 'a') : s[i];
	buf[i] = '\0';
	return i;
}

/* index_names: the senders by account and by domain, for the limit hits
 * (which name either) */
static void index_names(struct judge *c, struct senders *s)
{
	char buf[512];
	size_t i, n;

	for (i = 0; i < s->n; i++) {
		const char *an = judge_name(c, 1, s->v[i].acct), *dom;
		uintptr_t head;

		n = lower(an, buf, sizeof buf);
		smap_put(&s->byname, buf, n, (void *)(uintptr_t)(i + 1));
		if ((dom = judge_domain(an)) == NULL)
			continue;
		n = lower(dom, buf, sizeof buf);
		head = (uintptr_t)smap_get(&s->bydom, buf, n);
		s->v[i].next_dom = (int64_t)head;
		smap_put(&s->bydom, buf, n, (void *)(uintptr_t)(i + 1));
	}
}

/* each_named: fn for every sender that an account or domain names */
static void each_named(struct judge *c, struct senders *s, int64_t acct,
    void (*fn)(struct sender *, int64_t), int64_t n)
{
	char buf[512];
	size_t k = lower(judge_name(c, 1, acct), buf, sizeof buf);
	uintptr_t i;

	if ((i = (uintptr_t)smap_get(&s->byname, buf, k)) != 0)
		fn(&s->v[i - 1], n);
	for (i = (uintptr_t)smap_get(&s->bydom, buf, k); i != 0;
	    i = (uintptr_t)s->v[i - 1].next_dom)
		fn(&s->v[i - 1], n);
}

static void add_limit(struct sender *x, int64_t n)
{
	x->limits += n;
}

static void add_limit_base(struct sender *x, int64_t n)
{
	if (x->candidate)
		x->limit_base += n;
}

/* the baseline: per candidate, its events per hour before the window */
struct base {
	struct senders *s;
	struct imap hours;        /* (sender index, hour) -> counts[] */
	int64_t *count;
	size_t n, cap;
	uint32_t *who;
	struct imap named;        /* limit hits: account id -> 2 names a
	                           * candidate, 1 not */
	int which;                /* 0 messages, 1 failures, 2 limit hits */
};

static void count_candidate(struct sender *x, int64_t hit)
{
	if (x->candidate)
		*(int64_t *)(intptr_t)hit += 1;
}

static void base_row(struct judge *c, void *arg, int64_t bucket, int64_t ip,
    int64_t acct, int64_t n)
{
	struct base *b = arg;
	uint32_t *slot, sx;

	(void)ip;
	if (b->which == 2) {
		/* limit hits name a domain or a sender: any candidate's (a
		 * week of hits names few of them: asked once per name) */
		slot = imap_find(&b->named, (uint64_t)acct, 0);
		if (*slot == 0) {
			int64_t hit = 0;

			each_named(c, b->s, acct, count_candidate,
			    (int64_t)(intptr_t)&hit);
			*slot = hit ? 2 : 1;
			b->named.n++;
		}
		if (*slot == 2)
			each_named(c, b->s, acct, add_limit_base, n);
		return;
	}
	if ((sx = sender_index(b->s, acct)) == 0 || !b->s->v[sx - 1].candidate)
		return;
	slot = imap_find(&b->hours, sx, (uint64_t)(bucket - bucket % HOUR));
	if (*slot == 0) {
		if (b->n == b->cap) {
			b->cap = b->cap ? 2 * b->cap : 256;
			b->count = xreallocarray(b->count, b->cap, sizeof *b->count);
			b->who = xreallocarray(b->who, b->cap, sizeof *b->who);
		}
		b->count[b->n] = 0;
		b->who[b->n] = sx;
		*slot = (uint32_t)++b->n;
		b->hours.n++;
	}
	b->count[*slot - 1] += n;
}

static int has_candidate(const struct senders *s)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		if (s->v[i].candidate)
			break;
	return i < s->n;
}

/* base_finish: the median of each candidate's active hours (hours with
 * events) in the baseline days before the window, into base (which 0) or
 * fail_base (which 1); base_hours too.  The limit hits (which 2) are
 * summed as they are read. */
static void base_finish(struct base *b)
{
	struct senders *s = b->s;
	int64_t **per;
	size_t *nper, i;

	if (b->which == 2 || s->n == 0)
		return;
	per = xcalloc(s->n, sizeof *per);
	nper = xcalloc(s->n, sizeof *nper);
	for (i = 0; i < b->n; i++) {
		size_t w = b->who[i] - 1;

		per[w] = xreallocarray(per[w], nper[w] + 1, sizeof *per[w]);
		per[w][nper[w]++] = b->count[i];
	}
	for (i = 0; i < s->n; i++) {
		int64_t med = 0;

		if (nper[i]) {
			qsort(per[i], nper[i], sizeof *per[i], judge_cmp_i64);
			med = per[i][nper[i] / 2];
		}
		if (b->which == 0) {
			s->v[i].base = med;
			s->v[i].base_hours = (int64_t)nper[i];
		} else {
			s->v[i].fail_base = med;
		}
		free(per[i]);
	}
	free(per);
	free(nper);
}

static void base_release(struct base *b)
{
	imap_release(&b->hours);
	imap_release(&b->named);
	free(b->count);
	free(b->who);
}

/* judge_senders_ready: after the window is read: each sender's busiest hour,
 * its failures and limit hits, and whether it is a candidate (enough
 * volume, networks or failures to matter) */
void judge_senders_ready(struct judge *c, struct senders *s)
{
	const struct diagconf *cf = c->cf;
	size_t i;

	if (!s->local) {
		index_names(c, s);
		for (i = 0; i < s->fails.n; i++) {
			struct sender *x = sender_get(s, s->fails.v[i].acct);

			if (x)
				x->fails += s->fails.v[i].n;
		}
		for (i = 0; i < s->limits.n; i++)
			each_named(c, s, s->limits.v[i].acct, add_limit,
			    s->limits.v[i].n);
	}
	for (i = 0; i < s->n; i++) {
		struct sender *x = &s->v[i];

		if (x->hour_n > x->peak)
			x->peak = x->hour_n;
		x->candidate = x->peak >= cf->volume_min ||
		    (int64_t)x->nnet >= cf->new_networks;
	}
}

/* judge_senders_baselines: the candidates' events before the window (one pass over
 * the baseline days for both kinds of senders) */
int judge_senders_baselines(struct judge *c, struct senders *sa,
    struct senders *sl)
{
	struct base b[4];
	struct judge_pass p;
	int64_t from = (int64_t)c->in->since - c->cf->baseline_days * 86400;
	size_t i;
	int rc = 0;

	memset(b, 0, sizeof b);
	memset(&p, 0, sizeof p);
	/* per clock hour from the hourly rollups: the same as the minutes */
	p.coarse = 1;
	b[0].s = b[1].s = b[2].s = sa;
	b[3].s = sl;
	b[1].which = 1;
	b[2].which = 2;
	if (has_candidate(sa) && (judge_pass_add(c, &p, "msg_in_auth", base_row,
	    &b[0], JUDGE_HOURS) < 0 || judge_pass_add(c, &p, "bounced", base_row,
	    &b[1], JUDGE_HOURS) < 0 || judge_pass_add(c, &p, "deferred", base_row,
	    &b[1], JUDGE_HOURS) < 0 || judge_pass_add(c, &p, "sending_limit",
	    base_row, &b[2], JUDGE_ANY) < 0))
		rc = -1;
	if (rc == 0 && has_candidate(sl) && judge_pass_add(c, &p, "msg_in_local",
	    base_row, &b[3], JUDGE_HOURS) < 0)
		rc = -1;
	if (rc == 0 && (rc = judge_pass_run(c, &p, from, c->in->since)) == 0)
		for (i = 0; i < 4; i++)
			if (b[i].s->n && has_candidate(b[i].s))
				base_finish(&b[i]);
	for (i = 0; i < 4; i++)
		base_release(&b[i]);
	return rc;
}

static int cmp_net(const void *x, const void *y)
{
	const struct snet *a = x, *b = y;

	if (a->n != b->n)
		return a->n > b->n ? -1 : 1;
	return strcmp(a->key, b->key);
}

/* ev_values: "key": [{"value": v, "n": n}, ...] of an evidence query (none
 * in a brief run: a list of findings does not show them) */
static void ev_values(struct judge *c, struct sbuf *ev, struct sbuf *sum,
    const char *key, const char *label, enum evidence_kind kind,
    const char *subject)
{
	struct evidence_value *v;
	size_t n, i;
	int64_t total;

	if (c->in->brief)
		return;   /* not in what a list shows */
	if (evidence_query(c->s, kind, subject, c->in->since, c->in->until, 3,
	    &v, &n, &total) < 0) {
		c->failed = 1;
		return;
	}
	sbuf_addf(ev, ", \"%s\": [", key);
	for (i = 0; i < n; i++) {
		sbuf_adds(ev, i ? ", {\"value\": " : "{\"value\": ");
		json_cstr(ev, v[i].value);
		sbuf_addf(ev, ", \"n\": %" PRId64 "}", v[i].n);
	}
	sbuf_adds(ev, "]");
	if (n > 0 && label) {
		sbuf_addf(sum, "; %s", label);
		for (i = 0; i < n; i++)
			sbuf_addf(sum, "%s%s%s%s (%" PRId64 ")", i ? ", " : " ",
			    kind == EVK_SUBJECT ? "\"" : "", v[i].value,
			    kind == EVK_SUBJECT ? "\"" : "", v[i].n);
	}
	evidence_values_free(v, n);
}

/* judge_senders: the senders of the window (read, ready and compared
 * with their baselines): compromised_account, or script_spam (local) */
int judge_senders(struct judge *c, struct senders *s)
{
	const struct diagconf *cf = c->cf;
	int64_t span = (int64_t)(c->in->until - c->in->since);
	int local = s->local;
	size_t i, j;
	int rc = -1;

	for (i = 0; i < s->n; i++) {
		struct sender *x = &s->v[i];
		const char *acct = judge_name(c, 1, x->acct);
		int64_t newn = 0, knownn = 0;
		int s_net = 0, s_vol, s_fail = 0, hist;
		struct sbuf ev, sum;
		char t[NETADDR_STRLEN * 3 + 16];

		if (!x->candidate)
			continue;
		/* which of its networks are new for it (the busiest first;
		 * enough of them to judge and to list) */
		if (!local) {
			qsort(x->net, x->nnet, sizeof *x->net, cmp_net);
			for (j = 0; j < x->nnet && newn < (cf->new_networks >
			    LIST_MAX ? cf->new_networks : LIST_MAX); j++) {
				struct netaddr na;
				struct kc_info info;
				int r;

				netaddr_parse(x->net[j].key, strlen(x->net[j].key), &na);
				if ((r = knownclients_lookup(c->kc, &na, acct, c->in->since,
				    0, &info)) < 0)
					goto out;
				x->net[j].known = r > 0 ? 1 : -1;
				if (r > 0)
					knownn++;
				else
					newn++;
			}
		}
		hist = x->base_hours > 0 || knownn > 0;
		if (!local)
			s_net = newn >= cf->new_networks && (hist ||
			    x->peak >= cf->volume_min);
		s_vol = x->peak >= cf->volume_min && (local ? x->peak >=
		    cf->volume_factor * x->base : x->base > 0 && x->peak >=
		    cf->volume_factor * x->base);
		if (!local)
			s_fail = x->peak >= cf->volume_min && ((x->fails >=
			    cf->failures_min && x->fails >= cf->volume_factor *
			    x->fail_base) || (x->limits > 0 && x->limit_base == 0));
		if (!(s_net || s_vol || s_fail))
			continue;
		sbuf_init(&ev);
		sbuf_init(&sum);
		sbuf_addf(&ev, "{\"messages\": %" PRId64 ", \"peak_hour\": %" PRId64
		    ", \"baseline_hour\": %" PRId64 ", \"baseline_days\": %" PRId64,
		    x->n, x->peak, x->base, cf->baseline_days);
		if (local) {
			sbuf_addf(&sum, "%" PRId64 " local submissions", x->n);
			if (span > HOUR)
				sbuf_addf(&sum, " (%" PRId64 " in its busiest hour)",
				    x->peak);
			sbuf_addf(&sum, "; usual: %" PRId64 " an hour", x->base);
		} else {
			sbuf_addf(&ev, ", \"signals\": [%s%s%s]", s_net ?
			    "\"new_networks\"" : "", s_vol ? (s_net ?
			    ", \"volume\"" : "\"volume\"") : "", s_fail ? (s_net ||
			    s_vol ? ", \"failures\"" : "\"failures\"") : "");
			sbuf_addf(&ev, ", \"networks\": %zu, \"new_networks\": [",
			    x->nnet);
			sbuf_addf(&sum, "%" PRId64 " messages from %zu network%s",
			    x->n, x->nnet, x->nnet == 1 ? "" : "s");
			if (newn)
				sbuf_addf(&sum, ", %" PRId64 "%s new for it (", newn,
				    (size_t)(newn + knownn) < x->nnet ? "+" : "");
			for (j = 0, newn = 0; j < x->nnet; j++) {
				if (x->net[j].known != -1)
					continue;
				sbuf_adds(&ev, newn ? ", {\"network\": " :
				    "{\"network\": ");
				json_cstr(&ev, x->net[j].key);
				sbuf_addf(&ev, ", \"n\": %" PRId64 "}", x->net[j].n);
				if (newn < 3)
					sbuf_addf(&sum, "%s%s", newn ? ", " : "",
					    x->net[j].key);
				newn++;
			}
			if (newn)
				sbuf_adds(&sum, newn > 3 ? ", ...)" : ")");
			sbuf_adds(&ev, "]");
			sbuf_addf(&ev, ", \"bounces_deferrals\": %" PRId64
			    ", \"baseline_bounces_deferrals\": %" PRId64
			    ", \"sending_limit_hits\": %" PRId64, x->fails,
			    x->fail_base, x->limits);
			snprintf(t, sizeof t, "; %" PRId64 " in its busiest hour, "
			    "usual %" PRId64, x->peak, x->base);
			sbuf_adds(&sum, t);
			if (x->fails)
				sbuf_addf(&sum, "; %" PRId64 " bounced or deferred",
				    x->fails);
			if (x->limits)
				sbuf_addf(&sum, "; %" PRId64 " sending-limit hits",
				    x->limits);
		}
		ev_values(c, &ev, &sum, "top_recipient_domains", local ? NULL :
		    "to", EVK_RCPT_DOMAIN, acct);
		ev_values(c, &ev, &sum, "subjects", local ? NULL : "subjects",
		    EVK_SUBJECT, acct);
		if (local) {
			ev_values(c, &ev, &sum, "script_directories", "from",
			    EVK_CWD, acct);
			ev_values(c, &ev, &sum, "senders", "senders",
			    EVK_SCRIPT_SENDER, acct);
		}
		judge_ev_time(&ev, "first", x->first);
		judge_ev_time(&ev, "last", x->last);
		sbuf_adds(&ev, "}");
		if (local) {
			const char *o = judge_owner(c, acct);

			judge_add(c, FK_SCRIPT_SPAM, NULL, NULL, o ? o : acct, NULL, x->n,
			    x->first, x->last, &ev, &sum);
		} else {
			judge_add(c, FK_COMPROMISED_ACCOUNT, NULL, acct, judge_owner(c, acct),
			    NULL, x->n, x->first, x->last, &ev, &sum);
		}
		sbuf_release(&ev);
		sbuf_release(&sum);
	}
	rc = c->failed ? -1 : 0;
out:
	return rc;
}
