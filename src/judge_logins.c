/* judge_logins: stale_password and brute_force, from the failed logins
 * (see judge.h) */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hash.h"
#include "json.h"
#include "judge.h"
#include "xmalloc.h"

struct unit {                     /* the failures of one stale subject */
	int64_t acct;
	char key[NETADDR_STRLEN];     /* address, or network CIDR */
	int by_net;
	int64_t n, first, last, last_ok, login_n;
	int64_t *min;
	size_t nmin, capmin;
	char addrs[LIST_MAX][NETADDR_STRLEN];
	size_t naddrs;
};

struct attacker {
	int64_t ip;
	char key[NETADDR_STRLEN];     /* address or network */
	int64_t n, first, last;
	size_t naddr;
	struct { int64_t acct, n; } acct[LIST_MAX];
	size_t nacct, acct_total;
};

static void attacker_account(struct attacker *a, int64_t acct, int64_t n)
{
	size_t i;

	for (i = 0; i < a->nacct; i++)
		if (a->acct[i].acct == acct) {
			a->acct[i].n += n;
			return;
		}
	a->acct_total++;
	if (a->nacct < LIST_MAX) {
		a->acct[a->nacct].acct = acct;
		a->acct[a->nacct++].n = n;
	}
}

/* rhythm: the median gap in minutes between failing minutes */
static int64_t rhythm(int64_t *m, size_t n)
{
	int64_t *gap;
	size_t i, k = 0;
	int64_t med;

	if (n < 2)
		return 0;
	qsort(m, n, sizeof *m, judge_cmp_i64);
	gap = xcalloc(n, sizeof *gap);
	for (i = 1; i < n; i++)
		if (m[i] != m[i - 1])
			gap[k++] = (m[i] - m[i - 1]) / 60;
	if (k == 0) {
		free(gap);
		return 0;
	}
	qsort(gap, k, sizeof *gap, judge_cmp_i64);
	med = gap[k / 2];
	free(gap);
	return med;
}

static int cmp_attacker(const void *x, const void *y)
{
	const struct attacker *a = x, *b = y;

	return strcmp(a->key, b->key);
}

static void attack_finding(struct judge *c, struct attacker *a)
{
	struct sbuf ev, sum;
	size_t i;

	sbuf_init(&ev);
	sbuf_init(&sum);
	if (c->in->brief) {
		/* what a list shows: no names of the accounts tried */
		judge_add(c, FK_BRUTE_FORCE, a->key, NULL, NULL, NULL, a->n,
		    a->first, a->last, &ev, &sum);
		goto out;
	}
	sbuf_addf(&ev, "{\"failures\": %" PRId64 ", \"accounts_tried\": %zu, "
	    "\"accounts\": [", a->n, a->acct_total);
	sbuf_addf(&sum, "%" PRId64 " failed logins for %zu account%s (", a->n,
	    a->acct_total, a->acct_total == 1 ? "" : "s");
	for (i = 0; i < a->nacct; i++) {
		const char *an = judge_name(c, 1, a->acct[i].acct);

		sbuf_adds(&ev, i ? ", {\"account\": " : "{\"account\": ");
		json_cstr(&ev, an[0] ? an : "(none)");
		sbuf_addf(&ev, ", \"failures\": %" PRId64 "}", a->acct[i].n);
		if (i < 3)
			sbuf_addf(&sum, "%s%s", i ? ", " : "", an[0] ? an : "(none)");
	}
	if (a->acct_total > 3)
		sbuf_adds(&sum, ", ...");
	sbuf_addf(&ev, "], \"addresses\": %zu, \"never_logged_in\": true",
	    a->naddr);
	judge_ev_time(&ev, "first_failure", a->first);
	judge_ev_time(&ev, "last_failure", a->last);
	sbuf_adds(&ev, "}");
	sbuf_addf(&sum, "); %s never logged in", a->naddr > 1 ?
	    "the network" : "the address");
	judge_add(c, FK_BRUTE_FORCE, a->key, NULL, NULL, NULL, a->n, a->first, a->last,
	    &ev, &sum);
out:
	sbuf_release(&ev);
	sbuf_release(&sum);
}

static void stale_finding(struct judge *c, struct unit *u)
{
	struct sbuf ev, sum;
	const char *acct = judge_name(c, 1, u->acct);
	char t1[32], t2[32];
	int64_t every;
	size_t i;

	sbuf_init(&ev);
	sbuf_init(&sum);
	if (c->in->brief) {
		/* what a list shows: no rhythm (a brief read has no minutes) */
		judge_add(c, FK_STALE_PASSWORD, u->key, acct, judge_owner(c, acct),
		    NULL, u->n, u->first, u->last, &ev, &sum);
		goto out;
	}
	every = rhythm(u->min, u->nmin);
	sbuf_addf(&ev, "{\"failures\": %" PRId64 ", \"known_by\": \"%s\"", u->n,
	    u->by_net ? "network" : "address");
	judge_ev_time(&ev, "last_success", u->last_ok);
	sbuf_addf(&ev, ", \"logins_before\": %" PRId64, u->login_n);
	judge_ev_time(&ev, "first_failure", u->first);
	judge_ev_time(&ev, "last_failure", u->last);
	sbuf_addf(&ev, ", \"failing_minutes\": %zu, \"every_minutes\": %" PRId64,
	    u->nmin, every);
	sbuf_adds(&ev, ", \"addresses\": [");
	for (i = 0; i < u->naddrs; i++) {
		sbuf_adds(&ev, i ? ", " : "");
		json_cstr(&ev, u->addrs[i]);
	}
	sbuf_adds(&ev, "]}");
	sbuf_addf(&sum, "%" PRId64 " failed logins from %s %s, where it last "
	    "logged in on %s", u->n, u->by_net ? "the network" : "the address",
	    u->key, judge_hm(u->last_ok, t1, sizeof t1));
	if (every > 0)
		sbuf_addf(&sum, "; about every %" PRId64 " min since %s", every,
		    judge_hm(u->first, t2, sizeof t2));
	judge_add(c, FK_STALE_PASSWORD, u->key, acct, judge_owner(c, acct), NULL, u->n,
	    u->first, u->last, &ev, &sum);
out:
	sbuf_release(&ev);
	sbuf_release(&sum);
}

/* judge_logins: the failed logins of the window (pairs of auth_failed) */
int judge_logins(struct judge *c, const struct pairs *p)
{
	struct unit *u = NULL;
	struct attacker *at = NULL, *nw = NULL;
	size_t nu = 0, nat = 0, nnw = 0, capu = 0, capat = 0, capnw = 0, i, j;
	struct imap um, am, nm;
	int rc = 0;

	memset(&um, 0, sizeof um);
	memset(&am, 0, sizeof am);
	memset(&nm, 0, sizeof nm);
	for (i = 0; i < p->n; i++) {
		const struct pair *pr = &p->v[i];
		const char *ip = judge_name(c, 0, pr->ip), *nk = judge_netkey(c, pr->ip), *acct;
		struct kc_info info;
		uint32_t *slot;
		int k = 0;

		if (ip[0] == '\0' || nk[0] == '\0')
			continue;   /* no trusted client address */
		/* is the network anybody's client?  If not, no pair in it is
		 * (one lookup per network, not per pair) */
		slot = imap_find(&nm, hash_bytes(0, nk, strlen(nk)), 1);
		if (*slot == 0) {
			struct kc_info any;
			struct netaddr net;
			int r;

			netaddr_parse(nk, strlen(nk), &net);
			if ((r = knownclients_lookup(c->kc, &net, NULL, c->in->until, 0,
			    &any)) < 0)
				goto fail;
			*slot = (uint32_t)r + 1;
			nm.n++;
		}
		/* the account's name only where it is asked for: a long window
		 * of password guessing has a new account in most pairs */
		acct = *slot == 2 ? judge_name(c, 1, pr->acct) : "";
		if (*slot == 2 && acct[0] && (k = judge_known(c, ip, acct, &info)) < 0)
			goto fail;
		if (k > 0) {
			/* a known client of the account: helpdesk */
			char key[NETADDR_STRLEN];
			struct unit *x;

			snprintf(key, sizeof key, "%s", k == 2 ? ip : nk);
			slot = imap_find(&um, hash_bytes(0, key, strlen(key)),
			    (uint64_t)pr->acct);
			if (*slot == 0) {
				u = judge_grow(u, nu, &capu, sizeof *u);
				memset(&u[nu], 0, sizeof u[nu]);
				u[nu].acct = pr->acct;
				snprintf(u[nu].key, sizeof u[nu].key, "%s", key);
				u[nu].by_net = k == 1;
				u[nu].first = pr->first;
				*slot = (uint32_t)++nu;
				um.n++;
			}
			x = &u[*slot - 1];
			x->n += pr->n;
			if (pr->first < x->first)
				x->first = pr->first;
			if (pr->last > x->last)
				x->last = pr->last;
			if (info.last_seen > x->last_ok)
				x->last_ok = info.last_seen;
			x->login_n += info.n;
			if (x->naddrs < LIST_MAX)
				snprintf(x->addrs[x->naddrs++], NETADDR_STRLEN, "%s", ip);
			for (j = pr->min_head; j != 0; j = p->min[j - 1].next) {
				if (x->nmin == x->capmin) {
					x->capmin = x->capmin ? 2 * x->capmin : 8;
					x->min = xreallocarray(x->min, x->capmin,
					    sizeof *x->min);
				}
				x->min[x->nmin++] = p->min[j - 1].bucket;
			}
			continue;
		}
		/* an address that ever logged in (as anybody) is no attacker */
		if (*slot == 2) {
			struct netaddr a;
			int r;

			netaddr_parse_ip(ip, strlen(ip), &a);
			if ((r = knownclients_lookup(c->kc, &a, NULL, c->in->until, 0,
			    &info)) < 0)
				goto fail;
			if (r > 0)
				continue;
		}
		slot = imap_find(&am, (uint64_t)pr->ip, 0);
		if (*slot == 0) {
			at = judge_grow(at, nat, &capat, sizeof *at);
			memset(&at[nat], 0, sizeof at[nat]);
			at[nat].ip = pr->ip;
			snprintf(at[nat].key, sizeof at[nat].key, "%s", ip);
			at[nat].first = pr->first;
			at[nat].naddr = 1;
			*slot = (uint32_t)++nat;
			am.n++;
		}
		{
			struct attacker *x = &at[*slot - 1];

			x->n += pr->n;
			if (pr->first < x->first)
				x->first = pr->first;
			if (pr->last > x->last)
				x->last = pr->last;
			attacker_account(x, pr->acct, pr->n);
		}
	}
	for (i = 0; i < nu; i++)
		if (u[i].n >= c->cf->stale_min)
			stale_finding(c, &u[i]);
	/* addresses over the limit; the others summed per network (two or
	 * more addresses of a network that never logged in) */
	if (nat > 0)                  /* at is NULL when there are none */
		qsort(at, nat, sizeof *at, cmp_attacker);
	imap_release(&nm);
	memset(&nm, 0, sizeof nm);
	for (i = 0; i < nat; i++) {
		struct netaddr na;
		char nk[NETADDR_STRLEN];
		uint32_t *slot;
		struct attacker *x;

		if (at[i].n >= c->cf->brute_min) {
			attack_finding(c, &at[i]);
			continue;
		}
		if (!judge_network(at[i].key, &na, nk, sizeof nk))
			continue;
		slot = imap_find(&nm, hash_bytes(0, nk, strlen(nk)), 2);
		if (*slot == 0) {
			nw = judge_grow(nw, nnw, &capnw, sizeof *nw);
			memset(&nw[nnw], 0, sizeof nw[nnw]);
			snprintf(nw[nnw].key, sizeof nw[nnw].key, "%s", nk);
			nw[nnw].first = at[i].first;
			*slot = (uint32_t)++nnw;
			nm.n++;
		}
		x = &nw[*slot - 1];
		x->naddr++;
		x->n += at[i].n;
		if (at[i].first < x->first)
			x->first = at[i].first;
		if (at[i].last > x->last)
			x->last = at[i].last;
		for (j = 0; j < at[i].nacct; j++)
			attacker_account(x, at[i].acct[j].acct, at[i].acct[j].n);
	}
	for (i = 0; i < nnw; i++) {
		struct netaddr na;
		struct kc_info info;
		int r;

		if (nw[i].naddr < 2 || nw[i].n < c->cf->brute_min)
			continue;
		netaddr_parse(nw[i].key, strlen(nw[i].key), &na);
		if ((r = knownclients_lookup(c->kc, &na, NULL, c->in->until, 0,
		    &info)) < 0)
			goto fail;
		if (r == 0)
			attack_finding(c, &nw[i]);
	}
	goto out;
fail:
	rc = -1;
out:
	for (i = 0; i < nu; i++)
		free(u[i].min);
	free(u);
	free(at);
	free(nw);
	imap_release(&um);
	imap_release(&am);
	imap_release(&nm);
	return rc;
}
