/* report_html: `eximwatch report --format html` — one self-contained page.
 *
 * The page fetches nothing: inline CSS, the charts as inline SVG, no
 * script, no external URL (a Content-Security-Policy of default-src 'none'
 * says so to the browser too), so it can be mailed, copied or served as a
 * static file.  It shows the diagnosis' findings (when the caller gives
 * them), a chart per class over the window with the severity, description
 * and remedy, the top IPs, accounts and cPanel owners of the rejections.
 *
 * Every text from the log or the rules (class names, IPs, accounts, owners,
 * descriptions, the host name) goes through report_html_text(). */
#ifndef EW_REPORT_HTML_H
#define EW_REPORT_HTML_H
#include "report.h"
#include "sbuf.h"

/* report_html: append the page of sum (o: window, host, findings) to b */
void report_html(const struct report_summary *sum,
    const struct report_opts *o, struct sbuf *b);

/* report_html_text: s as HTML text, safe in element content and in quoted
 * attribute values: & < > " ' as entities; control characters (but tab and
 * newline), DEL, C1 controls and invalid UTF-8 as U+FFFD.  NULL writes
 * nothing. */
void report_html_text(struct sbuf *b, const char *s);

#endif
