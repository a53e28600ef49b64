/* judge_clients: client_needs_tls and client_not_authenticating, from the
 * refused submissions; missing_localdomains and stale_mx, from the
 * evidence (see judge.h) */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "domainlist.h"
#include "json.h"
#include "judge.h"
#include "owners.h"

struct kc_domain {
	const char *domain;
	int64_t before, after;
	int found;
};

static int same_domain_cb(void *arg, const struct kc_row *r)
{
	struct kc_domain *d = arg;
	const char *dom = judge_domain(r->account);

	if (dom && strcasecmp(dom, d->domain) == 0 && r->first_seen < d->before &&
	    r->last_seen >= d->after) {
		d->found = 1;
		return 1;
	}
	return 0;
}

/* known_of_domain: ip (or its network) is a client of an account of the
 * domain; 1, 0, -1 */
static int known_of_domain(struct judge *c, const char *ip, const char *domain)
{
	struct netaddr net;
	struct kc_domain d;
	char nk[NETADDR_STRLEN];

	if (domain == NULL || !judge_network(ip, &net, nk, sizeof nk))
		return 0;
	d.domain = domain;
	d.before = c->in->since;
	d.after = (int64_t)c->in->since - c->cf->known_client_days * 86400;
	d.found = 0;
	if (knownclients_each(c->kc, &net, NULL, same_domain_cb, &d) < 0)
		return -1;
	return d.found;
}

/* judge_clients: the refused submissions of the window (pairs of the
 * class of finding k) */
int judge_clients(struct judge *c, const struct pairs *p,
    enum finding_kind k)
{
	size_t i;
	int rc = 0;

	if (c->in->owners == NULL)
		return 0;   /* which domains are hosted here is not known */
	for (i = 0; i < p->n; i++) {
		const struct pair *pr = &p->v[i];
		const char *ip = judge_name(c, 0, pr->ip), *acct = judge_name(c, 1, pr->acct);
		const char *owner = judge_owner(c, acct), *dom = judge_domain(acct);
		struct kc_info info;
		struct sbuf ev, sum;
		int kn = 0, kd = 0;

		/* a sender of a domain hosted here, from a real address */
		if (ip[0] == '\0' || owner == NULL || dom == NULL)
			continue;
		if ((kn = judge_known(c, ip, acct, &info)) < 0 ||
		    (kn == 0 && (kd = known_of_domain(c, ip, dom)) < 0)) {
			rc = -1;
			break;
		}
		/* a relay refusal is the customer's only from a known client:
		 * anybody can forge a hosted sender */
		if (k == FK_CLIENT_NOT_AUTHENTICATING && kn == 0 && kd == 0)
			continue;
		sbuf_init(&ev);
		sbuf_init(&sum);
		if (c->in->brief)
			goto add;   /* a list shows no evidence */
		sbuf_addf(&ev, "{\"refused\": %" PRId64 ", \"known_client\": %s",
		    pr->n, kn == 2 ? "\"address\"" : kn == 1 ? "\"network\"" :
		    kd ? "\"domain\"" : "false");
		if (kn > 0) {
			judge_ev_time(&ev, "last_success", info.last_seen);
		}
		judge_ev_time(&ev, "first", pr->first);
		judge_ev_time(&ev, "last", pr->last);
		sbuf_adds(&ev, "}");
		if (k == FK_CLIENT_NEEDS_TLS)
			sbuf_addf(&sum, "%" PRId64 " message%s refused on 587 without "
			    "AUTH; %s", pr->n, pr->n == 1 ? "" : "s", kn == 2 ?
			    "the address logged in as the account before" : kn == 1 ?
			    "its network logged in as the account before" : kd ?
			    "its network logged in for the domain before" :
			    "the address never logged in as the account");
		else
			sbuf_addf(&sum, "%" PRId64 " relay refusal%s: the client does "
			    "not log in; %s", pr->n, pr->n == 1 ? "" : "s", kn == 2 ?
			    "the address logged in as the account before" : kn == 1 ?
			    "its network logged in as the account before" :
			    "its network logged in for the domain before");
add:
		judge_add(c, k, ip, acct, owner, NULL, pr->n, pr->first, pr->last, &ev,
		    &sum);
		sbuf_release(&ev);
		sbuf_release(&sum);
	}
	return rc;
}

/* ---- missing_localdomains, stale_mx ------------------------------------- */

int judge_domains(struct judge *c, enum evidence_kind kind,
    enum finding_kind k)
{
	struct evidence_value *v;
	size_t n, i;
	int64_t total;

	if (k == FK_MISSING_LOCALDOMAINS && (c->in->owners == NULL ||
	    c->in->local == NULL))
		return 0;
	if (evidence_query(c->s, kind, "", c->in->since, c->in->until, 0, &v, &n,
	    &total) < 0)
		return -1;
	for (i = 0; i < n; i++) {
		const char *dom = v[i].value;
		size_t dl = strlen(dom);
		const char *owner = c->in->owners ? owners_lookup(c->in->owners,
		    dom, dl) : NULL;
		struct sbuf ev, sum;
		int64_t first = 0, last = 0;

		if (k == FK_MISSING_LOCALDOMAINS && (owner == NULL ||
		    domainlist_has(c->in->local, dom, dl) ||
		    domainlist_has(c->in->remote, dom, dl)))
			continue;
		/* the first and last refusals: not in what a list shows */
		if (!c->in->brief && evidence_span(c->s, kind, dom, c->in->since,
		    c->in->until, &first, &last) < 0) {
			evidence_values_free(v, n);
			return -1;
		}
		sbuf_init(&ev);
		sbuf_init(&sum);
		sbuf_addf(&ev, "{\"refused\": %" PRId64, v[i].n);
		if (k == FK_MISSING_LOCALDOMAINS) {
			sbuf_adds(&ev, ", \"in_userdomains\": true, "
			    "\"in_localdomains\": false, \"in_remotedomains\": false");
			sbuf_addf(&sum, "%" PRId64 " message%s for %s refused as relay: "
			    "hosted here (cPanel user %s) but not in localdomains",
			    v[i].n, v[i].n == 1 ? "" : "s", dom, owner);
		} else {
			sbuf_addf(&sum, "%" PRId64 " of our message%s to %s refused by "
			    "the next server as relay", v[i].n, v[i].n == 1 ? "" : "s",
			    dom);
		}
		judge_ev_time(&ev, "first", first);
		judge_ev_time(&ev, "last", last);
		sbuf_adds(&ev, "}");
		judge_add(c, k, NULL, NULL, k == FK_MISSING_LOCALDOMAINS ? owner : NULL,
		    dom, v[i].n, first, last, &ev, &sum);
		sbuf_release(&ev);
		sbuf_release(&sum);
	}
	evidence_values_free(v, n);
	return 0;
}
