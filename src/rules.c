/* rules: YAML rule files → PCRE2 JIT, literal prefilter, classify
 * (see rules.h and docs/RULES.md) */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <dirent.h>
#include <errno.h>
#include <pcre2.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "embedded.h"
#include "eximlog.h"
#include "log.h"
#include "prefilter.h"
#include "rules.h"
#include "suggest.h"
#include "xmalloc.h"
#include "yamldoc.h"

#define MAX_ACCOUNT_FIELDS 6
#define MAX_CAPS 16
#define MAX_CANDS 64
#define GATE_MIN 6          /* shorter literals make the prefilter skip less */

struct capmap {
	uint16_t group;
	uint8_t field;
};

struct pattern {
	pcre2_code *re;
	int rule;                       /* index in rules->rules (sorted) */
	int anchored;                   /* regex can only match at the start */
	uint8_t first[32];              /* anchored: bitmap of possible first bytes */
	char *anchor;                   /* literal checked at the body start */
	size_t anchor_len;
	uint64_t need[PREFILTER_WORDS]; /* global literals that must be found */
	int first_need;                 /* -1: triggered by its anchor */
	char **local;                   /* other literals, checked by memmem */
	size_t *local_len;
	size_t nlocal;
	struct capmap caps[MAX_CAPS];
	size_t ncaps;
};

struct rule {
	char *id, *severity, *description, *remedy, *origin;
	int priority;
	int order;                      /* load order, for stable sorting */
	int source;                     /* which rule source (dup detection) */
	int account[MAX_ACCOUNT_FIELDS];
	size_t naccount;
	int ip_none;
	int once_per_message;           /* count once per message id (pipeline) */
	struct pattern *pats;
	size_t npats;
};

struct rules {
	struct rule *rules;
	size_t n, cap;
	const char **names;
	struct pattern **pats;          /* all patterns, in priority order */
	size_t npats;
	/* anchored patterns by the first byte of their anchor */
	uint16_t *by_byte[256];
	uint16_t nby_byte[256];
	/* unanchored patterns by their first needed global literal */
	uint16_t *by_lit[PREFILTER_MAX];
	uint16_t nby_lit[PREFILTER_MAX];
	struct prefilter *pf;
	int jit;
	int describe_only;       /* no regexes, no prefilter (rules.h) */
	uint32_t max_pairs;
	uint64_t suspicious[PREFILTER_WORDS];
	/* ignore: lines known not to be events (the reason line before a
	 * rejection, ...): an unmatched line one of these matches is not
	 * suspicious.  Checked only for unmatched suspicious lines. */
	struct pattern *ignore;
	size_t nignore;
};

struct rules_scratch {
	pcre2_match_data *md;
	int suspicious;
	int defer_host;
	pcre2_jit_stack *stack;
};

/* an unmatched line holding one of these reads like a rejection or failure */
static const char *const suspicious_words[] = {
	"rejected", "refused", "authenticator failed", "dropped", " error in ", " error on ", " error from ", NULL
};

static const char *const severities[] = {
	"info", "notice", "warning", "critical", NULL
};

/* ---- loading ------------------------------------------------------------ */

struct loader {
	struct rules *r;
	struct diag *d;
	const char *file;
	int source;
	int order;
	int errors;
	int describe_only;       /* rules_source.describe_only */
};

#define ERR(ld, node, ...) do { \
	diag_add((ld)->d, (ld)->file, (node) ? (node)->line : 0, \
	    (node) ? (node)->col : 0, __VA_ARGS__); \
	(ld)->errors++; \
} while (0)

static void pattern_release(struct pattern *p)
{
	size_t j;

	pcre2_code_free(p->re);
	free(p->anchor);
	for (j = 0; j < p->nlocal; j++)
		free(p->local[j]);
	free(p->local);
	free(p->local_len);
	memset(p, 0, sizeof *p);
}

static void rule_release(struct rule *ru)
{
	size_t i;

	free(ru->id);
	free(ru->severity);
	free(ru->description);
	free(ru->remedy);
	free(ru->origin);
	for (i = 0; i < ru->npats; i++)
		pattern_release(&ru->pats[i]);
	free(ru->pats);
	memset(ru, 0, sizeof *ru);
}

static int valid_id(const char *s)
{
	size_t i;

	if (!(s[0] >= 'a' && s[0] <= 'z'))
		return 0;
	for (i = 1; s[i]; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') ||
		    s[i] == '_'))
			return 0;
	return i <= 64;
}

static const struct ydoc_node *want_scalar(struct loader *ld,
    const struct ydoc_node *map, const char *key, int required)
{
	const struct ydoc_node *v = ydoc_get(map, key);

	if (v == NULL) {
		if (required)
			ERR(ld, map, "rule is missing '%s'", key);
		return NULL;
	}
	if (v->type != YDOC_SCALAR) {
		ERR(ld, v, "'%s' must be a string, not %s", key,
		    ydoc_type_name(v->type));
		return NULL;
	}
	if (required && v->len == 0) {
		ERR(ld, v, "'%s' must not be empty", key);
		return NULL;
	}
	return v;
}

/* regex_prefix_is: does the regex (after '^') begin with literal text `lit`,
 * written plainly or with metacharacters escaped? */
static int regex_starts_with(const char *re, const char *lit, size_t len)
{
	size_t i = 0, j = 0;

	while (j < len) {
		if (re[i] == '\0')
			return 0;
		if (re[i] == '\\') {
			unsigned char c = (unsigned char)re[i + 1];

			/* only escaped punctuation stands for itself */
			if (c == '\0' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			    (c >= '0' && c <= '9'))
				return 0;
			if ((char)c != lit[j])
				return 0;
			i += 2;
			j++;
			continue;
		}
		if (strchr(".[]()*+?{}|^$", re[i]) != NULL)
			return 0;
		if (re[i] != lit[j])
			return 0;
		/* a quantifier after this char would make it optional */
		if (j + 1 == len && re[i + 1] && strchr("*?{", re[i + 1]))
			return 0;
		if (re[i + 1] && strchr("*?{", re[i + 1]))
			return 0;
		i++;
		j++;
	}
	return 1;
}

/* first_bytes: for a regex anchored at the body start, the bytes a match can
 * begin with, from PCRE2's own analysis; such patterns are dispatched by the
 * body's first byte and need no prefilter pass */
static void first_bytes(struct pattern *p)
{
	uint32_t opts = 0, type = 0, unit = 0;
	const uint8_t *bitmap = NULL;

	pcre2_pattern_info(p->re, PCRE2_INFO_ALLOPTIONS, &opts);
	if (!(opts & PCRE2_ANCHORED))
		return;
	p->anchored = 1;
	pcre2_pattern_info(p->re, PCRE2_INFO_FIRSTCODETYPE, &type);
	if (type == 1) {
		pcre2_pattern_info(p->re, PCRE2_INFO_FIRSTCODEUNIT, &unit);
		p->first[(unit & 0xff) >> 3] |= (uint8_t)(1u << (unit & 7));
		return;
	}
	pcre2_pattern_info(p->re, PCRE2_INFO_FIRSTBITMAP, &bitmap);
	if (bitmap)
		memcpy(p->first, bitmap, sizeof p->first);
	else
		memset(p->first, 0xff, sizeof p->first);   /* could start anywhere */
}

static int compile_pattern(struct loader *ld, struct rule *ru,
    const struct ydoc_node *pm, struct pattern *p)
{
	const struct ydoc_node *re = NULL, *lits = NULL, *k;
	int errcode;
	PCRE2_SIZE erroff;
	uint32_t count = 0, esize = 0, ncap = 0, i;
	PCRE2_SPTR table;
	size_t j;
	int bad = 0, err0 = ld->errors;

	memset(p, 0, sizeof *p);
	p->first_need = -1;
	if (ld->describe_only)
		return 0;               /* nothing will be matched */
	if (pm->type != YDOC_MAP) {
		ERR(ld, pm, "each 'match' item must be a mapping with 'regex' and "
		    "'literals'");
		return -1;
	}
	for (j = 0; j < pm->n; j++) {
		k = pm->kids[2 * j];
		if (k->type == YDOC_SCALAR && strcmp(k->str, "regex") == 0)
			re = pm->kids[2 * j + 1];
		else if (k->type == YDOC_SCALAR && strcmp(k->str, "literals") == 0)
			lits = pm->kids[2 * j + 1];
		else
			ERR(ld, k, "unknown key '%s' in a match item (expected regex, "
			    "literals)", k->type == YDOC_SCALAR ? k->str : "?");
	}
	if (re == NULL || re->type != YDOC_SCALAR || re->len == 0) {
		ERR(ld, re ? re : pm, "match item needs a 'regex' string");
		return -1;
	}
	if (lits == NULL) {
		ERR(ld, pm, "match item needs 'literals': text the line must contain "
		    "(used as a prefilter)");
	} else if (lits->type != YDOC_SEQ || lits->n == 0) {
		ERR(ld, lits, "'literals' must be a non-empty list of strings");
		lits = NULL;
	}
	p->re = pcre2_compile((PCRE2_SPTR)re->str, re->len, PCRE2_DUPNAMES,
	    &errcode, &erroff,
	    NULL);
	if (p->re == NULL) {
		PCRE2_UCHAR msg[256];
		int col = re->col + (int)erroff + (re->quoted == 1 || re->quoted == 2);

		pcre2_get_error_message(errcode, msg, sizeof msg);
		diag_add(ld->d, ld->file, re->line, re->quoted == 3 ? re->col : col,
		    "bad regex in rule '%s' at offset %zu of the pattern: %s",
		    ru->id ? ru->id : "?", (size_t)erroff, (const char *)msg);
		ld->errors++;
		return -1;
	}
	pcre2_pattern_info(p->re, PCRE2_INFO_CAPTURECOUNT, &ncap);
	if (ncap + 1 > ld->r->max_pairs)
		ld->r->max_pairs = ncap + 1;
	pcre2_pattern_info(p->re, PCRE2_INFO_NAMECOUNT, &count);
	pcre2_pattern_info(p->re, PCRE2_INFO_NAMEENTRYSIZE, &esize);
	pcre2_pattern_info(p->re, PCRE2_INFO_NAMETABLE, &table);
	for (i = 0; i < count; i++) {
		const unsigned char *e = table + i * esize;
		uint16_t group = (uint16_t)(e[0] << 8 | e[1]);
		const char *name = (const char *)e + 2;
		int f = field_lookup(name, strlen(name));

		if (strncmp(name, "x_", 2) == 0)
			continue;
		if (f < 0 || f == FIELD_MSG_SENDER || f == FIELD_LOCAL_USER) {
			ERR(ld, re, "unknown capture name '%s' in rule '%s' (use host, ip, "
			    "port, helo, rdns, sender, rcpt, auth, set_id, account, or "
			    "an x_ prefix)", name, ru->id ? ru->id : "?");
			bad = 1;
			continue;
		}
		if (p->ncaps < MAX_CAPS) {
			p->caps[p->ncaps].group = group;
			p->caps[p->ncaps].field = (uint8_t)f;
			p->ncaps++;
		}
	}
	if (pcre2_jit_compile(p->re, PCRE2_JIT_COMPLETE) != 0)
		ld->r->jit = 0;
	first_bytes(p);
	if (lits != NULL) {
		for (j = 0; j < lits->n; j++) {
			const struct ydoc_node *l = lits->kids[j];

			if (l->type != YDOC_SCALAR) {
				ERR(ld, l, "a literal must be a string");
				bad = 1;
				continue;
			}
			if (l->len < 3) {
				ERR(ld, l, "literal '%s' is too short for the prefilter "
				    "(3 bytes or more)", l->str);
				bad = 1;
				continue;
			}
			if (p->anchor == NULL && re->str[0] == '^' &&
			    regex_starts_with(re->str + 1, l->str, l->len)) {
				p->anchor = xstrndup(l->str, l->len);
				p->anchor_len = l->len;
				continue;
			}
			p->local = xreallocarray(p->local, p->nlocal + 1, sizeof *p->local);
			p->local_len = xreallocarray(p->local_len, p->nlocal + 1,
			    sizeof *p->local_len);
			p->local[p->nlocal] = xstrndup(l->str, l->len);
			p->local_len[p->nlocal] = l->len;
			p->nlocal++;
		}
	}
	return bad || ld->errors != err0 ? -1 : 0;
}

static int parse_account(struct loader *ld, struct rule *ru,
    const struct ydoc_node *v)
{
	size_t i, n;
	const struct ydoc_node *it;

	if (v == NULL)
		return 0;
	if (v->type == YDOC_SCALAR && v->len == 0)
		return 0;
	n = v->type == YDOC_SEQ ? v->n : 1;
	for (i = 0; i < n; i++) {
		int f;

		it = v->type == YDOC_SEQ ? v->kids[i] : v;
		if (it->type != YDOC_SCALAR) {
			ERR(ld, it, "'account' must be a field name or a list of them");
			return -1;
		}
		f = field_lookup(it->str, it->len);
		if (f != FIELD_SET_ID && f != FIELD_AUTH && f != FIELD_SENDER &&
		    f != FIELD_RCPT && f != FIELD_ACCOUNT && f != FIELD_MSG_SENDER &&
		    f != FIELD_LOCAL_USER) {
			ERR(ld, it, "unknown account field '%s' (use set_id, auth, "
			    "sender, rcpt, account, msg_sender, local_user)", it->str);
			return -1;
		}
		if (ru->naccount < MAX_ACCOUNT_FIELDS)
			ru->account[ru->naccount++] = f;
	}
	return 0;
}

static const char *const rule_keys[] = {
	"id", "severity", "description", "remedy", "priority", "account", "ip",
	"once_per_message", "match", NULL
};

static struct rule *find_rule(struct rules *r, const char *id)
{
	size_t i;

	for (i = 0; i < r->n; i++)
		if (strcmp(r->rules[i].id, id) == 0)
			return &r->rules[i];
	return NULL;
}

static void load_rule(struct loader *ld, const struct ydoc_node *m)
{
	struct rule ru;
	const struct ydoc_node *v, *k;
	struct rule *old;
	size_t i, j;
	int err0 = ld->errors;

	memset(&ru, 0, sizeof ru);
	if (m->type != YDOC_MAP) {
		ERR(ld, m, "each rule must be a mapping");
		return;
	}
	for (i = 0; i < m->n; i++) {
		k = m->kids[2 * i];
		if (k->type != YDOC_SCALAR) {
			ERR(ld, k, "rule keys must be strings");
			continue;
		}
		for (j = 0; rule_keys[j]; j++)
			if (strcmp(k->str, rule_keys[j]) == 0)
				break;
		if (!rule_keys[j])
			ERR(ld, k, "unknown key '%s' (expected id, severity, description, "
			    "remedy, priority, account, ip, once_per_message, match)",
			    k->str);
	}
	if ((v = want_scalar(ld, m, "id", 1)) != NULL) {
		if (!valid_id(v->str))
			ERR(ld, v, "bad rule id '%s' (lower-case letters, digits and _, "
			    "starting with a letter)", v->str);
		ru.id = xstrdup(v->str);
	}
	if ((v = want_scalar(ld, m, "severity", 1)) != NULL) {
		for (j = 0; severities[j]; j++)
			if (strcmp(v->str, severities[j]) == 0)
				break;
		if (!severities[j])
			ERR(ld, v, "severity must be info, notice, warning or critical, "
			    "not '%s'", v->str);
		ru.severity = xstrdup(v->str);
	}
	if ((v = want_scalar(ld, m, "description", 1)) != NULL)
		ru.description = xstrdup(v->str);
	if ((v = want_scalar(ld, m, "remedy", 1)) != NULL)
		ru.remedy = xstrdup(v->str);
	ru.priority = 50;
	if ((v = want_scalar(ld, m, "priority", 0)) != NULL) {
		char *end;
		long p = strtol(v->str, &end, 10);

		if (*end || end == v->str || p < 0 || p > 1000)
			ERR(ld, v, "priority must be a number from 0 to 1000");
		ru.priority = (int)p;
	}
	if ((v = want_scalar(ld, m, "ip", 0)) != NULL) {
		if (strcmp(v->str, "none") == 0)
			ru.ip_none = 1;
		else if (strcmp(v->str, "client") != 0)
			ERR(ld, v, "ip must be 'client' or 'none'");
	}
	if ((v = want_scalar(ld, m, "once_per_message", 0)) != NULL) {
		if (strcmp(v->str, "true") == 0)
			ru.once_per_message = 1;
		else if (strcmp(v->str, "false") != 0)
			ERR(ld, v, "once_per_message must be true or false");
	}
	parse_account(ld, &ru, ydoc_get(m, "account"));
	v = ydoc_get(m, "match");
	if (v == NULL) {
		ERR(ld, m, "rule is missing 'match'");
	} else if (v->type != YDOC_SEQ || v->n == 0) {
		ERR(ld, v, "'match' must be a non-empty list of {regex, literals}");
	} else {
		ru.pats = xcalloc(v->n, sizeof *ru.pats);
		for (i = 0; i < v->n; i++) {
			if (compile_pattern(ld, &ru, v->kids[i], &ru.pats[ru.npats]) == 0)
				ru.npats++;
			else
				pattern_release(&ru.pats[ru.npats]);
		}
	}
	if (ld->errors != err0 || ru.id == NULL) {
		rule_release(&ru);
		return;
	}
	ru.origin = xasprintf("%s:%d", ld->file, m->line);
	ru.order = ld->order++;
	ru.source = ld->source;
	if ((old = find_rule(ld->r, ru.id)) != NULL) {
		if (old->source == ld->source) {
			v = ydoc_get(m, "id");
			ERR(ld, v, "duplicate rule id '%s' (first defined at %s)", ru.id,
			    old->origin);
			rule_release(&ru);
			return;
		}
		/* a later source overrides an earlier one */
		rule_release(old);
		*old = ru;
		return;
	}
	if (ld->r->n == ld->r->cap) {
		ld->r->cap = ld->r->cap ? ld->r->cap * 2 : 32;
		ld->r->rules = xreallocarray(ld->r->rules, ld->r->cap, sizeof *ld->r->rules);
	}
	ld->r->rules[ld->r->n++] = ru;
}

/* load_ignore: the file's 'ignore' list, match items like a rule's */
static void load_ignore(struct loader *ld, const struct ydoc_node *list)
{
	struct rule dummy;
	struct rules *r = ld->r;
	size_t i;

	if (list->type != YDOC_SEQ) {
		ERR(ld, list, "'ignore' must be a list of {regex, literals}");
		return;
	}
	memset(&dummy, 0, sizeof dummy);
	dummy.id = "ignore";
	r->ignore = xreallocarray(r->ignore, r->nignore + list->n,
	    sizeof *r->ignore);
	for (i = 0; i < list->n; i++) {
		struct pattern *p = &r->ignore[r->nignore];

		if (compile_pattern(ld, &dummy, list->kids[i], p) == 0)
			r->nignore++;
		else
			pattern_release(p);
	}
}

static void load_doc(struct loader *ld, const struct ydoc_node *doc)
{
	const struct ydoc_node *list, *k;
	size_t i;

	if (doc->type != YDOC_MAP) {
		ERR(ld, doc, "a rule file is a mapping with a 'rules' list");
		return;
	}
	for (i = 0; i < doc->n; i++) {
		k = doc->kids[2 * i];
		if (k->type != YDOC_SCALAR || (strcmp(k->str, "rules") != 0 &&
		    strcmp(k->str, "ignore") != 0))
			ERR(ld, k, "unknown top-level key '%s' (expected 'rules' or "
			    "'ignore')", k->type == YDOC_SCALAR ? k->str : "?");
	}
	if ((list = ydoc_get(doc, "ignore")) != NULL)
		load_ignore(ld, list);
	list = ydoc_get(doc, "rules");
	if (list == NULL) {
		if (doc->n > 0 && ydoc_get(doc, "ignore") == NULL)
			ERR(ld, doc, "no 'rules' list in this file");
		return;
	}
	if (list->type != YDOC_SEQ) {
		ERR(ld, list, "'rules' must be a list");
		return;
	}
	for (i = 0; i < list->n; i++)
		load_rule(ld, list->kids[i]);
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void load_dir(struct loader *ld, const char *dir)
{
	DIR *dp;
	struct dirent *de;
	char **names = NULL;
	size_t n = 0, i, l;

	if ((dp = opendir(dir)) == NULL) {
		diag_add(ld->d, dir, 0, 0, "cannot read rule directory: %s",
		    strerror(errno));
		ld->errors++;
		return;
	}
	while ((de = readdir(dp)) != NULL) {
		l = strlen(de->d_name);
		if (de->d_name[0] == '.' || l < 6 ||
		    (strcmp(de->d_name + l - 5, ".yaml") != 0 &&
		    strcmp(de->d_name + l - 4, ".yml") != 0))
			continue;
		names = xreallocarray(names, n + 1, sizeof *names);
		names[n++] = xasprintf("%s/%s", dir, de->d_name);
	}
	closedir(dp);
	if (n > 1)
		qsort(names, n, sizeof *names, name_cmp);
	for (i = 0; i < n; i++) {
		struct ydoc_node *doc = ydoc_load(names[i], ld->d);

		ld->file = names[i];
		if (doc == NULL)
			ld->errors++;
		else
			load_doc(ld, doc);
		ydoc_free(doc);
		free(names[i]);
	}
	free(names);
	ld->file = NULL;
}

static int rule_cmp(const void *a, const void *b)
{
	const struct rule *x = a, *y = b;

	if (x->priority != y->priority)
		return x->priority < y->priority ? -1 : 1;
	return x->order < y->order ? -1 : x->order > y->order;
}

static void index_add(uint16_t **list, uint16_t *n, uint16_t v)
{
	*list = xreallocarray(*list, (size_t)*n + 1, sizeof **list);
	(*list)[(*n)++] = v;
}

/* build: sort rules, number patterns in priority order, feed the prefilter
 * with the literals of unanchored patterns, and index the triggers */
static int build(struct rules *r, struct diag *d)
{
	size_t i, j, k, g, np = 0;
	int id;

	qsort(r->rules, r->n, sizeof *r->rules, rule_cmp);
	r->names = xcalloc(r->n + 1, sizeof *r->names);
	for (i = 0; i < r->n; i++) {
		r->names[i] = r->rules[i].id;
		np += r->rules[i].npats;
	}
	if (r->describe_only)
		return 0;               /* no patterns to index */
	r->pats = xcalloc(np ? np : 1, sizeof *r->pats);
	r->pf = prefilter_new();
	for (i = 0; i < r->n; i++) {
		for (j = 0; j < r->rules[i].npats; j++) {
			struct pattern *p = &r->rules[i].pats[j];

			p->rule = (int)i;
			r->pats[r->npats++] = p;
			/* the longest literal is the gate in the one-pass prefilter
			 * (long gates let the scan skip further); the others are
			 * checked with memmem once the gate was found.  An anchored
			 * pattern with only short literals ("<= ", " A=") is instead
			 * dispatched by the first byte of the body. */
			if (p->nlocal == 0)
				continue;
			for (k = 1, g = 0; k < p->nlocal; k++)
				if (p->local_len[k] > p->local_len[g])
					g = k;
			if (p->anchored && p->local_len[g] < GATE_MIN)
				continue;
			id = prefilter_add(r->pf, p->local[g], p->local_len[g]);
			if (id < 0) {
				diag_add(d, NULL, 0, 0, "too many distinct rule literals "
				    "(at most %d)", PREFILTER_MAX);
				return -1;
			}
			p->need[id >> 6] |= 1ULL << (id & 63);
			p->first_need = id;
			free(p->local[g]);
			p->local[g] = p->local[p->nlocal - 1];
			p->local_len[g] = p->local_len[p->nlocal - 1];
			p->nlocal--;
		}
	}
	/* words that make an unmatched line worth showing ("suspicious") */
	for (k = 0; suspicious_words[k]; k++) {
		id = prefilter_add(r->pf, suspicious_words[k], strlen(suspicious_words[k]));
		if (id < 0) {
			diag_add(d, NULL, 0, 0, "too many distinct rule literals (at most %d)",
			    PREFILTER_MAX);
			return -1;
		}
		r->suspicious[id >> 6] |= 1ULL << (id & 63);
	}
	if (r->npats > UINT16_MAX) {
		diag_add(d, NULL, 0, 0, "too many rule patterns");
		return -1;
	}
	prefilter_build(r->pf);
	for (i = 0; i < r->npats; i++) {
		struct pattern *p = r->pats[i];

		if (p->first_need < 0) {
			unsigned c;

			for (c = 0; c < 256; c++)
				if (p->first[c >> 3] & (1u << (c & 7)))
					index_add(&r->by_byte[c], &r->nby_byte[c], (uint16_t)i);
		} else {
			index_add(&r->by_lit[p->first_need], &r->nby_lit[p->first_need],
			    (uint16_t)i);
		}
	}
	return 0;
}

struct rules *rules_load(const struct rules_source *src, struct diag *d)
{
	struct rules *r = xcalloc(1, sizeof *r);
	struct loader ld;
	size_t i, j;
	int source = 0;

	memset(&ld, 0, sizeof ld);
	ld.r = r;
	ld.d = d;
	ld.describe_only = r->describe_only = src && src->describe_only;
	r->jit = !r->describe_only;
	r->max_pairs = 1;
	if (!src || !src->no_builtin) {
		for (i = 0; embedded_rules[i].name; i++) {
			char *name = xasprintf("<builtin>/%s", embedded_rules[i].name);
			struct ydoc_node *doc;

			ld.file = name;
			ld.source = source;
			doc = ydoc_parse(name, embedded_rules[i].data,
			    embedded_rules[i].len, d);
			if (doc == NULL)
				ld.errors++;
			else
				load_doc(&ld, doc);
			ydoc_free(doc);
			free(name);
		}
		source++;
	}
	for (i = 0; src && src->dirs && src->dirs[i]; i++) {
		ld.source = source++;
		load_dir(&ld, src->dirs[i]);
	}
	for (i = 0; src && src->disable && src->disable[i]; i++) {
		struct rule *ru = find_rule(r, src->disable[i]);

		if (ru == NULL) {
			const char **ids = xcalloc(r->n + 1, sizeof *ids);
			const char *m;

			for (j = 0; j < r->n; j++)
				ids[j] = r->rules[j].id;
			m = suggest(src->disable[i], ids, (long)r->n);
			diag_add(d, src->disable_line ? src->disable_file : NULL,
			    src->disable_line ? src->disable_line[i] : 0,
			    src->disable_col ? src->disable_col[i] : 0,
			    "cannot disable rule '%s': no such rule id%s%s%s",
			    src->disable[i], m ? ": did you mean " : "", m ? m : "",
			    m ? "?" : "");
			free(ids);
			ld.errors++;
			continue;
		}
		j = (size_t)(ru - r->rules);
		rule_release(ru);
		memmove(ru, ru + 1, (r->n - j - 1) * sizeof *ru);
		r->n--;
	}
	if (ld.errors == 0 && r->n == 0) {
		diag_add(d, NULL, 0, 0, "no rules loaded");
		ld.errors++;
	}
	if (ld.errors || build(r, d) < 0) {
		rules_free(r);
		return NULL;
	}
	return r;
}

void rules_free(struct rules *r)
{
	size_t i;

	if (r == NULL)
		return;
	for (i = 0; i < r->n; i++)
		rule_release(&r->rules[i]);
	for (i = 0; i < r->nignore; i++)
		pattern_release(&r->ignore[i]);
	free(r->ignore);
	free(r->rules);
	free(r->names);
	free(r->pats);
	for (i = 0; i < 256; i++)
		free(r->by_byte[i]);
	for (i = 0; i < PREFILTER_MAX; i++)
		free(r->by_lit[i]);
	prefilter_free(r->pf);
	free(r);
}

int rules_jit(const struct rules *r)
{
	return r->jit;
}

size_t rules_nclasses(const struct rules *r)
{
	return r->n;
}

int rules_find(const struct rules *r, const char *id)
{
	size_t i;

	for (i = 0; i < r->n; i++)
		if (strcmp(r->rules[i].id, id) == 0)
			return (int)i;
	return -1;
}

const char *rules_class_name(const struct rules *r, size_t i)
{
	return i < r->n ? r->rules[i].id : NULL;
}

const char *rules_description(const struct rules *r, size_t i)
{
	return i < r->n ? r->rules[i].description : NULL;
}

const char *rules_remedy(const struct rules *r, size_t i)
{
	return i < r->n ? r->rules[i].remedy : NULL;
}

const char *rules_severity(const struct rules *r, size_t i)
{
	return i < r->n ? r->rules[i].severity : NULL;
}

const char *rules_origin(const struct rules *r, size_t i)
{
	return i < r->n ? r->rules[i].origin : NULL;
}

const char *const *rules_class_names(const struct rules *r)
{
	return r->names;
}

void rules_scratch_defer_host(struct rules_scratch *s, int on)
{
	s->defer_host = on;
}

int rules_scratch_suspicious(const struct rules_scratch *s)
{
	return s->suspicious;
}

int rules_once_per_message(const struct rules *r, size_t i)
{
	return i < r->n && r->rules[i].once_per_message;
}

int rules_wants_msg_sender(const struct rules *r, size_t i)
{
	size_t k;

	if (i >= r->n)
		return 0;
	for (k = 0; k < r->rules[i].naccount; k++)
		if (r->rules[i].account[k] == FIELD_MSG_SENDER)
			return 1;
	return 0;
}

struct rules_scratch *rules_scratch_new(const struct rules *r)
{
	struct rules_scratch *s;

	if (r->describe_only)
		fatalx(70, "rules_scratch_new: the rules were loaded to describe "
		    "only");
	s = xcalloc(1, sizeof *s);
	s->md = pcre2_match_data_create(r->max_pairs, NULL);
	if (s->md == NULL)
		fatalx(71, "out of memory");
	return s;
}

void rules_scratch_free(struct rules_scratch *s)
{
	if (s == NULL)
		return;
	pcre2_match_data_free(s->md);
	free(s);
}

/* ---- classification (hot path) -------------------------------------------- */

static int need_ok(const uint64_t *need, const uint64_t *found)
{
	size_t w;

	for (w = 0; w < PREFILTER_WORDS; w++)
		if ((need[w] & found[w]) != need[w])
			return 0;
	return 1;
}

/* The fields Exim writes after the client host (F=, A=, the set_id= of a
 * failed login, the RCPT address, the "for" list) are looked for only
 * after the host: the HELO before the address may hold any text, fake tags
 * included.  And F= and A= only in the run of fields right after it, the
 * rest (an ACL's message) may repeat the HELO.  Found on first use. */
struct fieldsrc {
	struct span body;
	struct span host;       /* the host text (captured or the default) */
	struct span rest;       /* the body after the host */
	struct span run;        /* the fields at the start of rest */
	int have_rest;
};

static void after_host(struct fieldsrc *fs)
{
	struct span b = fs->body, h = fs->host;
	struct eximlog_host eh;
	const char *from = b.p;

	if (fs->have_rest)
		return;
	fs->have_rest = 1;
	if (!span_ok(h)) {
		/* a rule without a host (ip: none) may still have one */
		h = eximlog_default_host(b);
	}
	if (span_ok(h)) {
		if (h.p + h.len < b.p + b.len) {
			/* a rule's capture ends at the last possible ']' */
			from = h.p + h.len;
		} else {
			/* the host runs to the end of the body: its fields
			 * start after its last address candidate (the real
			 * address is one, and the HELO is before it) */
			eximlog_host_parse(h.p, h.len, &eh);
			from = h.p + eh.end;
		}
	}
	fs->rest = span_make(from, b.len - (size_t)(from - b.p));
	fs->run = eximlog_fields(fs->rest);
}

/* after_run: the text after the fields, if it starts with `lit` */
static struct span after_run(struct fieldsrc *fs, const char *lit)
{
	const char *p;
	size_t n, l = strlen(lit);

	after_host(fs);
	p = fs->run.p + fs->run.len;
	n = fs->rest.len - fs->run.len;
	if (n < l || memcmp(p, lit, l) != 0)
		return span_make(NULL, 0);
	return span_make(p + l, n - l);
}

/* default_field: what the parser finds for field f when no capture set it */
static struct span default_field(struct fieldsrc *fs, int f)
{
	struct span body = fs->body, m;
	struct span v = span_make(NULL, 0);
	const char *e;

	switch (f) {
	case FIELD_SENDER:
		if (body.len > 3 && memcmp(body.p, "<= ", 3) == 0) {
			e = body.p + 3;
			while (e < body.p + body.len && *e != ' ')
				e++;
			/* the bounce sender "<>" is no sender */
			v = span_make(body.p + 3, e - body.p - 3 == 2 &&
			    body.p[3] == '<' ? 0 : (size_t)(e - body.p - 3));
			break;
		}
		after_host(fs);
		v = eximlog_tag(fs->run, "F=<");
		break;
	case FIELD_AUTH:
		after_host(fs);
		v = eximlog_tag(fs->run, "A=");
		if (span_ok(v)) {
			const char *c = memchr(v.p, ':', v.len);

			v = c ? span_make(c + 1, v.len - (size_t)(c + 1 - v.p)) :
			    span_make(NULL, 0);
		}
		break;
	case FIELD_SET_ID:
		/* "for <host>: 535 Incorrect authentication data (set_id=x)" */
		m = after_run(fs, ": ");
		if (span_ok(m) && m.len > 4 && (m.p[0] == '4' || m.p[0] == '5') &&
		    m.p[1] >= '0' && m.p[1] <= '9' && m.p[2] >= '0' &&
		    m.p[2] <= '9' && m.p[3] == ' ') {
			v = eximlog_tag(m, "(set_id=");
			if (span_ok(v) && v.len && v.p[v.len - 1] == ')')
				v.len--;
		}
		break;
	case FIELD_RCPT:
		if (body.len > 3 && memcmp(body.p, "<= ", 3) == 0) {
			after_host(fs);
			v = eximlog_arrival_rcpt(fs->rest);
		} else if (body.len > 3 && body.p[2] == ' ' &&
		    strchr("=-*>", body.p[0]) != NULL) {
			v = eximlog_delivery_rcpt(body);
		} else {
			/* "rejected RCPT <addr>: ...", or without brackets */
			m = after_run(fs, " rejected RCPT ");
			if (!span_ok(m))
				m = after_run(fs, " temporarily rejected RCPT ");
			if (!span_ok(m) || m.len == 0)
				break;
			if (m.p[0] == '<') {
				e = memchr(m.p, '>', m.len);
				if (e != NULL)
					v = span_make(m.p + 1, (size_t)(e - m.p - 1));
				break;
			}
			for (e = m.p; e < m.p + m.len && *e != ' ' && *e != ':'; e++)
				;
			v = span_make(m.p, (size_t)(e - m.p));
		}
		break;
	default:
		break;
	}
	return v;
}

static void fill_host(const struct rule *ru, struct span body, struct event *ev,
    int defer)
{
	struct eximlog_host h;

	if (ru->ip_none || span_ok(ev->f[FIELD_IP]))
		return;
	if (!span_ok(ev->f[FIELD_HOST]))
		ev->f[FIELD_HOST] = eximlog_default_host(body);
	if (!span_ok(ev->f[FIELD_HOST]))
		return;
	if (defer) {
		ev->host_deferred = 1;
		return;
	}
	eximlog_host_parse(ev->f[FIELD_HOST].p, ev->f[FIELD_HOST].len, &h);
	ev->f[FIELD_IP] = h.ip;
	if (!span_ok(ev->f[FIELD_PORT]))
		ev->f[FIELD_PORT] = h.port;
	if (!span_ok(ev->f[FIELD_HELO]))
		ev->f[FIELD_HELO] = h.helo;
	if (!span_ok(ev->f[FIELD_RDNS]))
		ev->f[FIELD_RDNS] = h.rdns;
	ev->ambiguous_host = h.ambiguous;
}

/* account_ok: v can be an account: not empty, not the bounce sender "<>",
 * not one of Exim's redirection keywords */
static int account_ok(struct span v)
{
	if (!span_ok(v) || v.len == 0)
		return 0;
	if (v.len == 2 && v.p[0] == '<' && v.p[1] == '>')
		return 0;
	if ((v.len >= 11 && memcmp(v.p, ":blackhole:", 11) == 0) ||
	    (v.len >= 6 && memcmp(v.p, ":fail:", 6) == 0))
		return 0;
	return 1;
}

/* fill_defaults: the client host and the account, the only fields counting
 * needs (the rest is filled on demand by rules_event_fields) */
static void fill_defaults(const struct rule *ru, const struct eximlog_line *ln,
    struct event *ev, int defer_host)
{
	struct fieldsrc fs;
	size_t k;

	fill_host(ru, ln->body, ev, defer_host);
	fs.body = ln->body;
	fs.host = ev->f[FIELD_HOST];
	fs.have_rest = 0;
	for (k = 0; k < ru->naccount; k++) {
		int f = ru->account[k];
		struct span v = ev->f[f];

		if (f == FIELD_MSG_SENDER)
			continue;   /* resolved by the caller */
		if (f == FIELD_LOCAL_USER) {
			/* resolved by the caller (pipeline: localsub), and
			 * before any field after it */
			ev->local_user_first = 1;
			continue;
		}
		if (!span_ok(v))
			ev->f[f] = v = default_field(&fs, f);
		if (account_ok(v)) {
			ev->account = v;
			return;
		}
	}
}

void rules_event_fields(const struct rules *r, const struct eximlog_line *ln,
    struct event *ev)
{
	static const int fields[] = { FIELD_SENDER, FIELD_RCPT, FIELD_AUTH,
	    FIELD_SET_ID };
	struct fieldsrc fs;
	size_t i;

	if (ev->cls < 0 || (size_t)ev->cls >= r->n)
		return;
	ev->host_deferred = 0;   /* the host text is parsed now */
	fill_host(&r->rules[ev->cls], ln->body, ev, 0);
	fs.body = ln->body;
	fs.host = ev->f[FIELD_HOST];
	fs.have_rest = 0;
	for (i = 0; i < sizeof fields / sizeof fields[0]; i++)
		if (!span_ok(ev->f[fields[i]]))
			ev->f[fields[i]] = default_field(&fs, fields[i]);
}

/* ignored: 1 if one of the ignore patterns matches the body (all of its
 * literals present, then its regex) */
static int ignored(const struct rules *r, struct rules_scratch *s,
    const char *b, size_t blen)
{
	size_t i, j;

	for (i = 0; i < r->nignore; i++) {
		const struct pattern *p = &r->ignore[i];
		int rc;

		if (p->anchor != NULL && (blen < p->anchor_len ||
		    memcmp(b, p->anchor, p->anchor_len) != 0))
			continue;
		for (j = 0; j < p->nlocal; j++)
			if (prefilter_find(b, blen, p->local[j], p->local_len[j]) == NULL)
				break;
		if (j < p->nlocal)
			continue;
		if (r->jit)
			rc = pcre2_jit_match(p->re, (PCRE2_SPTR)b, blen, 0, 0, s->md, NULL);
		else
			rc = pcre2_match(p->re, (PCRE2_SPTR)b, blen, 0, 0, s->md, NULL);
		if (rc >= 0)
			return 1;
	}
	return 0;
}

/* unmatched: no rule matched; a suspicious line stays so unless it is one
 * of the lines the rule files ignore (rare: costs nothing on the others) */
static int unmatched(const struct rules *r, struct rules_scratch *s,
    const char *b, size_t blen)
{
	if (s->suspicious && r->nignore && ignored(r, s, b, blen))
		s->suspicious = 0;
	return -1;
}

static const struct event zero_event;

int rules_classify(const struct rules *r, struct rules_scratch *s,
    const struct eximlog_line *ln, struct event *ev)
{
	uint64_t found[PREFILTER_WORDS];
	uint16_t cand[MAX_CANDS];
	size_t nc = 0, i, j, w;
	const char *b = ln->body.p;
	size_t blen = ln->body.len;
	unsigned char c0;

	s->suspicious = 0;
	if (b == NULL || blen == 0)
		return -1;
	c0 = (unsigned char)b[0];
	for (i = 0; i < r->nby_byte[c0] && nc < MAX_CANDS; i++)
		cand[nc++] = r->by_byte[c0][i];
	if (prefilter_scan(r->pf, b, blen, found)) {
		for (w = 0; w < PREFILTER_WORDS; w++) {
			uint64_t bits = found[w] & ~r->suspicious[w];

			if (found[w] & r->suspicious[w])
				s->suspicious = 1;

			while (bits) {
				int id = (int)(w * 64) + __builtin_ctzll(bits);

				bits &= bits - 1;
				for (i = 0; i < r->nby_lit[id] && nc < MAX_CANDS; i++)
					cand[nc++] = r->by_lit[id][i];
			}
		}
	}
	if (nc == 0)
		return unmatched(r, s, b, blen);
	/* priority order = pattern index order; few candidates: insertion sort */
	for (i = 1; i < nc; i++) {
		uint16_t v = cand[i];

		for (j = i; j > 0 && cand[j - 1] > v; j--)
			cand[j] = cand[j - 1];
		cand[j] = v;
	}
	for (i = 0; i < nc; i++) {
		const struct pattern *p;
		PCRE2_SIZE *ov;
		int rc;

		if (i > 0 && cand[i] == cand[i - 1])
			continue;
		p = r->pats[cand[i]];
		if (p->anchor != NULL && (blen < p->anchor_len ||
		    memcmp(b, p->anchor, p->anchor_len) != 0))
			continue;
		if (p->first_need >= 0 && !need_ok(p->need, found))
			continue;
		if (p->anchored && !(p->first[c0 >> 3] & (1u << (c0 & 7))))
			continue;
		for (j = 0; j < p->nlocal; j++)
			if (prefilter_find(b, blen, p->local[j], p->local_len[j]) == NULL)
				break;
		if (j < p->nlocal)
			continue;
		if (r->jit)
			rc = pcre2_jit_match(p->re, (PCRE2_SPTR)b, blen, 0, 0, s->md, NULL);
		else
			rc = pcre2_match(p->re, (PCRE2_SPTR)b, blen, 0, 0, s->md, NULL);
		if (rc < 0)
			continue;
		*ev = zero_event;   /* not memset: GCC makes that a slow rep stos */
		ev->cls = p->rule;
		ev->ts = ln->ts;
		ev->msgid = ln->msgid;
		ov = pcre2_get_ovector_pointer(s->md);
		for (j = 0; j < p->ncaps; j++) {
			uint16_t g = p->caps[j].group;

			if ((int)g < rc && ov[2 * g] != PCRE2_UNSET)
				ev->f[p->caps[j].field] = span_make(b + ov[2 * g],
				    ov[2 * g + 1] - ov[2 * g]);
		}
		fill_defaults(&r->rules[p->rule], ln, ev, s->defer_host);
		return p->rule;
	}
	return unmatched(r, s, b, blen);
}
