/* diagnose: the judgments (see diagnose.h)
 *
 * One pass over the per-minute counts of the window for every class the
 * judgments read (judge.h), aggregated in memory by (address, account)
 * pair, by account or by network; then each judgment (judge_logins.c,
 * judge_clients.c, judge_senders.c) asks the known clients (index ranges)
 * and, for the candidates only, the baseline before the window (one more
 * pass). */
#include <stdlib.h>
#include <string.h>

#include "diagnose.h"
#include "judge.h"

static const char *const kind_names[FK_N] = {
	[FK_STALE_PASSWORD] = "stale_password",
	[FK_CLIENT_NEEDS_TLS] = "client_needs_tls",
	[FK_CLIENT_NOT_AUTHENTICATING] = "client_not_authenticating",
	[FK_MISSING_LOCALDOMAINS] = "missing_localdomains",
	[FK_STALE_MX] = "stale_mx",
	[FK_BRUTE_FORCE] = "brute_force",
	[FK_COMPROMISED_ACCOUNT] = "compromised_account",
	[FK_SCRIPT_SPAM] = "script_spam",
};

static const enum verdict kind_verdicts[FK_N] = {
	[FK_STALE_PASSWORD] = VERDICT_HELPDESK,
	[FK_CLIENT_NEEDS_TLS] = VERDICT_HELPDESK,
	[FK_CLIENT_NOT_AUTHENTICATING] = VERDICT_HELPDESK,
	[FK_MISSING_LOCALDOMAINS] = VERDICT_CONFIG,
	[FK_STALE_MX] = VERDICT_CONFIG,
	[FK_BRUTE_FORCE] = VERDICT_ATTACK,
	[FK_COMPROMISED_ACCOUNT] = VERDICT_ABUSE,
	[FK_SCRIPT_SPAM] = VERDICT_ABUSE,
};

static const char *const remedies[FK_N] = {
	[FK_STALE_PASSWORD] = "A device or mail client of the customer still has "
	    "an old password saved (the failures come from where the mailbox "
	    "logged in before). Ask the customer to update the password on every "
	    "device (phone, tablet, laptop), or reset it in cPanel > Email "
	    "Accounts; do not block the address.",
	[FK_CLIENT_NEEDS_TLS] = "The mail client sends on port 587 without "
	    "logging in. Set it to \"My outgoing server (SMTP) requires "
	    "authentication\" with STARTTLS on 587 (or SSL/TLS on 465). With WHM "
	    "> Exim Configuration Manager \"Require clients to connect with SSL "
	    "or issue the STARTTLS command before they are allowed to "
	    "authenticate\", a client without TLS is never offered AUTH.",
	[FK_CLIENT_NOT_AUTHENTICATING] = "The customer's mail client sends "
	    "without logging in, so the server refuses to relay. Turn on \"My "
	    "outgoing server (SMTP) requires authentication\", with the full "
	    "email address and its password.",
	[FK_MISSING_LOCALDOMAINS] = "The domain is hosted here but missing from "
	    "/etc/localdomains, so Exim takes its incoming mail for relaying and "
	    "refuses it. Set cPanel > Email Routing to \"Local Mail Exchanger\" "
	    "(or add the domain to /etc/localdomains), then run "
	    "/scripts/updateuserdomains.",
	[FK_STALE_MX] = "The next server refuses our mail for this domain as "
	    "relaying: after a migration its MX still points to the old server, "
	    "or the old server still has it in /etc/localdomains. Check `dig MX "
	    "DOMAIN`, cPanel > Email Routing and /etc/remotedomains here, and the "
	    "old server's routing.",
	[FK_BRUTE_FORCE] = "Password guessing from an address that never logged "
	    "in: block it (cPHulk, CSF/LFD or the firewall) and make sure the "
	    "accounts tried have strong passwords.",
	[FK_COMPROMISED_ACCOUNT] = "The mailbox is most likely compromised: "
	    "change its password in cPanel > Email Accounts now, suspend its "
	    "outgoing mail until it is clean, remove its spam from the queue "
	    "(WHM > Mail Queue Manager), and check the customer's devices for "
	    "malware.",
	[FK_SCRIPT_SPAM] = "A script of this cPanel user sends mail in bulk, "
	    "usually a hacked contact form or plugin: look at the directory in "
	    "the evidence, update or remove the script, and remove its spam from "
	    "the queue (WHM > Mail Queue Manager). WHM > Tweak Settings \"Prevent "
	    "nobody from sending mail\" stops scripts that bypass the account.",
};

const char *finding_kind_name(enum finding_kind k)
{
	return (unsigned)k < FK_N ? kind_names[k] : "?";
}

enum verdict finding_verdict(enum finding_kind k)
{
	return (unsigned)k < FK_N ? kind_verdicts[k] : VERDICT_HELPDESK;
}

const char *finding_remedy(enum finding_kind k)
{
	return (unsigned)k < FK_N ? remedies[k] : "";
}

void findings_release(struct findings *f)
{
	size_t i;

	for (i = 0; i < f->n; i++) {
		free(f->v[i].ip);
		free(f->v[i].account);
		free(f->v[i].owner);
		free(f->v[i].domain);
		free(f->v[i].evidence);
		free(f->v[i].summary);
	}
	free(f->v);
	memset(f, 0, sizeof *f);
}

/* ---- the run ------------------------------------------------------------ */

/* judge_window: read the window once, then judge what was read, in the
 * order of the findings */
static int judge_window(struct judge *c)
{
	struct pairs logins, tls, relay;
	struct senders *sa = judge_senders_new(c, 0), *sl = judge_senders_new(c, 1);
	struct judge_pass p;
	int rc = -1;

	memset(&logins, 0, sizeof logins);
	memset(&tls, 0, sizeof tls);
	memset(&relay, 0, sizeof relay);
	memset(&p, 0, sizeof p);
	/* brief: the rollups; the minutes of failures, for the rhythm in the
	 * evidence, only from the minutes */
	p.coarse = c->in->brief;
	logins.minutes = !c->in->brief;
	if (judge_pass_add(c, &p, "auth_failed", judge_pair_row, &logins,
	    JUDGE_ANY) < 0 || (c->in->owners != NULL && (judge_pass_add(c, &p,
	    "submission_auth_required", judge_pair_row, &tls, JUDGE_ANY) < 0 ||
	    judge_pass_add(c, &p, "relay_denied", judge_pair_row, &relay,
	    JUDGE_ANY) < 0)) ||
	    judge_senders_feed(c, &p, sa) < 0 || judge_senders_feed(c, &p, sl) < 0 ||
	    judge_pass_run(c, &p, c->in->since, c->in->until) < 0)
		goto out;
	if (judge_logins(c, &logins) < 0 ||
	    judge_clients(c, &tls, FK_CLIENT_NEEDS_TLS) < 0 ||
	    judge_clients(c, &relay, FK_CLIENT_NOT_AUTHENTICATING) < 0 ||
	    judge_domains(c, EVK_RELAY_DOMAIN, FK_MISSING_LOCALDOMAINS) < 0 ||
	    judge_domains(c, EVK_REMOTE_RELAY_DOMAIN, FK_STALE_MX) < 0)
		goto out;
	judge_senders_ready(c, sa);
	judge_senders_ready(c, sl);
	if (judge_senders_baselines(c, sa, sl) < 0 || judge_senders(c, sa) < 0 ||
	    judge_senders(c, sl) < 0)
		goto out;
	rc = 0;
out:
	judge_pairs_release(&logins);
	judge_pairs_release(&tls);
	judge_pairs_release(&relay);
	judge_senders_free(sa);
	judge_senders_free(sl);
	return rc;
}

static int rank(const struct finding *f)
{
	switch (f->verdict) {
	case VERDICT_ABUSE: return 0;
	case VERDICT_ATTACK: return 1;
	case VERDICT_CONFIG: return 2;
	default: return 3;
	}
}

static int strcmp0(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return (a == NULL) - (b == NULL);
	return strcmp(a, b);
}

static int cmp_finding(const void *x, const void *y)
{
	const struct finding *a = x, *b = y;
	int c;

	if (rank(a) != rank(b))
		return rank(a) - rank(b);
	if (a->events != b->events)
		return a->events > b->events ? -1 : 1;
	if (a->kind != b->kind)
		return (int)a->kind - (int)b->kind;
	if ((c = strcmp0(a->account, b->account)) != 0)
		return c;
	if ((c = strcmp0(a->ip, b->ip)) != 0)
		return c;
	if ((c = strcmp0(a->domain, b->domain)) != 0)
		return c;
	return strcmp0(a->owner, b->owner);
}

int diagnose_run(struct store *s, const struct diagnose_input *in,
    struct findings *out)
{
	struct judge c;
	int rc = -1;

	memset(out, 0, sizeof *out);
	out->brief = in->brief;
	if (judge_open(&c, s, in, out) == 0 && (in->until <= in->since ||
	    judge_window(&c) == 0)) {
		if (out->n > 1)
			qsort(out->v, out->n, sizeof *out->v, cmp_finding);
		rc = 0;
	}
	judge_close(&c);
	return rc;
}
