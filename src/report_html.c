/* report_html: the report as one self-contained HTML page (see
 * report_html.h).  Built into an sbuf like the other formats, so a
 * database error never leaves half a page behind. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cmds.h"
#include "diagnose.h"
#include "duration.h"
#include "findings.h"
#include "report_html.h"
#include "utf8.h"

/* the chart's geometry, in SVG user units (the svg scales to the width) */
#define CH_W 800
#define CH_H 120
#define CH_X0 48                /* plot area */
#define CH_X1 792
#define CH_Y0 12
#define CH_Y1 92

void report_html_text(struct sbuf *b, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n, k;

	if (s == NULL)
		return;
	n = strlen(s);
	while (n > 0) {
		switch (*p) {
		case '&': sbuf_adds(b, "&amp;"); k = 1; break;
		case '<': sbuf_adds(b, "&lt;"); k = 1; break;
		case '>': sbuf_adds(b, "&gt;"); k = 1; break;
		case '"': sbuf_adds(b, "&quot;"); k = 1; break;
		case '\'': sbuf_adds(b, "&#39;"); k = 1; break;
		case '\t': case '\n': sbuf_addc(b, (char)*p); k = 1; break;
		default:
			k = utf8_seqlen(p, n);
			/* C0, DEL and C1 controls are never shown as such */
			if (k == 0 || (k == 1 && (*p < 0x20 || *p == 0x7f)) ||
			    (k == 2 && p[0] == 0xc2 && p[1] < 0xa0)) {
				sbuf_adds(b, "\xef\xbf\xbd");
				k = k ? k : 1;
			} else {
				sbuf_add(b, p, k);
			}
			break;
		}
		p += k;
		n -= k;
	}
}

static const char *sev_class(const char *sev)
{
	if (sev && (strcmp(sev, "critical") == 0 ||
	    strcmp(sev, "warning") == 0 || strcmp(sev, "notice") == 0 ||
	    strcmp(sev, "info") == 0))
		return sev;
	return "none";
}

static int sev_high(const char *sev)
{
	return sev && (strcmp(sev, "critical") == 0 ||
	    strcmp(sev, "warning") == 0);
}

/* local time of t, "2026-11-22 08:00" */
static void when(struct sbuf *b, time_t t)
{
	char buf[32];
	struct tm tm;

	localtime_r(&t, &tm);
	strftime(buf, sizeof buf, "%Y-%m-%d %H:%M", &tm);
	sbuf_adds(b, buf);
}

static void num(struct sbuf *b, long long v)
{
	char buf[32], out[48];
	int n = snprintf(buf, sizeof buf, "%lld", v), i, o = 0;

	/* thousands separated by a thin space, as people read them */
	for (i = 0; i < n; i++) {
		if (i > 0 && buf[i - 1] != '-' && (n - i) % 3 == 0) {
			memcpy(out + o, "\xe2\x80\x89", 3);
			o += 3;
		}
		out[o++] = buf[i];
	}
	out[o] = '\0';
	sbuf_adds(b, out);
}

static const char css[] =
    ":root{color-scheme:light dark;--fg:#1d2228;--mute:#5b6570;--bg:#fff;"
    "--card:#f5f7f9;--line:#d5dbe1;--bar:#3d6fb6;--crit:#b3261e;"
    "--warn:#b86e00;--note:#1f6f9f;--info:#59636e}\n"
    "@media (prefers-color-scheme:dark){:root{--fg:#e4e8ec;--mute:#9aa5b0;"
    "--bg:#15191d;--card:#1e242a;--line:#36404a;--bar:#6b9de0;"
    "--crit:#ff7b72;--warn:#f0a030;--note:#58b0e0;--info:#a0aab4}}\n"
    "body{margin:0 auto;max-width:72rem;padding:1rem 1.5rem 3rem;"
    "font:15px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;"
    "color:var(--fg);background:var(--bg)}\n"
    "h1{font-size:1.6rem;margin:.5rem 0 0}h2{font-size:1.25rem;"
    "margin:2rem 0 .6rem;border-bottom:1px solid var(--line);"
    "padding-bottom:.2rem}h3{font-size:1.05rem;margin:0;display:flex;"
    "gap:.6rem;align-items:baseline;flex-wrap:wrap}\n"
    ".mute{color:var(--mute)}nav a{margin-right:1rem}\n"
    "a{color:var(--bar)}\n"
    ".cards{display:flex;gap:1rem;flex-wrap:wrap;margin:1rem 0}\n"
    ".cards div{background:var(--card);border-radius:6px;"
    "padding:.6rem 1rem;min-width:9rem}.cards b{display:block;"
    "font-size:1.4rem}\n"
    "article{background:var(--card);border-radius:6px;"
    "padding:.8rem 1rem;margin:.8rem 0;border-left:4px solid var(--line)}\n"
    "article.critical{border-left-color:var(--crit)}\n"
    "article.warning{border-left-color:var(--warn)}\n"
    "article.notice{border-left-color:var(--note)}\n"
    ".n{font-variant-numeric:tabular-nums;font-weight:600}\n"
    ".sev{font-size:.8rem;text-transform:uppercase;letter-spacing:.04em;"
    "padding:0 .4rem;border-radius:3px;border:1px solid currentColor}\n"
    ".sev.critical{color:var(--crit)}.sev.warning{color:var(--warn)}\n"
    ".sev.notice{color:var(--note)}.sev.info,.sev.none{color:var(--info)}\n"
    ".name{font-family:ui-monospace,SFMono-Regular,Menlo,monospace}\n"
    "p{margin:.35rem 0}details{margin-top:.3rem}\n"
    "summary{cursor:pointer;color:var(--mute)}\n"
    "svg{display:block;width:100%;height:auto;"
    "margin:.4rem 0}\n"
    "svg .bar{fill:var(--bar)}svg .axis{stroke:var(--line)}\n"
    "svg text{fill:var(--mute);font-size:11px;font-family:inherit}\n"
    "table{border-collapse:collapse;width:100%;font-size:.95rem}\n"
    "th,td{text-align:left;padding:.25rem .6rem;"
    "border-bottom:1px solid var(--line);vertical-align:top}\n"
    "td.r,th.r{text-align:right;font-variant-numeric:tabular-nums}\n"
    "td.k{font-family:ui-monospace,SFMono-Regular,Menlo,monospace;"
    "word-break:break-all}\n"
    "footer{margin-top:3rem;color:var(--mute);font-size:.85rem}";

/* chart: the class's series as an SVG bar chart; each bar has a tooltip
 * (<title>) with its time span and count */
static void chart(struct sbuf *b, const struct report_summary *sum,
    const struct report_class *c)
{
	long long max = 0;
	double bw, x, h;
	size_t i;

	for (i = 0; i < sum->nslots; i++)
		if (c->series[i] > max)
			max = c->series[i];
	bw = (double)(CH_X1 - CH_X0) / (double)(sum->nslots ? sum->nslots : 1);
	sbuf_addf(b, "<svg viewBox=\"0 0 %d %d\" role=\"img\" "
	    "aria-label=\"", CH_W, CH_H);
	report_html_text(b, c->name);
	sbuf_adds(b, " over the window\">");
	sbuf_addf(b, "<line class=\"axis\" x1=\"%d\" y1=\"%d\" x2=\"%d\" "
	    "y2=\"%d\"/>", CH_X0, CH_Y1, CH_X1, CH_Y1);
	sbuf_addf(b, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">",
	    CH_X0 - 6, CH_Y0 + 8);
	num(b, max);
	sbuf_addf(b, "</text><text x=\"%d\" y=\"%d\" text-anchor=\"end\">0"
	    "</text>", CH_X0 - 6, CH_Y1);
	for (i = 0; i < sum->nslots; i++) {
		if (c->series[i] <= 0)
			continue;
		x = CH_X0 + bw * (double)i;
		h = (double)(CH_Y1 - CH_Y0) * (double)c->series[i] /
		    (double)max;
		if (h < 1.0)
			h = 1.0;    /* any non-zero count stays visible */
		sbuf_addf(b, "<rect class=\"bar\" x=\"%.1f\" y=\"%.1f\" "
		    "width=\"%.1f\" height=\"%.1f\"><title>", x,
		    (double)CH_Y1 - h, bw > 2 ? bw * 0.85 : bw, h);
		when(b, report_slot_start(sum, i));
		sbuf_adds(b, " – ");
		when(b, report_slot_start(sum, i + 1));
		sbuf_adds(b, ": ");
		num(b, c->series[i]);
		sbuf_adds(b, "</title></rect>\n");
	}
	sbuf_addf(b, "<text x=\"%d\" y=\"%d\">", CH_X0, CH_H - 8);
	when(b, sum->since);
	sbuf_addf(b, "</text><text x=\"%d\" y=\"%d\" text-anchor=\"end\">",
	    CH_X1, CH_H - 8);
	when(b, sum->until);
	sbuf_adds(b, "</text></svg>\n");
}

static void class_article(struct sbuf *b, const struct report_summary *sum,
    const struct report_class *c)
{
	const char *sc = sev_class(c->severity);

	sbuf_addf(b, "<article class=\"%s\"><h3><span class=\"name\">", sc);
	report_html_text(b, c->name);
	sbuf_adds(b, "</span><span class=\"n\">");
	num(b, c->total);
	sbuf_adds(b, "</span>");
	if (c->severity) {
		sbuf_addf(b, "<span class=\"sev %s\">", sc);
		report_html_text(b, c->severity);
		sbuf_adds(b, "</span>");
	}
	sbuf_adds(b, "</h3>\n");
	if (c->description) {
		sbuf_adds(b, "<p>");
		report_html_text(b, c->description);
		sbuf_adds(b, "</p>\n");
	}
	chart(b, sum, c);
	if (c->remedy && *c->remedy) {
		/* open for warning and above, one click away for the rest */
		sbuf_addf(b, "<details%s><summary>What to do</summary><p>",
		    sev_high(c->severity) ? " open" : "");
		report_html_text(b, c->remedy);
		sbuf_adds(b, "</p></details>\n");
	}
	sbuf_adds(b, "</article>\n");
}

static void top_table(struct sbuf *b, const char *id, const char *title,
    const char *keyname, int with_owner, const struct report_top *t,
    size_t nt)
{
	size_t i, j;

	sbuf_addf(b, "<section id=\"%s\"><h2>%s</h2>\n", id, title);
	if (nt == 0) {
		sbuf_adds(b, "<p class=\"mute\">None in this window.</p>"
		    "</section>\n");
		return;
	}
	sbuf_addf(b, "<table><thead><tr><th class=\"r\">#</th><th>%s</th>",
	    keyname);
	if (with_owner)
		sbuf_adds(b, "<th>owner</th>");
	sbuf_adds(b, "<th class=\"r\">events</th><th>classes</th></tr>"
	    "</thead><tbody>\n");
	for (i = 0; i < nt; i++) {
		sbuf_addf(b, "<tr><td class=\"r\">%zu</td><td class=\"k\">",
		    i + 1);
		report_html_text(b, t[i].key);
		sbuf_adds(b, "</td>");
		if (with_owner) {
			sbuf_adds(b, "<td class=\"k\">");
			report_html_text(b, t[i].owner ? t[i].owner : "–");
			sbuf_adds(b, "</td>");
		}
		sbuf_adds(b, "<td class=\"r\">");
		num(b, t[i].total);
		sbuf_adds(b, "</td><td>");
		for (j = 0; j < t[i].nclasses; j++) {
			sbuf_adds(b, j ? ", " : "");
			sbuf_adds(b, "<span class=\"name\">");
			report_html_text(b, t[i].by_class[j].cls);
			sbuf_adds(b, "</span> ");
			num(b, t[i].by_class[j].n);
		}
		sbuf_adds(b, "</td></tr>\n");
	}
	sbuf_adds(b, "</tbody></table></section>\n");
}

/* filters: the --class, --ip and --account the page is limited to */
static void filters(struct sbuf *b, const struct report_opts *o)
{
	size_t i;

	if (!(o->classes && o->classes[0]) && !o->ip && !o->account)
		return;
	sbuf_adds(b, "<p id=\"filters\">Only ");
	if (o->classes && o->classes[0]) {
		sbuf_adds(b, "class ");
		for (i = 0; o->classes[i]; i++) {
			sbuf_adds(b, i ? ", <span class=\"name\">" :
			    "<span class=\"name\">");
			report_html_text(b, o->classes[i]);
			sbuf_adds(b, "</span>");
		}
	}
	if (o->ip) {
		sbuf_adds(b, o->classes && o->classes[0] ? "; IP " : "IP ");
		sbuf_adds(b, "<span class=\"name\">");
		report_html_text(b, o->ip);
		sbuf_adds(b, "</span>");
	}
	if (o->account) {
		sbuf_adds(b, (o->classes && o->classes[0]) || o->ip ?
		    "; account " : "account ");
		sbuf_adds(b, "<span class=\"name\">");
		report_html_text(b, o->account);
		sbuf_adds(b, "</span>");
	}
	sbuf_adds(b, ".</p>\n");
}

/* verdict_class: the severity style of a finding's verdict: an attack or
 * abuse is critical, this server's configuration a warning, a customer's
 * device a notice */
static const char *verdict_class(enum verdict v)
{
	switch (v) {
	case VERDICT_ATTACK:
	case VERDICT_ABUSE:
		return "critical";
	case VERDICT_CONFIG:
		return "warning";
	default:
		return "notice";
	}
}

static void findings(struct sbuf *b, const struct report_opts *o)
{
	const struct findings *fs = o->findings;
	struct sbuf t;
	size_t i;

	if (fs == NULL)
		return;        /* no diagnosis was made */
	sbuf_adds(b, "<section id=\"findings\"><h2>Findings</h2>\n");
	if (fs->n == 0)
		sbuf_adds(b, "<p class=\"mute\">The diagnosis found nothing "
		    "to act on.</p>\n");
	sbuf_init(&t);
	for (i = 0; i < fs->n; i++) {
		const struct finding *f = &fs->v[i];
		const char *sc = verdict_class(f->verdict);

		sbuf_addf(b, "<article class=\"%s\"><h3><span class=\"sev %s\">"
		    "%s</span><span>%s ", sc, sc, verdict_name(f->verdict),
		    finding_kind_name(f->kind));
		sbuf_reset(&t);
		finding_subject(f, &t);
		report_html_text(b, t.s);
		sbuf_addf(b, ": %lld event%s</span></h3>\n",
		    (long long)f->events, f->events == 1 ? "" : "s");
		if (f->summary && *f->summary) {
			sbuf_adds(b, "<p>");
			report_html_text(b, f->summary);
			sbuf_adds(b, "</p>\n");
		}
		sbuf_reset(&t);
		finding_remedy_text(f, &t);
		if (t.len > 0) {
			sbuf_adds(b, "<p><b>What to do:</b> ");
			report_html_text(b, t.s);
			sbuf_adds(b, "</p>\n");
		}
		sbuf_adds(b, "</article>\n");
	}
	sbuf_release(&t);
	sbuf_adds(b, "</section>\n");
}

void report_html(const struct report_summary *sum,
    const struct report_opts *o, struct sbuf *b)
{
	char d[32];
	size_t i, nrej = 0, ntraf = 0;

	for (i = 0; i < sum->nclasses; i++) {
		if (sum->classes[i].traffic)
			ntraf++;
		else
			nrej++;
	}
	sbuf_adds(b, "<!DOCTYPE html>\n<html lang=\"en\"><head>"
	    "<meta charset=\"utf-8\">\n"
	    /* nothing to fetch, nothing to run, wherever the page is put */
	    "<meta http-equiv=\"Content-Security-Policy\" content=\""
	    "default-src 'none'; style-src 'unsafe-inline'; "
	    "img-src data:\">\n"
	    "<meta name=\"referrer\" content=\"no-referrer\">\n"
	    "<meta name=\"viewport\" content=\"width=device-width, "
	    "initial-scale=1\">\n<title>eximwatch report");
	if (o->host) {
		sbuf_adds(b, " — ");
		report_html_text(b, o->host);
	}
	sbuf_adds(b, " — ");
	when(b, sum->since);
	sbuf_adds(b, " to ");
	when(b, sum->until);
	sbuf_addf(b, "</title>\n<style>%s</style></head>\n<body>\n", css);

	sbuf_adds(b, "<header><h1>eximwatch report");
	if (o->host) {
		sbuf_adds(b, " — <span class=\"name\">");
		report_html_text(b, o->host);
		sbuf_adds(b, "</span>");
	}
	sbuf_adds(b, "</h1>\n<p id=\"window\">");
	when(b, sum->since);
	sbuf_adds(b, " → ");
	when(b, sum->until);
	sbuf_addf(b, " (%s, local time)",
	    duration_format((long long)(sum->until - sum->since), d,
	    sizeof d));
	sbuf_adds(b, "</p>\n");
	filters(b, o);
	sbuf_adds(b, "<p class=\"mute\">");
	if (o->now > 0) {
		sbuf_adds(b, "Made ");
		when(b, o->now);
		sbuf_adds(b, " by ");
	} else {
		sbuf_adds(b, "Made by ");
	}
	sbuf_addf(b, "eximwatch %s. Each bar of a chart is %s.</p>\n",
	    eximwatch_version, duration_format(sum->step, d, sizeof d));
	sbuf_adds(b, "<nav>");
	if (o->findings)
		sbuf_adds(b, "<a href=\"#findings\">Findings</a>");
	sbuf_adds(b, "<a href=\"#rejections\">Rejections</a>"
	    "<a href=\"#traffic\">Traffic</a><a href=\"#ips\">Top IPs</a>"
	    "<a href=\"#accounts\">Top accounts</a>");
	if (o->owners)
		sbuf_adds(b, "<a href=\"#owners\">Top owners</a>");
	sbuf_adds(b, "</nav></header>\n");

	sbuf_adds(b, "<div class=\"cards\"><div>rejections and failures<b "
	    "id=\"rejects\">");
	num(b, sum->rejects);
	sbuf_addf(b, "</b>in %zu class%s</div><div>traffic<b id=\"traffic-n"
	    "\">", nrej, nrej == 1 ? "" : "es");
	num(b, sum->traffic);
	sbuf_addf(b, "</b>in %zu class%s</div></div>\n", ntraf,
	    ntraf == 1 ? "" : "es");

	findings(b, o);

	sbuf_adds(b, "<section id=\"rejections\"><h2>Rejections and "
	    "failures</h2>\n");
	if (nrej == 0)
		sbuf_adds(b, "<p class=\"mute\">None in this window.</p>\n");
	for (i = 0; i < sum->nclasses; i++)
		if (!sum->classes[i].traffic)
			class_article(b, sum, &sum->classes[i]);
	sbuf_adds(b, "</section>\n<section id=\"traffic\"><h2>Traffic</h2>\n");
	if (ntraf == 0)
		sbuf_adds(b, "<p class=\"mute\">None in this window.</p>\n");
	for (i = 0; i < sum->nclasses; i++)
		if (sum->classes[i].traffic)
			class_article(b, sum, &sum->classes[i]);
	sbuf_adds(b, "</section>\n");

	top_table(b, "ips", "Top IPs (rejections and failures)", "IP", 0,
	    sum->ips, sum->nips);
	top_table(b, "accounts", "Top accounts (rejections and failures)",
	    "account", o->owners != NULL, sum->accounts, sum->naccounts);
	if (o->owners)
		top_table(b, "owners", "Top cPanel owners (rejections and "
		    "failures)", "owner", 0, sum->owners, sum->nowners);

	sbuf_adds(b, "<footer>eximwatch report; times in the server's local "
	    "time. The log text in this page (accounts, addresses) comes "
	    "from clients and is shown as text only.</footer>\n"
	    "</body></html>\n");
}
