/* store: SQLite database of counts, files and stats (see store.h) */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "counter.h"
#include "countsvt.h"
#include "embedded.h"
#include "evidence.h"
#include "fingerprint.h"
#include "hash.h"
#include "knownclients.h"
#include "log.h"
#include "rollup.h"
#include "sbuf.h"
#include "store.h"
#include "xmalloc.h"

#define BUSY_TIMEOUT_MS 60000
#define STR_(x) #x
#define STR(x) STR_(x)
#define INTERN_MAX 65536

/* a string → id cache for one dimension table (ips or accounts).  A slot
 * holds the key's hash and length, so a probe dereferences a key only when
 * both agree (not for every probed slot of the same length), and the step
 * (STORE_LAST_USED_STEP) of the id's last_used in the table: a use in a
 * later step writes last_used, so the table's value is never a step or
 * more behind.  24 bytes: names over 65,535 bytes are not cached. */
struct islot {
	char *key;              /* NULL: empty */
	int64_t id;
	uint32_t hash;
	uint16_t len;
	uint16_t step;          /* last_used / STORE_LAST_USED_STEP */
};

#define KEY_CACHE_MAX 65535

/* step_of: the step of a minute (0 before 1970: those never write) */
static uint16_t step_of(int64_t bucket)
{
	int64_t k = bucket / STORE_LAST_USED_STEP;

	return k < 0 ? 0 : k > 65535 ? 65535 : (uint16_t)k;
}

struct intern {
	struct islot *slots;
	size_t n, cap;          /* cap: power of two */
	sqlite3_stmt *sel, *ins, *touch;
};

struct irow {
	int64_t bucket, cls, ip, acct, n;
};

struct store {
	sqlite3 *db;
	char *path;
	int readonly;
	struct intern ips, accounts;
	char **class_names;     /* class id cache: names[i] ↔ ids[i] */
	int64_t *class_ids;
	size_t nclasses;
	struct chunkw *cw;      /* adds to count_chunks */
	struct rollup *ru;      /* and gathers for the hours and days */
	struct chunk_vec group; /* store_add_counts: one chunk's new entries */
	/* store_add_counts' rows, kept between batches: a fresh buffer of this
	 * size is an mmap, and its munmap a TLB shootdown that interrupts the
	 * other threads of the process (the parser) */
	struct irow *ir, *ir_tmp;
	size_t ir_cap;
	/* lent to another thread (store_lend): the lender may not use it */
	int lent, misuse_logged;
	pthread_t lender;
};

static void intern_clear(struct intern *in)
{
	size_t i;

	if (in->slots == NULL)
		return;
	for (i = 0; i < in->cap; i++)
		free(in->slots[i].key);
	memset(in->slots, 0, in->cap * sizeof *in->slots);
	in->n = 0;
}

static void intern_release(struct intern *in)
{
	intern_clear(in);
	free(in->slots);
	sqlite3_finalize(in->sel);
	sqlite3_finalize(in->ins);
	sqlite3_finalize(in->touch);
	memset(in, 0, sizeof *in);
}

static void intern_grow(struct intern *in)
{
	struct islot *old = in->slots;
	size_t i, oldcap = in->cap;

	in->cap = oldcap ? oldcap * 2 : 1024;
	in->slots = xzalloc(in->cap, sizeof *in->slots);
	for (i = 0; i < oldcap; i++) {
		size_t s;

		if (old[i].key == NULL)
			continue;
		s = hash_bytes(0, old[i].key, old[i].len) & (in->cap - 1);
		while (in->slots[s].key)
			s = (s + 1) & (in->cap - 1);
		in->slots[s] = old[i];
	}
	free(old);
}

/* intern_touch: the id is used by a count of minute bucket, in a later
 * step than its last_used (see STORE_LAST_USED_STEP): write it.
 * 1 done, 0 the id is gone (pruned by another process since it was
 * cached), -1 error. */
static int intern_touch(struct intern *in, struct islot *sl, int64_t bucket)
{
	int rc;

	sqlite3_bind_int64(in->touch, 1, sl->id);
	sqlite3_bind_int64(in->touch, 2, bucket);
	rc = sqlite3_step(in->touch);
	sqlite3_reset(in->touch);
	if (rc != SQLITE_DONE)
		return -1;
	if (sqlite3_changes(sqlite3_db_handle(in->touch)) == 0)
		return 0;
	sl->step = step_of(bucket);
	return 1;
}

/* intern_lookup: p[0..n) (hash h) is not cached: its id from the table,
 * inserted if new, cached in the empty slot `slot` */
static int64_t intern_lookup(struct store *s, struct intern *in, size_t slot,
    const char *p, size_t n, uint64_t h, int64_t bucket)
{
	struct islot *sl;
	int64_t id = -1, last = 0;
	int rc;

	sqlite3_bind_text(in->sel, 1, p, (int)n, SQLITE_STATIC);
	rc = sqlite3_step(in->sel);
	if (rc == SQLITE_ROW) {
		id = sqlite3_column_int64(in->sel, 0);
		last = sqlite3_column_int64(in->sel, 1);
	}
	sqlite3_reset(in->sel);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return -1;
	if (id < 0) {
		sqlite3_bind_text(in->ins, 1, p, (int)n, SQLITE_STATIC);
		sqlite3_bind_int64(in->ins, 2, bucket);
		rc = sqlite3_step(in->ins);
		sqlite3_reset(in->ins);
		if (rc != SQLITE_DONE)
			return -1;
		id = sqlite3_last_insert_rowid(s->db);
		last = bucket;
	}
	if (n > KEY_CACHE_MAX) {
		/* not cached: write last_used each time it is a step behind */
		struct islot tmp = { NULL, id, 0, 0, step_of(last) };

		if (step_of(bucket) > tmp.step && intern_touch(in, &tmp, bucket) < 0)
			return -1;
		return id;
	}
	sl = &in->slots[slot];
	sl->key = xstrndup(p, n);
	sl->hash = (uint32_t)(h >> 32);
	sl->len = (uint16_t)n;
	sl->id = id;
	sl->step = step_of(last);
	in->n++;
	if (step_of(bucket) > sl->step && intern_touch(in, sl, bucket) < 0)
		return -1;
	return id;
}

/* intern_id: the id of p[0..n) in the table, inserting it if new, used by
 * a count of minute bucket; -1 on a database error.  The empty string is
 * id 0 (present in the schema, never pruned). */
static int64_t intern_id(struct store *s, struct intern *in, const char *p,
    size_t n, int64_t bucket)
{
	struct islot *sl;
	uint64_t h;
	size_t slot;
	int rc;

	if (n == 0)
		return 0;
	if (in->n * 2 >= in->cap) {
		if (in->n >= INTERN_MAX)
			intern_clear(in);   /* bounded memory: start over */
		else
			intern_grow(in);
	}
	h = hash_bytes(0, p, n);
	slot = h & (in->cap - 1);
	for (; in->slots[slot].key; slot = (slot + 1) & (in->cap - 1)) {
		sl = &in->slots[slot];
		if (sl->hash == (uint32_t)(h >> 32) && sl->len == n &&
		    memcmp(sl->key, p, n) == 0) {
			if (step_of(bucket) <= sl->step)
				return sl->id;
			if ((rc = intern_touch(in, sl, bucket)) != 0)
				return rc < 0 ? -1 : sl->id;
			/* gone: look it up again, into this slot */
			free(sl->key);
			sl->key = NULL;
			in->n--;
			break;
		}
	}
	return intern_lookup(s, in, slot, p, n, h, bucket);
}

static int exec(struct store *s, const char *sql)
{
	char *err = NULL;

	if (sqlite3_exec(s->db, sql, NULL, NULL, &err) != SQLITE_OK) {
		log_warnx("%s: %s", s->path, err ? err : sqlite3_errmsg(s->db));
		sqlite3_free(err);
		return -1;
	}
	return 0;
}

/* schema_number: the number a migration file's name starts with (NNN_), 0
 * if none */
static int schema_number(const char *name)
{
	char *end;
	long n = strtol(name, &end, 10);

	return end != name && *end == '_' && n > 0 && n < 100000 ? (int)n : 0;
}

/* object_exists: 1 if sqlite_master has a table or index named name, 0 if
 * not, -1 on an error */
static int object_exists(struct store *s, const char *name, size_t len)
{
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(s->db, "SELECT 1 FROM sqlite_master WHERE name = ?1 "
	    "COLLATE NOCASE", -1, &st, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_text(st, 1, name, (int)len, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : -1;
}

/* probe_applied: was migration sql applied to a database that does not
 * record its migrations (made before it did)?  Yes if one of the tables or
 * indexes it creates exists (it creates at least one: every migration
 * since the numbers could have gaps does); one that creates none is
 * taken as applied.  1, 0, or -1 on an error. */
static int probe_applied(struct store *s, const char *sql)
{
	static const char *const kw[] = { "CREATE TABLE ", "CREATE INDEX " };
	int found = 0, r;
	size_t k;

	for (k = 0; k < sizeof kw / sizeof kw[0]; k++) {
		const char *p = sql;

		while ((p = strstr(p, kw[k])) != NULL) {
			size_t n;

			p += strlen(kw[k]);
			if (strncmp(p, "IF NOT EXISTS ", 14) == 0)
				p += 14;
			for (n = 0; p[n] == '_' || (p[n] >= 'a' && p[n] <= 'z') ||
			    (p[n] >= 'A' && p[n] <= 'Z') || (p[n] >= '0' && p[n] <= '9');
			    n++)
				;
			if (n == 0)
				continue;
			found = 1;
			if ((r = object_exists(s, p, n)) != 0)
				return r;
		}
	}
	return !found;
}

/* migrate: apply every migration the database lacks, in number order.
 * The numbers need not be consecutive and arrive in any order
 * (migrations are numbered by whoever adds them, in parallel): a database
 * that has 5 may still lack 4.  The table schema_migrations records the
 * numbers applied (a database made before it is probed once:
 * probe_applied); user_version is the highest, so an older eximwatch
 * refuses a database a newer one upgraded. */
static int migrate(struct store *s, struct diag *d)
{
	sqlite3_stmt *st;
	int version = 0, last = 0, i, num, has_table, r, missing = 0;
	char *err = NULL;
	unsigned char applied[100000 / 8 + 1];

	memset(applied, 0, sizeof applied);
	if (sqlite3_prepare_v2(s->db, "PRAGMA user_version", -1, &st, NULL) != SQLITE_OK)
		goto dberr;
	if (sqlite3_step(st) == SQLITE_ROW)
		version = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	for (i = 0; embedded_schema[i].name; i++)
		if ((num = schema_number(embedded_schema[i].name)) > last)
			last = num;
	if (version > last) {
		diag_add(d, s->path, 0, 0, "database schema version %d is newer than "
		    "this eximwatch knows (%d): upgrade eximwatch", version, last);
		return -1;
	}
	/* what it has */
	if ((has_table = object_exists(s, "schema_migrations", 17)) < 0)
		goto dberr;
	if (has_table) {
		if (sqlite3_prepare_v2(s->db, "SELECT number FROM schema_migrations",
		    -1, &st, NULL) != SQLITE_OK)
			goto dberr;
		while (sqlite3_step(st) == SQLITE_ROW)
			if ((num = sqlite3_column_int(st, 0)) > 0 && num < 100000)
				applied[num / 8] |= (unsigned char)(1u << (num % 8));
		sqlite3_finalize(st);
	} else {
		for (i = 0; embedded_schema[i].name; i++) {
			num = schema_number(embedded_schema[i].name);
			if (num == 0 || num > version)
				continue;
			if ((r = probe_applied(s, embedded_schema[i].data)) < 0)
				goto dberr;
			if (r)
				applied[num / 8] |= (unsigned char)(1u << (num % 8));
		}
	}
	for (i = 0; embedded_schema[i].name; i++)
		if ((num = schema_number(embedded_schema[i].name)) > 0 &&
		    !(applied[num / 8] & (1u << (num % 8))))
			missing++;
	if (missing == 0 && has_table)
		return 0;
	if (s->readonly) {
		if (missing == 0)
			return 0;
		diag_add(d, s->path, 0, 0, "database needs an upgrade (schema %d → %d, "
		    "%d migration(s) to apply): run 'eximwatch scan' or the daemon "
		    "once with write access", version, last, missing);
		return -1;
	}
	/* the record first (with what a probe found), then each missing
	 * migration with its record, in one transaction each */
	if (!has_table) {
		struct sbuf b;

		sbuf_init(&b);
		sbuf_adds(&b, "BEGIN IMMEDIATE;\nCREATE TABLE schema_migrations ("
		    "number INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL);\n");
		for (num = 1; num < 100000; num++)
			if (applied[num / 8] & (1u << (num % 8)))
				sbuf_addf(&b, "INSERT INTO schema_migrations VALUES (%d, 0);\n",
				    num);
		sbuf_adds(&b, "COMMIT;");
		if (sqlite3_exec(s->db, b.s, NULL, NULL, &err) != SQLITE_OK) {
			diag_add(d, s->path, 0, 0, "recording the schema's migrations: "
			    "%s", err ? err : sqlite3_errmsg(s->db));
			sqlite3_free(err);
			sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
			sbuf_release(&b);
			return -1;
		}
		sbuf_release(&b);
	}
	for (i = 0; embedded_schema[i].name; i++) {
		char *sql;

		/* embedded in name order: numbers ascending */
		num = schema_number(embedded_schema[i].name);
		if (num == 0 || (applied[num / 8] & (1u << (num % 8))))
			continue;
		if (num > version)
			version = num;
		sql = xasprintf("BEGIN IMMEDIATE;\n%s\nINSERT INTO schema_migrations "
		    "VALUES (%d, strftime('%%s', 'now'));\nPRAGMA user_version = %d;\n"
		    "COMMIT;", embedded_schema[i].data, num, version);
		if (sqlite3_exec(s->db, sql, NULL, NULL, &err) != SQLITE_OK) {
			diag_add(d, s->path, 0, 0, "applying schema %s: %s",
			    embedded_schema[i].name, err ? err : sqlite3_errmsg(s->db));
			sqlite3_free(err);
			sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
			free(sql);
			return -1;
		}
		free(sql);
	}
	return 0;
dberr:
	diag_add(d, s->path, 0, 0, "%s", sqlite3_errmsg(s->db));
	return -1;
}

static int prepare(struct store *s, sqlite3_stmt **st, const char *sql)
{
	if (sqlite3_prepare_v3(s->db, sql, -1, SQLITE_PREPARE_PERSISTENT, st,
	    NULL) != SQLITE_OK) {
		log_warnx("%s: preparing statement: %s", s->path, sqlite3_errmsg(s->db));
		return -1;
	}
	return 0;
}

static int mkdir_parent(const char *path)
{
	char *dir = xstrdup(path), *sl = strrchr(dir, '/');
	int rc = 0;

	if (sl != NULL && sl != dir) {
		*sl = '\0';
		if (access(dir, F_OK) != 0) {
			char *p;

			for (p = dir + 1; *p; p++) {
				if (*p != '/')
					continue;
				*p = '\0';
				if (mkdir(dir, 0755) != 0 && errno != EEXIST)
					rc = -1;
				*p = '/';
			}
			if (mkdir(dir, 0755) != 0 && errno != EEXIST)
				rc = -1;
		}
	}
	free(dir);
	return rc;
}

/* no_access: why path cannot be read, in d; errno = EACCES */
static void no_access(struct diag *d, const char *path)
{
	struct stat st;
	struct passwd *pw;
	struct group *gr;
	char own[96];

	if (stat(path, &st) != 0) {
		diag_add(d, path, 0, 0, "cannot reach the database: %s (a directory "
		    "on its path is closed to you: run as root or its owner, or give "
		    "another --db)", strerror(errno));
	} else {
		pw = getpwuid(st.st_uid);
		gr = getgrgid(st.st_gid);
		snprintf(own, sizeof own, "%s:%s %04o", pw ? pw->pw_name : "?",
		    gr ? gr->gr_name : "?", (unsigned)(st.st_mode & 07777));
		diag_add(d, path, 0, 0, "cannot read the database: permission "
		    "denied (it is %s: run as root or its owner, or join its group)",
		    own);
	}
	errno = EACCES;
}

/* wal_pending: a write-ahead log with content next to path */
static int wal_pending(const char *path)
{
	char *wal = xasprintf("%s-wal", path);
	struct stat st;
	int r = stat(wal, &st) == 0 && st.st_size > 0;

	free(wal);
	return r;
}

/* open_immutable: path as a read-only URI that promises SQLite nobody
 * writes it, so it needs no -shm file (which a reader that cannot write
 * the directory cannot create) */
static int open_immutable(struct store *s)
{
	struct sbuf u;
	const char *p;
	int rc;

	sbuf_init(&u);
	sbuf_adds(&u, "file:");
	for (p = s->path; *p; p++) {
		if (*p == '%' || *p == '?' || *p == '#' || (unsigned char)*p < 0x20)
			sbuf_addf(&u, "%%%02X", (unsigned char)*p);
		else
			sbuf_addc(&u, *p);
	}
	sbuf_adds(&u, "?immutable=1");
	sqlite3_close(s->db);
	s->db = NULL;
	rc = sqlite3_open_v2(u.s, &s->db, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI |
	    SQLITE_OPEN_NOMUTEX, NULL);
	sbuf_release(&u);
	if (rc == SQLITE_OK)
		rc = countsvt_register(s->db);
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(s->db, "SELECT count(*) FROM sqlite_master", NULL,
		    NULL, NULL);
	return rc;
}

static int permission_code(int rc)
{
	rc &= 0xff;
	return rc == SQLITE_READONLY || rc == SQLITE_CANTOPEN ||
	    rc == SQLITE_PERM || rc == SQLITE_AUTH;
}

struct store *store_open(const char *path, int flags, struct diag *d)
{
	struct store *s;
	int oflags, rc;

	if (flags & STORE_READONLY) {
		if (access(path, F_OK) != 0) {
			if (errno != ENOENT) {
				no_access(d, path);
				return NULL;
			}
			diag_add(d, path, 0, 0, "no database here: run 'eximwatch scan FILE' "
			    "or start the daemon first (or give --db)");
			errno = ENOENT;
			return NULL;
		}
		if (access(path, R_OK) != 0) {
			no_access(d, path);
			return NULL;
		}
		oflags = SQLITE_OPEN_READONLY;
	} else {
		oflags = SQLITE_OPEN_READWRITE;
		if (flags & STORE_CREATE) {
			oflags |= SQLITE_OPEN_CREATE;
			if (mkdir_parent(path) < 0) {
				diag_add(d, path, 0, 0, "cannot create the database directory: %s",
				    strerror(errno));
				return NULL;
			}
		} else if (access(path, F_OK) != 0) {
			diag_add(d, path, 0, 0, "no database here (give --db)");
			return NULL;
		}
	}
	s = xcalloc(1, sizeof *s);
	s->path = xstrdup(path);
	s->readonly = (flags & STORE_READONLY) != 0;
	/* no allocation statistics: they take a global mutex on every one of
	 * SQLite's mallocs (a no-op once SQLite is initialised) */
	sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
	rc = sqlite3_open_v2(path, &s->db, oflags | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK) {
		diag_add(d, path, 0, 0, "cannot open database: %s%s",
		    s->db ? sqlite3_errmsg(s->db) : sqlite3_errstr(rc),
		    rc == SQLITE_CANTOPEN ? " (check the path and permissions)" : "");
		errno = permission_code(rc) ? EACCES : EIO;
		goto fail;
	}
	sqlite3_busy_timeout(s->db, BUSY_TIMEOUT_MS);
	sqlite3_extended_result_codes(s->db, 1);
	if ((rc = countsvt_register(s->db)) != SQLITE_OK) {
		diag_add(d, path, 0, 0, "cannot open database: %s", sqlite3_errstr(rc));
		errno = EIO;
		goto fail;
	}
	/* a quick integrity probe: a corrupt or non-database file fails here */
	rc = sqlite3_exec(s->db, "SELECT count(*) FROM sqlite_master", NULL, NULL, NULL);
	/* a reader that cannot write the directory cannot create the -shm file
	 * of a WAL database: with no log pending the file alone is complete */
	if (rc != SQLITE_OK && s->readonly && permission_code(rc) &&
	    !wal_pending(path))
		rc = open_immutable(s);
	if (rc != SQLITE_OK) {
		int code = (s->db ? sqlite3_errcode(s->db) : rc) & 0xff;

		if (code == SQLITE_NOTADB || code == SQLITE_CORRUPT) {
			diag_add(d, path, 0, 0, "not a usable eximwatch database: %s (move "
			    "it away or give another --db; nothing was changed)",
			    sqlite3_errmsg(s->db));
			errno = EIO;
		} else if (permission_code(code)) {
			diag_add(d, path, 0, 0, "cannot %s the database: %s (permission "
			    "denied on it, its directory or its -wal/-shm files: run as "
			    "root or the owner of the directory)", s->readonly ? "read" :
			    "write", sqlite3_errmsg(s->db));
			errno = EACCES;
		} else {
			diag_add(d, path, 0, 0, "cannot open database: %s",
			    sqlite3_errmsg(s->db));
			errno = EIO;
		}
		goto fail;
	}
	if (!s->readonly) {
		if (sqlite3_exec(s->db, "PRAGMA journal_mode=WAL", NULL, NULL, NULL) != SQLITE_OK) {
			diag_add(d, path, 0, 0, "cannot use the database: %s%s",
			    sqlite3_errmsg(s->db),
			    sqlite3_errcode(s->db) == SQLITE_READONLY ||
			    (sqlite3_extended_errcode(s->db) & 0xff) == SQLITE_READONLY ?
			    " (the file or its directory is read-only)" : "");
			goto fail;
		}
		sqlite3_exec(s->db, "PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=OFF;"
		    " PRAGMA cache_size=-4000;", NULL, NULL, NULL);
	}
	if (migrate(s, d) < 0)
		goto fail;
	if (!s->readonly) {
		if (prepare(s, &s->ips.sel, "SELECT id, last_used FROM ips WHERE "
		    "addr = ?") < 0 ||
		    prepare(s, &s->ips.ins, "INSERT INTO ips (addr, last_used) "
		    "VALUES (?, ?)") < 0 ||
		    prepare(s, &s->ips.touch, "UPDATE ips SET last_used = "
		    "max(last_used, ?2) WHERE id = ?1") < 0 ||
		    prepare(s, &s->accounts.sel, "SELECT id, last_used FROM accounts "
		    "WHERE name = ?") < 0 ||
		    prepare(s, &s->accounts.ins, "INSERT INTO accounts (name, "
		    "last_used) VALUES (?, ?)") < 0 ||
		    prepare(s, &s->accounts.touch, "UPDATE accounts SET last_used = "
		    "max(last_used, ?2) WHERE id = ?1") < 0) {
			diag_add(d, path, 0, 0, "%s", sqlite3_errmsg(s->db));
			goto fail;
		}
		s->cw = chunkw_new(s->db, "count_chunks");
		s->ru = rollup_new(s->db);
	}
	return s;
fail:
	store_close(s);
	return NULL;
}

void store_close(struct store *s)
{
	size_t i;

	if (s == NULL)
		return;
	intern_release(&s->ips);
	intern_release(&s->accounts);
	free(s->ir);
	free(s->ir_tmp);
	chunkw_free(s->cw);
	rollup_free(s->ru);
	chunk_vec_release(&s->group);
	for (i = 0; i < s->nclasses; i++)
		free(s->class_names[i]);
	free(s->class_names);
	free(s->class_ids);
	if (s->db)
		sqlite3_close_v2(s->db);
	free(s->path);
	free(s);
}

sqlite3 *store_db(struct store *s)
{
	if (s->lent && pthread_equal(pthread_self(), s->lender) &&
	    !s->misuse_logged) {
		/* a bug: one connection (SQLITE_OPEN_NOMUTEX) used by two
		 * threads at once; said once, loudly, so tests catch it */
		log_warnx("%s: internal error: the database used by one thread "
		    "while another owns it", s->path);
		s->misuse_logged = 1;
	}
	return s->db;
}

void store_lend(struct store *s, int on)
{
	s->lent = on;
	if (on)
		s->lender = pthread_self();
}

const char *store_path(const struct store *s)
{
	return s->path;
}

const char *store_errmsg(struct store *s)
{
	return sqlite3_errmsg(s->db);
}

int64_t store_account_id(struct store *s, const char *name, size_t len,
    int64_t bucket)
{
	if (s->readonly)
		return -1;
	return intern_id(s, &s->accounts, name, len, bucket);
}

int store_begin(struct store *s)
{
	return exec(s, "BEGIN IMMEDIATE");
}

int store_commit(struct store *s)
{
	int rc;

	/* the hours and days of this transaction's counts, in it */
	if (s->ru && (rc = rollup_flush(s->ru)) != SQLITE_OK) {
		log_warnx("%s: writing the hourly and daily counts: %s", s->path,
		    rc == SQLITE_CORRUPT ? "a stored chunk is malformed (the "
		    "database is damaged)" : sqlite3_errmsg(s->db));
		return -1;
	}
	return exec(s, "COMMIT");
}

/* forget_ids: ids interned in a rolled-back transaction no longer exist */
static void forget_ids(struct store *s)
{
	size_t i;

	intern_clear(&s->ips);
	intern_clear(&s->accounts);
	for (i = 0; i < s->nclasses; i++)
		free(s->class_names[i]);
	s->nclasses = 0;
}

int store_rollback(struct store *s)
{
	forget_ids(s);
	if (s->ru)
		rollup_discard(s->ru);
	if (sqlite3_get_autocommit(s->db))
		return 0;
	return exec(s, "ROLLBACK");
}

/* class_id: id of a class name, created on first use */
static int64_t class_id(struct store *s, const char *name)
{
	sqlite3_stmt *st;
	int64_t id = -1;
	size_t i;

	for (i = 0; i < s->nclasses; i++)
		if (strcmp(s->class_names[i], name) == 0)
			return s->class_ids[i];
	if (sqlite3_prepare_v2(s->db, "INSERT INTO classes (name) VALUES (?1) "
	    "ON CONFLICT (name) DO UPDATE SET name = excluded.name RETURNING id",
	    -1, &st, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW)
		id = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	if (id < 0)
		return -1;
	s->class_names = xreallocarray(s->class_names, s->nclasses + 1,
	    sizeof *s->class_names);
	s->class_ids = xreallocarray(s->class_ids, s->nclasses + 1,
	    sizeof *s->class_ids);
	s->class_names[s->nclasses] = xstrdup(name);
	s->class_ids[s->nclasses++] = id;
	return id;
}


static inline int irow_lt(const struct irow *x, const struct irow *y)
{
	if (x->bucket != y->bucket)
		return x->bucket < y->bucket;
	if (x->cls != y->cls)
		return x->cls < y->cls;
	if (x->ip != y->ip)
		return x->ip < y->ip;
	return x->acct < y->acct;
}

/* irow_sort: a stable merge sort of a[0..n) with tmp[0..n/2] as scratch; the
 * compare is inlined (qsort's callback was a tenth of the writer's time) and
 * the rows come mostly in order (a log is mostly in time order), so sorted
 * halves are only checked, not merged */
static void irow_sort(struct irow *a, struct irow *tmp, size_t n)
{
	size_t i, j, k, h;

	if (n <= 16) {
		for (i = 1; i < n; i++) {
			struct irow v = a[i];

			for (j = i; j > 0 && irow_lt(&v, &a[j - 1]); j--)
				a[j] = a[j - 1];
			a[j] = v;
		}
		return;
	}
	h = n / 2;
	irow_sort(a, tmp, h);
	irow_sort(a + h, tmp, n - h);
	if (!irow_lt(&a[h], &a[h - 1]))
		return;
	memcpy(tmp, a, h * sizeof *a);
	for (i = 0, j = h, k = 0; i < h && j < n; k++)
		a[k] = irow_lt(&a[j], &tmp[i]) ? a[j++] : tmp[i++];
	while (i < h)
		a[k++] = tmp[i++];
}

int store_add_counts(struct store *s, const struct counter *batch,
    const char *const *class_names, size_t nclasses)
{
	const struct counter_row *rows;
	const char *arena = counter_arena(batch);
	struct irow *ir;
	int64_t *cls_ids, corrupt = INT64_MIN;
	size_t n, i, k;
	int rc = -1;

	rows = counter_rows(batch, &n);
	if (n == 0)
		return 0;
	cls_ids = xcalloc(nclasses ? nclasses : 1, sizeof *cls_ids);
	for (i = 0; i < nclasses; i++)
		cls_ids[i] = -2;
	if (n > s->ir_cap) {
		free(s->ir);
		free(s->ir_tmp);
		s->ir_cap = n;
		s->ir = xmalloc(n * sizeof *s->ir);
		s->ir_tmp = xmalloc((n / 2 + 1) * sizeof *s->ir_tmp);
	}
	ir = s->ir;
	for (i = 0; i < n; i++) {
		const struct counter_row *r = &rows[i];

		if (r->cls >= nclasses)
			goto out;
		if (cls_ids[r->cls] == -2)
			cls_ids[r->cls] = class_id(s, class_names[r->cls]);
		ir[i].bucket = r->bucket;
		ir[i].cls = cls_ids[r->cls];
		ir[i].ip = intern_id(s, &s->ips, arena + r->ip_off, r->ip_len,
		    r->bucket);
		ir[i].acct = intern_id(s, &s->accounts, arena + r->acct_off,
		    r->acct_len, r->bucket);
		ir[i].n = (int64_t)r->n;
		if (ir[i].cls < 0 || ir[i].ip < 0 || ir[i].acct < 0)
			goto out;
	}
	/* sorted keys make the b-tree inserts mostly appends */
	irow_sort(ir, s->ir_tmp, n);
	/* one chunk per (bucket, class): its rows are adjacent once sorted */
	for (i = 0; i < n; i = k) {
		int src;

		s->group.n = 0;
		for (k = i; k < n && ir[k].bucket == ir[i].bucket &&
		    ir[k].cls == ir[i].cls; k++)
			chunk_vec_push(&s->group, ir[k].ip, ir[k].acct, ir[k].n);
		src = chunkw_add(s->cw, ir[i].bucket, ir[i].cls, s->group.v,
		    s->group.n);
		if (src == SQLITE_CORRUPT)
			corrupt = ir[i].bucket;
		if (src != SQLITE_OK)
			goto out;
		src = rollup_add(s->ru, ir[i].bucket, ir[i].cls, s->group.v,
		    s->group.n);
		if (src == SQLITE_CORRUPT)
			corrupt = ir[i].bucket;
		if (src != SQLITE_OK)
			goto out;
	}
	rc = 0;
out:
	/* the caller rolls back, which forgets the ids cached since */
	if (rc < 0 && corrupt != INT64_MIN)
		log_warnx("%s: writing counts: the stored chunk of minute %" PRId64
		    " is malformed (the database is damaged)", s->path, corrupt);
	else if (rc < 0)
		log_warnx("%s: writing counts: %s", s->path, sqlite3_errmsg(s->db));
	free(cls_ids);
	return rc;
}

uint64_t store_fp_hash(const unsigned char *p, size_t n)
{
	return fingerprint(p, n);
}

static void file_from_row(sqlite3_stmt *st, struct store_file *f)
{
	const unsigned char *p;

	memset(f, 0, sizeof *f);
	f->id = sqlite3_column_int64(st, 0);
	f->fp_hash = (uint64_t)sqlite3_column_int64(st, 1);
	f->fp_len = (uint32_t)sqlite3_column_int(st, 2);
	f->dev = (uint64_t)sqlite3_column_int64(st, 3);
	f->ino = (uint64_t)sqlite3_column_int64(st, 4);
	p = sqlite3_column_text(st, 5);
	snprintf(f->path, sizeof f->path, "%s", p ? (const char *)p : "");
	f->offset = (uint64_t)sqlite3_column_int64(st, 6);
	f->lines = (uint64_t)sqlite3_column_int64(st, 7);
}

#define FILE_COLS "id, fp_hash, fp_len, dev, ino, path, offset, lines"

int store_file_find(struct store *s, const unsigned char *head, size_t head_len,
    struct store_file *out)
{
	sqlite3_stmt *st;
	int rc, found = 0;
	uint32_t best = 0;

	/* candidates: every stored fingerprint length that the head covers */
	if (sqlite3_prepare_v2(s->db, "SELECT " FILE_COLS " FROM files "
	    "WHERE fp_len <= ?1 ORDER BY fp_len DESC, updated DESC", -1, &st,
	    NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_int64(st, 1, (int64_t)head_len);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		uint32_t len = (uint32_t)sqlite3_column_int(st, 2);
		uint64_t h = (uint64_t)sqlite3_column_int64(st, 1);

		if (len == 0 || len < best)
			continue;
		if (fingerprint(head, len) == h) {
			file_from_row(st, out);
			best = len;
			found = 1;
			break;
		}
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return -1;
	return found;
}

int store_file_save(struct store *s, struct store_file *f)
{
	sqlite3_stmt *st;
	int rc;
	int64_t now = (int64_t)time(NULL);

	if (f->id > 0) {
		rc = sqlite3_prepare_v2(s->db, "UPDATE files SET fp_hash=?1, fp_len=?2, "
		    "dev=?3, ino=?4, path=?5, offset=?6, lines=?7, updated=?8 "
		    "WHERE id=?9", -1, &st, NULL);
	} else {
		rc = sqlite3_prepare_v2(s->db, "INSERT INTO files (fp_hash, fp_len, dev, "
		    "ino, path, offset, lines, first_seen, updated) VALUES "
		    "(?1,?2,?3,?4,?5,?6,?7,?8,?8)", -1, &st, NULL);
	}
	if (rc != SQLITE_OK)
		return -1;
	sqlite3_bind_int64(st, 1, (int64_t)f->fp_hash);
	sqlite3_bind_int64(st, 2, f->fp_len);
	sqlite3_bind_int64(st, 3, (int64_t)f->dev);
	sqlite3_bind_int64(st, 4, (int64_t)f->ino);
	sqlite3_bind_text(st, 5, f->path, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 6, (int64_t)f->offset);
	sqlite3_bind_int64(st, 7, (int64_t)f->lines);
	sqlite3_bind_int64(st, 8, now);
	if (f->id > 0)
		sqlite3_bind_int64(st, 9, f->id);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return -1;
	if (f->id <= 0)
		f->id = sqlite3_last_insert_rowid(s->db);
	return 0;
}

int store_file_list(struct store *s, struct store_file **out, size_t *n)
{
	sqlite3_stmt *st;
	int rc;
	size_t cap = 0;

	*out = NULL;
	*n = 0;
	if (sqlite3_prepare_v2(s->db, "SELECT " FILE_COLS " FROM files ORDER BY "
	    "updated, id", -1, &st, NULL) != SQLITE_OK)
		return -1;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (*n == cap) {
			cap = cap ? cap * 2 : 16;
			*out = xreallocarray(*out, cap, sizeof **out);
		}
		file_from_row(st, &(*out)[(*n)++]);
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

int store_stat_add(struct store *s, const char *name, int64_t delta)
{
	sqlite3_stmt *st;
	int rc;

	if (delta == 0)
		return 0;
	if (sqlite3_prepare_v2(s->db, "INSERT INTO stats (name, value) VALUES (?1, ?2) "
	    "ON CONFLICT (name) DO UPDATE SET value = value + excluded.value",
	    -1, &st, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, delta);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

int store_stat_get(struct store *s, const char *name, int64_t *value)
{
	sqlite3_stmt *st;
	int rc;

	*value = 0;
	if (sqlite3_prepare_v2(s->db, "SELECT value FROM stats WHERE name = ?1",
	    -1, &st, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*value = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : -1;
}

int store_meta_set(struct store *s, const char *key, const char *value)
{
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(s->db, "INSERT INTO meta (key, value) VALUES (?1, ?2) "
	    "ON CONFLICT (key) DO UPDATE SET value = excluded.value", -1, &st,
	    NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, value, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

int store_meta_get(struct store *s, const char *key, char *buf, size_t len)
{
	sqlite3_stmt *st;
	int rc;

	if (len)
		buf[0] = '\0';
	if (sqlite3_prepare_v2(s->db, "SELECT value FROM meta WHERE key = ?1", -1,
	    &st, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		snprintf(buf, len, "%s", (const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : -1;
}

int store_meta_dup(struct store *s, const char *key, char **value)
{
	sqlite3_stmt *st;
	int rc;

	*value = NULL;
	if (sqlite3_prepare_v2(s->db, "SELECT value FROM meta WHERE key = ?1", -1,
	    &st, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*value = xstrdup((const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : -1;
}

int64_t store_prune(struct store *s, time_t before)
{
	/* the minutes before the cut, the hours and days that end before it
	 * (the hour and the day holding it keep counts of pruned minutes, so
	 * readers cut there: store_pruned_before); then what ages out with
	 * the counts: addresses and accounts no count uses any more
	 * (last_used lags the newest use by less than a step; an account a
	 * known client names stays), alerts
	 * resolved before the retention, notifications delivered or given up
	 * before it, and the alert windows of thresholds that are gone from
	 * the configuration */
	static const char *const sql[] = {
		"DELETE FROM count_chunks WHERE bucket < ?1",
		"DELETE FROM count_hours WHERE bucket + 3600 <= ?1",
		"DELETE FROM count_days WHERE bucket + 86400 <= ?1",
		"DELETE FROM count_days_done WHERE day + 86400 <= ?1",
		"DELETE FROM ips WHERE last_used < ?1 - " STR(STORE_LAST_USED_STEP)
		    " AND id <> 0",
		/* an account of a known client stays while the client does
		 * (known_clients.account_id; its id must not be reused) */
		"DELETE FROM accounts WHERE last_used < ?1 - "
		    STR(STORE_LAST_USED_STEP) " AND id <> 0 AND id NOT IN "
		    "(SELECT account_id FROM known_clients)",
		"DELETE FROM outbox_alerts WHERE alert_id IN (SELECT id FROM alerts "
		    "WHERE state = 'resolved' AND resolved_at < ?1)",
		"DELETE FROM alerts WHERE state = 'resolved' AND resolved_at < ?1",
		"DELETE FROM outbox_alerts WHERE outbox_id IN (SELECT id FROM outbox "
		    "WHERE status <> 'pending' AND done_at < ?1)",
		"DELETE FROM outbox WHERE status <> 'pending' AND done_at < ?1",
		"DELETE FROM alert_window WHERE ts < ?1",
		"DELETE FROM alert_distinct WHERE ts < ?1",
	};
	sqlite3_stmt *st;
	int64_t n = 0;
	char cut[32], old[32];
	size_t i;
	int rc;

	/* all or nothing, in the caller's transaction or on its own */
	if (exec(s, "SAVEPOINT prune") < 0)
		return -1;
	/* known clients and evidence age out by their own times, before the
	 * accounts: an account a known client names stays (below) */
	if (knownclients_prune(s, (int64_t)before) < 0 ||
	    evidence_prune(s, (int64_t)before) < 0)
		goto fail;
	for (i = 0; i < sizeof sql / sizeof sql[0]; i++) {
		if (sqlite3_prepare_v2(s->db, sql[i], -1, &st, NULL) != SQLITE_OK)
			goto fail;
		sqlite3_bind_int64(st, 1, (int64_t)before);
		rc = sqlite3_step(st);
		sqlite3_finalize(st);
		if (rc != SQLITE_DONE)
			goto fail;
		if (i == 0)
			n = sqlite3_changes64(s->db);
	}
	if (store_meta_get(s, "pruned_before", old, sizeof old) != 1 ||
	    strtoll(old, NULL, 10) < (long long)before) {
		snprintf(cut, sizeof cut, "%lld", (long long)before);
		if (store_meta_set(s, "pruned_before", cut) < 0)
			goto fail;
	}
	if (exec(s, "RELEASE prune") < 0)
		goto fail;
	/* the cached ids may be gone */
	intern_clear(&s->ips);
	intern_clear(&s->accounts);
	return n;
fail:
	exec(s, "ROLLBACK TO prune");
	exec(s, "RELEASE prune");
	/* (the caches may hold ids the savepoint's deletes had taken) */
	intern_clear(&s->ips);
	intern_clear(&s->accounts);
	return -1;
}

int64_t store_rollup_days(struct store *s, time_t before)
{
	int64_t n;

	if (s->ru == NULL)
		return 0;
	if ((n = rollup_days(s->ru, (int64_t)before)) < 0) {
		log_warnx("%s: rolling up the days: %s", s->path,
		    -n == SQLITE_CORRUPT ? "a stored chunk is malformed (the "
		    "database is damaged)" : sqlite3_errmsg(s->db));
		return -1;
	}
	return n;
}

time_t store_pruned_before(struct store *s)
{
	char v[32];

	if (store_meta_get(s, "pruned_before", v, sizeof v) != 1)
		return 0;
	return (time_t)strtoll(v, NULL, 10);
}
