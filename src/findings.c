/* findings: JSON, table and one-line output of findings (see findings.h) */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "duration.h"
#include "findings.h"
#include "json.h"
#include "utf8.h"

size_t term_safe(struct sbuf *b, const char *s, size_t maxw)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = strlen(s), w = 0, len, step;

	while (n > 0) {
		len = utf8_seqlen(p, n);
		step = len ? len : 1;
		if (maxw && w + 1 == maxw && n > step) {
			sbuf_adds(b, "\xe2\x80\xa6");
			return w + 1;
		}
		/* invalid, C0, DEL and C1 (0xc2 0x9b is CSI) are not shown */
		if (len == 0 || (len == 1 && (p[0] < 0x20 || p[0] == 0x7f)) ||
		    (len == 2 && p[0] == 0xc2 && p[1] < 0xa0))
			sbuf_addc(b, '?');
		else
			sbuf_add(b, p, len);
		p += step;
		n -= step;
		w++;
	}
	return w;
}

static void iso(struct sbuf *b, int64_t t)
{
	char buf[32];

	json_cstr(b, time_iso((time_t)t, buf, sizeof buf));
}

void finding_remedy_text(const struct finding *f, struct sbuf *out)
{
	const char *r = finding_remedy(f->kind), *d;

	if (f->domain && (d = strstr(r, "DOMAIN")) != NULL) {
		sbuf_add(out, r, (size_t)(d - r));
		sbuf_adds(out, f->domain);
		sbuf_adds(out, d + 6);
	} else {
		sbuf_adds(out, r);
	}
}

/* json_of: one finding's object; brief: its times and evidence null (a
 * brief run does not know them) */
static void json_of(const struct finding *f, int brief, struct sbuf *b)
{
	struct sbuf r;

	sbuf_adds(b, "{\"kind\": ");
	json_cstr(b, finding_kind_name(f->kind));
	sbuf_adds(b, ", \"verdict\": ");
	json_cstr(b, verdict_name(f->verdict));
	sbuf_adds(b, ", \"ip\": ");
	json_cstr(b, f->ip);
	sbuf_adds(b, ", \"account\": ");
	json_cstr(b, f->account);
	sbuf_adds(b, ", \"owner\": ");
	json_cstr(b, f->owner);
	sbuf_adds(b, ", \"domain\": ");
	json_cstr(b, f->domain);
	sbuf_addf(b, ", \"events\": %" PRId64, f->events);
	if (brief) {
		sbuf_adds(b, ", \"first\": null, \"last\": null, \"evidence\": null");
	} else {
		sbuf_adds(b, ", \"first\": ");
		iso(b, f->first);
		sbuf_adds(b, ", \"last\": ");
		iso(b, f->last);
		sbuf_adds(b, ", \"evidence\": ");
		sbuf_adds(b, f->evidence && *f->evidence ? f->evidence : "{}");
	}
	sbuf_adds(b, ", \"remedy\": ");
	sbuf_init(&r);
	finding_remedy_text(f, &r);
	json_str(b, r.s, r.len);
	sbuf_release(&r);
	sbuf_adds(b, "}");
}

void finding_json(const struct finding *f, struct sbuf *b)
{
	json_of(f, 0, b);
}

void findings_json(const struct findings *f, time_t since, time_t until,
    struct sbuf *b)
{
	size_t i;

	sbuf_adds(b, "{\"since\": ");
	iso(b, since);
	sbuf_adds(b, ", \"until\": ");
	iso(b, until);
	sbuf_adds(b, ", \"findings\": [");
	for (i = 0; i < f->n; i++) {
		sbuf_adds(b, i ? ",\n  " : "\n  ");
		json_of(&f->v[i], f->brief, b);
	}
	sbuf_adds(b, f->n ? "\n]}\n" : "]}\n");
}

void finding_subject(const struct finding *f, struct sbuf *out)
{
	if (f->account && f->ip)
		sbuf_addf(out, "%s from %s", f->account, f->ip);
	else if (f->account)
		sbuf_adds(out, f->account);
	else if (f->ip)
		sbuf_adds(out, f->ip);
	else if (f->domain)
		sbuf_adds(out, f->domain);
	else if (f->owner)
		sbuf_adds(out, f->owner);
	if (f->owner && (f->account || f->domain) &&
	    f->kind != FK_SCRIPT_SPAM)
		sbuf_addf(out, " [%s]", f->owner);
}

static void spaces(struct sbuf *b, size_t n)
{
	while (n-- > 0)
		sbuf_addc(b, ' ');
}

/* wrap: text (plain) word-wrapped, each line indented */
static void wrap(struct sbuf *b, const char *text, size_t indent, size_t width)
{
	const char *p = text, *e;
	size_t col = 0, avail = width > indent + 20 ? width - indent : 20;
	struct sbuf w, t;

	sbuf_init(&w);
	sbuf_init(&t);
	while (*p) {
		size_t wl;

		while (*p == ' ')
			p++;
		if (*p == '\0')
			break;
		for (e = p; *e && *e != ' '; e++)
			;
		sbuf_reset(&w);
		sbuf_add(&w, p, (size_t)(e - p));
		sbuf_reset(&t);
		wl = term_safe(&t, w.s, 0);
		if (col > 0 && col + 1 + wl > avail) {
			sbuf_addc(b, '\n');
			col = 0;
		}
		if (col == 0) {
			spaces(b, indent);
		} else {
			sbuf_addc(b, ' ');
			col++;
		}
		sbuf_add(b, t.s, t.len);
		col += wl;
		p = e;
	}
	if (col > 0)
		sbuf_addc(b, '\n');
	sbuf_release(&w);
	sbuf_release(&t);
}

static const char *verdict_color(enum verdict v)
{
	switch (v) {
	case VERDICT_ABUSE: return "1;31";
	case VERDICT_ATTACK: return "31";
	case VERDICT_CONFIG: return "33";
	default: return "36";
	}
}

void findings_table(const struct findings *f, time_t since, time_t until,
    int width, int color, struct sbuf *b)
{
	size_t w = width > 0 ? (size_t)width : 80, i;
	char win[128];
	struct sbuf s, r;

	if (color)
		sbuf_adds(b, "\033[1m");
	sbuf_adds(b, "eximwatch diagnose \xe2\x80\x94 ");
	sbuf_adds(b, time_window(since, until, " \xe2\x86\x92 ", 1, win,
	    sizeof win));
	sbuf_addf(b, ": %zu finding%s", f->n, f->n == 1 ? "" : "s");
	if (color)
		sbuf_adds(b, "\033[0m");
	sbuf_adds(b, "\n");
	if (f->brief) {
		/* one line each; the evidence and remedies without --brief */
		if (f->n > 0) {
			sbuf_addc(b, '\n');
			findings_lines(f, 0, 0, width, b);
		}
		goto none;
	}
	sbuf_init(&s);
	sbuf_init(&r);
	for (i = 0; i < f->n; i++) {
		const struct finding *x = &f->v[i];

		sbuf_addc(b, '\n');
		if (color)
			sbuf_addf(b, "\033[%sm", verdict_color(x->verdict));
		sbuf_addf(b, "%-9s", verdict_name(x->verdict));
		if (color)
			sbuf_adds(b, "\033[0m");
		sbuf_addf(b, " %-26s ", finding_kind_name(x->kind));
		sbuf_reset(&s);
		finding_subject(x, &s);
		term_safe(b, s.s, 120);
		sbuf_addf(b, "  %" PRId64 " event%s\n", x->events,
		    x->events == 1 ? "" : "s");
		if (x->summary && *x->summary)
			wrap(b, x->summary, 10, w);
		sbuf_reset(&r);
		sbuf_adds(&r, "Remedy: ");
		finding_remedy_text(x, &r);
		if (color)
			sbuf_adds(b, "\033[2m");
		wrap(b, r.s, 10, w);
		if (color)
			sbuf_adds(b, "\033[0m");
	}
	sbuf_release(&s);
	sbuf_release(&r);
none:
	if (f->n == 0)
		sbuf_adds(b, "\nnothing to act on: no finding in the window\n");
}

void findings_lines(const struct findings *f, size_t max, size_t indent,
    int width, struct sbuf *b)
{
	size_t w = width > 0 ? (size_t)width : 80, i, used;
	struct sbuf s;

	sbuf_init(&s);
	for (i = 0; i < f->n && (max == 0 || i < max); i++) {
		const struct finding *x = &f->v[i];

		sbuf_reset(&s);
		spaces(b, indent);
		sbuf_addf(&s, "%-8s %s ", verdict_name(x->verdict),
		    finding_kind_name(x->kind));
		finding_subject(x, &s);
		sbuf_addf(&s, ": %" PRId64 " event%s", x->events,
		    x->events == 1 ? "" : "s");
		used = indent;
		term_safe(b, s.s, w > used + 10 ? w - used : 10);
		sbuf_addc(b, '\n');
	}
	sbuf_release(&s);
}
