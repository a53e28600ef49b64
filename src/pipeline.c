/* pipeline: parse → classify → account → count for one line (see pipeline.h) */
#include <stdlib.h>
#include <string.h>

#include "counter.h"
#include "evidence.h"
#include "evlog.h"
#include "localsub.h"
#include "msgtrack.h"
#include "pipeline.h"
#include "rules.h"
#include "store.h"
#include "xmalloc.h"

#define SENDER_IDS 16384      /* messages in flight whose sender is known */
/* messages remembered as counted for a once-per-message class (frozen);
 * the value is the class id (at most 64 bytes, rules.c valid_id) */
#define ONCE_IDS 8192
#define ONCE_VALUE_MAX 64

struct pipeline {
	const struct rules *rules;
	struct rules_scratch *scratch;
	struct counter *counter;
	struct evlog *evlog;       /* set: events go here, not to counter */
	struct msgtrack *msgs;
	struct msgtrack *once;     /* created when first needed */
	uint8_t *once_cls;         /* per class: rules_once_per_message() */
	struct localsub *subs;     /* cwd= lines, for local arrivals */
	unsigned char *roles;      /* class -> enum evidence_role */
	char xbuf[1024];           /* an event's evidence (evlog_add_x) */
	struct eximlog_clock clk;
	struct pipeline_stats st;
	uint64_t exim_base;      /* st.exim when the current file began */
	pipeline_event_fn *on_event;
	void *event_arg;
	pipeline_miss_fn *on_miss;
	void *miss_arg;
	int completed_cls;
	int count_binary;
};

struct pipeline *pipeline_new(const struct rules *r, struct counter *c)
{
	struct pipeline *p = xcalloc(1, sizeof *p);

	p->counter = c;
	p->msgs = msgtrack_new(SENDER_IDS, MSGTRACK_SENDER_MAX);
	p->subs = localsub_new();
	pipeline_set_rules(p, r);
	return p;
}

void pipeline_set_rules(struct pipeline *p, const struct rules *r)
{
	size_t i, n = rules_nclasses(r);

	free(p->roles);
	p->roles = xcalloc(n ? n : 1, 1);
	for (i = 0; i < n; i++)
		p->roles[i] = (unsigned char)evidence_role(rules_class_name(r, i));
	rules_scratch_free(p->scratch);
	p->rules = r;
	p->scratch = rules_scratch_new(r);
	/* looked up per event: a byte here, not a call into rules.c */
	free(p->once_cls);
	p->once_cls = xcalloc(n ? n : 1, 1);
	for (i = 0; i < n; i++)
		p->once_cls[i] = (uint8_t)rules_once_per_message(r, i);
	rules_scratch_defer_host(p->scratch, p->evlog != NULL);
}

void pipeline_set_evlog(struct pipeline *p, struct evlog *l)
{
	p->evlog = l;
	/* the writer thread parses the client host (evlog_count) */
	rules_scratch_defer_host(p->scratch, l != NULL);
}

void pipeline_set_counter(struct pipeline *p, struct counter *c)
{
	p->counter = c;
}

void pipeline_free(struct pipeline *p)
{
	if (p == NULL)
		return;
	rules_scratch_free(p->scratch);
	msgtrack_free(p->msgs);
	msgtrack_free(p->once);
	free(p->once_cls);
	localsub_free(p->subs);
	free(p->roles);
	free(p);
}

void pipeline_on_event(struct pipeline *p, pipeline_event_fn *fn, void *arg)
{
	p->on_event = fn;
	p->event_arg = arg;
}

void pipeline_count_binary(struct pipeline *p, int on)
{
	p->count_binary = on;
}

void pipeline_on_miss(struct pipeline *p, pipeline_miss_fn *fn, void *arg)
{
	p->on_miss = fn;
	p->miss_arg = arg;
}

const struct pipeline_stats *pipeline_stats(const struct pipeline *p)
{
	return &p->st;
}

void pipeline_file_start(struct pipeline *p)
{
	p->exim_base = p->st.exim;
}

void pipeline_stats_reset(struct pipeline *p)
{
	memset(&p->st, 0, sizeof p->st);
}

int pipeline_suspicious(const char *b, size_t n)
{
	static const char *const words[] = {
		"rejected", "refused", "authenticator failed", "dropped", "error",
		NULL
	};
	size_t i;

	for (i = 0; words[i]; i++)
		if (memmem(b, n, words[i], strlen(words[i])) != NULL)
			return 1;
	return 0;
}

/* once_seen: 1 if message msgid was already counted for class cls (a class
 * counted once per message id), else remember it.  The table outlives rule
 * reloads: it keys on the class id, not on its index. */
static int once_seen(struct pipeline *p, struct span msgid, int cls)
{
	const char *name = rules_class_name(p->rules, (size_t)cls);
	struct span had;

	if (p->once == NULL)
		p->once = msgtrack_new(ONCE_IDS, ONCE_VALUE_MAX);
	had = msgtrack_get(p->once, msgid);
	if (span_eq(had, name))
		return 1;
	msgtrack_put(p->once, msgid, span_make(name, strlen(name)));
	return 0;
}

/* exim_phrase: a body only Exim writes (connection-level lines have no
 * message id); other logs with Exim's time stamps (dpkg.log) have none */
static int exim_phrase(const char *b, size_t n)
{
	static const char *const phrases[] = { "H=", "SMTP connection",
		"SMTP command", "queue run", "daemon started", "no host name found",
		"no IP address found", "TLS error", NULL };
	size_t i;

	for (i = 0; phrases[i]; i++)
		if (memmem(b, n, phrases[i], strlen(phrases[i])) != NULL)
			return 1;
	return 0;
}

int pipeline_line(struct pipeline *p, const char *line, size_t len,
    int oversized)
{
	struct eximlog_line ln;
	struct event ev;
	struct localsub_who who, *whop = NULL;
	const char *b;
	size_t n;
	int cls, role;

	p->st.lines++;
	if (oversized)
		p->st.oversized++;
	if (p->count_binary && memchr(line, '\0', len) != NULL)
		p->st.binary++;
	if (eximlog_parse(&p->clk, line, len, &ln) != EXIMLOG_ENTRY) {
		p->st.continuation += len > 0;
		return -1;
	}
	p->st.entries++;
	b = ln.body.p;
	n = ln.body.len;
	/* the message table's slot is a cache miss: start loading it now, the
	 * put/get/del below come after classifying */
	if (span_ok(ln.msgid))
		msgtrack_prefetch(p->msgs, ln.msgid);
	cls = rules_classify(p->rules, p->scratch, &ln, &ev);
	/* remember who sent each message, for its delivery lines (after
	 * classifying, which does not look at the table: same result) */
	if (span_ok(ln.msgid) && n > 3 && b[0] == '<' && b[1] == '=' && b[2] == ' ') {
		size_t e = 3;

		while (e < n && b[e] != ' ')
			e++;
		msgtrack_put(p->msgs, ln.msgid, span_make(b + 3, e - 3));
	}
	if (span_ok(ln.msgid) || cls >= 0)
		p->st.exim++;
	else if (p->st.exim == p->exim_base && exim_phrase(b, n))
		p->st.exim++;
	if (cls < 0) {
		/* "cwd=... args: ..." (+arguments): for the local arrival that
		 * follows, never a rejection */
		if (n > 4 && b[0] == 'c' && localsub_line(p->subs, &ln))
			return -1;
		if (rules_scratch_suspicious(p->scratch)) {
			/* a rejection no rule knows is Exim's as well (test
			 * lists it as one) */
			if (!span_ok(ln.msgid))
				p->st.exim++;
			p->st.suspicious++;
			if (p->on_miss)
				p->on_miss(p->miss_arg, line, len);
		}
		return -1;
	}
	if (p->once_cls[cls] && span_ok(ln.msgid) && once_seen(p, ln.msgid, cls)) {
		p->st.repeats++;
		return -1;
	}
	p->st.matched++;
	role = p->roles[cls];
	if (role == EVR_LOCAL || ev.local_user_first) {
		/* who submitted it (claims its cwd= line either way) */
		localsub_arrival(p->subs, &ln, &who);
		if (ev.local_user_first && span_ok(who.user)) {
			ev.f[FIELD_LOCAL_USER] = who.user;
			ev.account = who.user;
		}
		if (ev.account.p == who.user.p && span_ok(who.user))
			whop = &who;
	}
	if (!span_ok(ev.account) && rules_wants_msg_sender(p->rules, (size_t)cls)) {
		struct span s = msgtrack_get(p->msgs, ln.msgid);

		ev.f[FIELD_MSG_SENDER] = s;
		if (span_ok(s) && s.len > 0 && !(s.len == 2 && s.p[0] == '<'))
			ev.account = s;
	}
	if (ev.ambiguous_host)
		p->st.ambiguous++;
	if (p->counter || p->evlog) {
		int64_t bucket = ev.ts >= 0 ? ev.ts - ev.ts % STORE_BUCKET_SECS : 0;
		/* the client address, or its host text left for the writer */
		struct span ip = ev.host_deferred ? ev.f[FIELD_HOST] : ev.f[FIELD_IP];
		struct span ac = ev.account;

		if (!span_ok(ip))
			ip = span_make("", 0);
		if (!span_ok(ac))
			ac = span_make("", 0);
		if (p->evlog && role != EVR_NONE)
			evlog_add_x(p->evlog, bucket, (uint32_t)cls, ev.host_deferred,
			    ip.p, ip.len, ac.p, ac.len, p->xbuf, evidence_extra(role,
			    &ev, &ln, whop, p->xbuf, sizeof p->xbuf));
		else if (p->evlog)
			evlog_add(p->evlog, bucket, (uint32_t)cls, ev.host_deferred,
			    ip.p, ip.len, ac.p, ac.len);
		else
			counter_add(p->counter, bucket, (uint32_t)cls, ip.p, ip.len,
			    ac.p, ac.len, 1);
	}
	if (p->on_event)
		p->on_event(p->event_arg, &ev, &ln, line, len);
	if (span_ok(ln.msgid) && n >= 9 && memcmp(b, "Completed", 9) == 0) {
		msgtrack_del(p->msgs, ln.msgid);
		if (p->once)
			msgtrack_del(p->once, ln.msgid);
	}
	return cls;
}
