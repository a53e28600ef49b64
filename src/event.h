/* event: one classified log line, as it flows from classify to count/alert.
 * Every span borrows from the line being processed. */
#ifndef EW_EVENT_H
#define EW_EVENT_H
#include <stdint.h>
#include "span.h"

/* The fields a rule can capture by name (?<name>...) or take from the parser. */
enum field {
	FIELD_HOST,      /* the host text the parser takes ip/helo/rdns/port from */
	FIELD_IP,
	FIELD_PORT,
	FIELD_HELO,
	FIELD_RDNS,
	FIELD_SENDER,    /* F=<...> or the "<=" sender */
	FIELD_RCPT,
	FIELD_AUTH,      /* the id of A=authenticator:id */
	FIELD_SET_ID,
	FIELD_ACCOUNT,   /* an explicit account capture */
	FIELD_MSG_SENDER,/* sender of the message, from its "<=" line (msgid table) */
	FIELD_LOCAL_USER,/* who submitted a local message (U=, cwd=: localsub.h) */
	FIELD_N
};

/* field_name / field_lookup: "ip" <-> FIELD_IP; lookup returns -1 if unknown */
const char *field_name(enum field f);
int field_lookup(const char *name, size_t len);

struct event {
	int cls;                   /* class index in the rule set */
	int64_t ts;                /* Unix time of the line */
	struct span msgid;
	struct span f[FIELD_N];
	struct span account;       /* chosen by the rule's account: list */
	int ambiguous_host;        /* client address could not be trusted */
	int host_deferred;         /* f[FIELD_HOST] holds the host text, not
	                            * parsed yet (rules_scratch_defer_host) */
	int local_user_first;      /* the rule's account list reached
	                            * local_user before the field that gave
	                            * the account: the caller's local user,
	                            * if any, takes precedence */
};

#endif
