/* fuzz_diagnose: the diagnosis on a database whose every text and count
 * comes from the fuzzer — the counts of the classes the judgments read
 * (in the window and in the baseline days before it), known clients and
 * evidence — then the findings as JSON, as the table and as one line each.
 * Whatever the bytes: no crash, no hang, no read out of bounds; the JSON
 * holds no raw control byte, and the table none but newlines.
 *
 * Input: records, each a type byte then its fields; a text field is a
 * length byte and that many bytes (NUL bytes included: they reach the
 * names as stored):
 *   0 count:    minute-byte class-byte n-byte ip-text account-text
 *   1 known:    family-byte addr(4 or 16 bytes) account-text minute-byte n
 *   2 evidence: kind-byte subject-text minute-byte value-text n-byte
 * A minute byte m is the minute W - 8 days + m * 77 min (the baseline
 * days) when m < 150, else W + (m - 150) min (the window: [W, W + 1h)).
 * libFuzzer entry point; `make fuzz` builds it with clang. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sqlite3.h>

#include "diag.h"
#include "diagconf.h"
#include "diagnose.h"
#include "domainlist.h"
#include "findings.h"
#include "owners.h"
#include "sbuf.h"
#include "store.h"

#define W 1795334400                    /* 2026-11-22 08:00 UTC */

static const char *const classes[] = {
	"auth_failed", "submission_auth_required", "relay_denied",
	"msg_in_auth", "msg_in_local", "bounced", "deferred", "sending_limit",
};

static struct owners *O;
static struct domainlist *L, *RD;
static struct diagconf DC;

static void setup(void)
{
	char dir[] = "/tmp/fuzz_diagnose.XXXXXX", path[128];
	struct diag d;
	FILE *fp;

	diag_init(&d);
	if (mkdtemp(dir) == NULL)
		abort();
	snprintf(path, sizeof path, "%s/userdomains", dir);
	if ((fp = fopen(path, "w")) == NULL)
		abort();
	fputs("example.com: alice\nexample.net: bob\na: c\n", fp);
	fclose(fp);
	O = owners_load(path, &d);
	unlink(path);
	snprintf(path, sizeof path, "%s/localdomains", dir);
	if ((fp = fopen(path, "w")) == NULL)
		abort();
	fputs("example.com\n", fp);
	fclose(fp);
	L = domainlist_load(path, &d);
	RD = domainlist_load(path, &d);
	unlink(path);
	rmdir(dir);
	if (O == NULL || L == NULL || RD == NULL)
		abort();
	diagconf_defaults(&DC);
	/* low thresholds: every judgment gets to judge something */
	DC.brute_min = 2;
	DC.stale_min = 1;
	DC.volume_min = 2;
	DC.new_networks = 2;
	DC.failures_min = 1;
	diag_release(&d);
}

/* a text field: its bytes, or NULL past the end */
static const uint8_t *text(const uint8_t **p, const uint8_t *end,
    size_t *len)
{
	const uint8_t *t;

	if (*p >= end)
		return NULL;
	*len = **p;
	(*p)++;
	if ((size_t)(end - *p) < *len)
		*len = (size_t)(end - *p);
	t = *p;
	*p += *len;
	return t;
}

static int byte(const uint8_t **p, const uint8_t *end, unsigned *v)
{
	if (*p >= end)
		return 0;
	*v = *(*p)++;
	return 1;
}

static int64_t minute(unsigned m)
{
	return m < 150 ? (int64_t)W - 8 * 86400 + (int64_t)m * 77 * 60 :
	    (int64_t)W + (int64_t)(m - 150) * 60;
}

/* id: the row of name in table (made if new); 0 if it cannot be */
static int64_t id(sqlite3 *db, const char *table, const char *col,
    const uint8_t *t, size_t len)
{
	char sql[160];
	sqlite3_stmt *st;
	int64_t v = 0;

	snprintf(sql, sizeof sql, "INSERT INTO %s (%s) VALUES (?1) ON CONFLICT "
	    "DO NOTHING", table, col);
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK) {
		sqlite3_bind_text(st, 1, (const char *)t, (int)len, SQLITE_STATIC);
		sqlite3_step(st);
		sqlite3_finalize(st);
	}
	snprintf(sql, sizeof sql, "SELECT id FROM %s WHERE %s = ?1", table, col);
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK) {
		sqlite3_bind_text(st, 1, (const char *)t, (int)len, SQLITE_STATIC);
		if (sqlite3_step(st) == SQLITE_ROW)
			v = sqlite3_column_int64(st, 0);
		sqlite3_finalize(st);
	}
	return v;
}

static void exec_bind(sqlite3 *db, const char *sql, const int64_t *iv,
    int ni, const uint8_t *t1, size_t l1, const uint8_t *t2, size_t l2,
    int blob1)
{
	sqlite3_stmt *st;
	int i;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		return;
	for (i = 0; i < ni; i++)
		sqlite3_bind_int64(st, i + 1, iv[i]);
	if (t1 && blob1)
		sqlite3_bind_blob(st, ni + 1, t1, (int)l1, SQLITE_STATIC);
	else if (t1)
		sqlite3_bind_text(st, ni + 1, (const char *)t1, (int)l1,
		    SQLITE_STATIC);
	if (t2)
		sqlite3_bind_text(st, ni + 2, (const char *)t2, (int)l2,
		    SQLITE_STATIC);
	sqlite3_step(st);
	sqlite3_finalize(st);
}

static void fill(sqlite3 *db, const uint8_t *p, size_t size)
{
	const uint8_t *end = p + size, *a, *b;
	size_t la, lb;
	unsigned type, m, c, n, fam;
	int64_t iv[4];

	while (byte(&p, end, &type)) {
		switch (type % 3) {
		case 0:
			if (!byte(&p, end, &m) || !byte(&p, end, &c) ||
			    !byte(&p, end, &n) || (a = text(&p, end, &la)) == NULL ||
			    (b = text(&p, end, &lb)) == NULL)
				return;
			iv[0] = minute(m);
			iv[1] = id(db, "classes", "name", (const uint8_t *)
			    classes[c % 8], strlen(classes[c % 8]));
			iv[2] = id(db, "ips", "addr", a, la);
			iv[3] = id(db, "accounts", "name", b, lb);
			if (n == 0)
				n = 1;
			{
				int64_t v[5] = { iv[0], iv[1], iv[2], iv[3], n };

				exec_bind(db, "INSERT INTO counts (bucket, class_id, "
				    "ip_id, account_id, n) VALUES (?1, ?2, ?3, ?4, ?5)",
				    v, 5, NULL, 0, NULL, 0, 0);
			}
			break;
		case 1:
			if (!byte(&p, end, &fam))
				return;
			la = fam & 1 ? 16 : 4;
			if ((size_t)(end - p) < la)
				return;
			{
				uint8_t addr[17];

				addr[0] = fam & 1 ? 6 : 4;
				memcpy(addr + 1, p, la);
				p += la;
				if ((b = text(&p, end, &lb)) == NULL ||
				    !byte(&p, end, &m) || !byte(&p, end, &n))
					return;
				iv[0] = id(db, "accounts", "name", b, lb);
				iv[1] = minute(m);
				iv[2] = minute(m) + (int64_t)(n % 7) * 3600;
				iv[3] = n;
				exec_bind(db, "INSERT OR IGNORE INTO known_clients "
				    "(account_id, first_seen, last_seen, n, addr) VALUES "
				    "(?1, ?2, ?3, ?4, ?5)", iv, 4, addr, la + 1, NULL, 0,
				    1);
			}
			break;
		default:
			if (!byte(&p, end, &c) || (a = text(&p, end, &la)) == NULL ||
			    !byte(&p, end, &m) || (b = text(&p, end, &lb)) == NULL ||
			    !byte(&p, end, &n))
				return;
			iv[0] = 1 + c % 6;
			iv[1] = minute(m);
			iv[2] = n;
			exec_bind(db, "INSERT OR IGNORE INTO evidence (kind, period, n, "
			    "subject, value) VALUES (?1, ?2, ?3, ?4, ?5)", iv, 3, a,
			    la, b, lb, 0);
			break;
		}
	}
}

/* no raw control byte but those allowed */
static void clean(const struct sbuf *b, const char *allowed)
{
	size_t i;

	for (i = 0; i < b->len; i++) {
		unsigned char c = (unsigned char)b->s[i];

		if ((c < 0x20 || c == 0x7f) && (c == 0 || strchr(allowed, c) ==
		    NULL))
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct diagnose_input in;
	struct findings f;
	struct store *s;
	struct sbuf b;
	struct diag d;

	if (O == NULL)
		setup();
	diag_init(&d);
	if ((s = store_open(":memory:", STORE_CREATE, &d)) == NULL)
		abort();
	diag_release(&d);
	sqlite3_exec(store_db(s), "BEGIN", NULL, NULL, NULL);
	fill(store_db(s), data, size);
	sqlite3_exec(store_db(s), "COMMIT", NULL, NULL, NULL);
	memset(&in, 0, sizeof in);
	in.since = W;
	in.until = W + 3600;
	in.conf = &DC;
	in.owners = O;
	in.local = L;
	in.remote = size % 2 ? RD : NULL;
	in.brief = size % 5 == 1;     /* the rollups (none here: the hour) */
	if (diagnose_run(s, &in, &f) == 0) {
		sbuf_init(&b);
		findings_json(&f, in.since, in.until, &b);
		clean(&b, "\n");
		sbuf_reset(&b);
		findings_table(&f, in.since, in.until, 80, size % 3 == 0, &b);
		clean(&b, size % 3 == 0 ? "\n\033" : "\n");
		sbuf_reset(&b);
		findings_lines(&f, 0, 2, 60, &b);
		clean(&b, "\n");
		sbuf_release(&b);
	}
	findings_release(&f);
	store_close(s);
	return 0;
}
