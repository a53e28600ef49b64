/* evidence: what diagnosis needs beyond the per-minute counts, recorded
 * from the events where the store is written — the known clients
 * (knownclients.h) and bounded details (table evidence):
 *
 *   kind                      of                  from                   per
 *   1 subject                 account, local user msg_in_auth/local T=   hour
 *   2 recipient domain        account, local user the first recipient    hour
 *   3 script directory (cwd)  local user          the paired cwd= line   hour
 *   4 sender address          local user          the <= sender          hour
 *   5 recipient domain        -                   relay_denied           minute
 *   6 recipient domain        -                   remote_relay_denied    minute
 *
 * All of it is attacker-influenced log text, so it is bounded: values are
 * cut (EVIDENCE_VALUE_MAX), a group (kind, subject, period) keeps its top
 * few values (approximate: space-saving in memory, lower bounds written)
 * and its total, and the hourly kinds are written only for groups of
 * EVIDENCE_MIN_GROUP messages or more (a burst, not everyday mail).
 *
 * Pipeline side (parse thread, no allocation): evidence_role() names the
 * classes that carry evidence; evidence_extra() packs the fields of one
 * event into the evlog's extra bytes (evlog_add_x).
 *
 * Recording side (the thread that owns the store: scan's writer, the
 * daemon's flush): evidence_add_events() per batch of events,
 * evidence_write() inside the transaction, evidence_done() after it.
 * Hourly groups are written when their hour is complete in log time (or
 * with force: scan's last batch, the daemon's periodic flush); per-minute
 * groups and new known clients in the next write.  Memory stays bounded
 * (EVIDENCE_GROUPS_MAX groups; beyond, everything is written and the
 * written groups, and the small ones, forgotten).
 *
 * Reading: evidence_query().  Output of the values must escape them. */
#ifndef EW_EVIDENCE_H
#define EW_EVIDENCE_H
#include <stddef.h>
#include <stdint.h>
#include "event.h"
#include "eximlog.h"
#include "localsub.h"

#define EVIDENCE_VALUE_MAX 120
#define EVIDENCE_MIN_GROUP 20
#define EVIDENCE_GROUPS_MAX 4096

enum evidence_kind {
	EVK_SUBJECT = 1,
	EVK_RCPT_DOMAIN,
	EVK_CWD,
	EVK_SCRIPT_SENDER,
	EVK_RELAY_DOMAIN,
	EVK_REMOTE_RELAY_DOMAIN,
	EVK_N
};

enum evidence_role {
	EVR_NONE,
	EVR_AUTH,                 /* msg_in_auth: a known client, T=, rcpt */
	EVR_LOCAL,                /* msg_in_local: submitter, cwd, T=, rcpt */
	EVR_RELAY,                /* relay_denied: the recipient's domain */
	EVR_REMOTE_RELAY,         /* remote_relay_denied: the same */
};

struct store;
struct evlog;
struct counter;

/* evidence_role: the role of the class named name */
enum evidence_role evidence_role(const char *name);

/* evidence_extra: the extra bytes of an event of role r into buf[0..cap)
 * (who: the submitter of a local arrival, else NULL); their length */
size_t evidence_extra(enum evidence_role r, const struct event *ev,
    const struct eximlog_line *ln, const struct localsub_who *who,
    char *buf, size_t cap);

/* ---- recording ---- */

struct evidence;

/* evidence_new: class_names (n, the evlogs' class indexes) are copied */
struct evidence *evidence_new(const char *const *class_names, size_t n);
void evidence_free(struct evidence *e);
/* evidence_set_classes: the class indexes changed (a reload) */
void evidence_set_classes(struct evidence *e, const char *const *names,
    size_t n);
/* evidence_add_events: the evidence of a batch of events; clients: also
 * its known clients (else give the batch's counts to evidence_add_counter:
 * the counter has the client addresses parsed and the logins summed) */
void evidence_add_events(struct evidence *e, const struct evlog *l,
    int clients);
void evidence_add_counter(struct evidence *e, const struct counter *c);
/* evidence_write: what is due (all with force), inside s's transaction;
 * 0 or -1 (then roll back and call evidence_done(e, 0)) */
int evidence_write(struct evidence *e, struct store *s, int force);
/* evidence_done: the writes since the last done() were committed (ok) or
 * rolled back (they are written again) */
void evidence_done(struct evidence *e, int ok);

/* ---- reading ---- */

struct evidence_value {
	char *value;
	int64_t n;
};

/* evidence_query: the values of (kind, subject) in the periods that
 * overlap [since, until) (per-minute kinds: whose minute starts in it),
 * summed, most frequent first, at most max (0: all); *total gets the
 * groups' totals (the values left out included).  0 or -1 (logged).
 * Free with evidence_values_free(). */
int evidence_query(struct store *s, enum evidence_kind kind,
    const char *subject, int64_t since, int64_t until, size_t max,
    struct evidence_value **out, size_t *n, int64_t *total);
void evidence_values_free(struct evidence_value *v, size_t n);
/* evidence_span: the first and last minute of a per-minute kind's value
 * (a domain) in [since, until); 1 found, 0 none, -1 error (logged) */
int evidence_span(struct store *s, enum evidence_kind kind, const char *value,
    int64_t since, int64_t until, int64_t *first, int64_t *last);

/* evidence_prune: delete the periods before `before`; rows or -1 */
int64_t evidence_prune(struct store *s, int64_t before);

#endif
