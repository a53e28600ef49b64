/* sink: notices → bodies and requests, common helpers (see sink.h) */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <curl/curl.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "json.h"
#include "sink.h"
#include "xmalloc.h"

int sink_render(const struct sink_conf *s, const struct notice *n,
    struct sbuf *out)
{
	switch (s->type) {
	case SINK_SLACK: return sink_slack_render(s, n, out);
	case SINK_PAGERDUTY: return sink_pagerduty_render(s, n, out);
	case SINK_ALERTMANAGER: return sink_alertmanager_render(s, n, out);
	case SINK_CROWDSEC: return sink_crowdsec_render(s, n, out);
	case SINK_BANLOG: return sink_banlog_render(s, n, out);
	default: return sink_webhook_render(s, n, out);
	}
}

size_t sink_body_max(const struct sink_conf *s)
{
	switch (s->type) {
	case SINK_SLACK: return 0;
	case SINK_PAGERDUTY: return SINK_PAGERDUTY_BODY_MAX;
	case SINK_ALERTMANAGER: return SINK_ALERTMANAGER_BODY_MAX;
	case SINK_CROWDSEC: return SINK_CROWDSEC_BODY_MAX;
	case SINK_BANLOG: return SINK_BANLOG_BODY_MAX;
	default: return SINK_WEBHOOK_BODY_MAX;
	}
}

void sink_request(const struct sink_conf *s, int64_t id, const char *body,
    size_t len, time_t now, const char *token, struct sink_request *rq)
{
	char idbuf[32], h[64];
	struct sbuf sig;
	size_t n;

	memset(rq, 0, sizeof *rq);
	sbuf_init(&rq->body);
	rq->headers = curl_slist_append(NULL, "Content-Type: application/json");
	rq->headers = curl_slist_append(rq->headers, "Expect:");
	n = strlen(s->url);
	while (n > 0 && s->url[n - 1] == '/')
		n--;
	switch (s->type) {
	case SINK_PAGERDUTY:
		/* the routing key is a secret: never stored, added here */
		rq->url = xasprintf("%.*s/v2/enqueue", (int)n, s->url);
		sbuf_adds(&rq->body, "{\"routing_key\":");
		json_cstr(&rq->body, s->secret);
		sbuf_addc(&rq->body, ',');
		sbuf_add(&rq->body, body, len);
		break;
	case SINK_ALERTMANAGER:
		rq->url = xasprintf("%.*s/api/v2/alerts", (int)n, s->url);
		sbuf_add(&rq->body, body, len);
		break;
	case SINK_CROWDSEC: {
		struct sbuf auth;

		rq->url = xasprintf("%.*s/v1/alerts", (int)n, s->url);
		sbuf_add(&rq->body, body, len);
		sbuf_init(&auth);
		sbuf_addf(&auth, "Authorization: Bearer %s", token ? token : "");
		rq->headers = curl_slist_append(rq->headers, auth.s);
		memset(auth.s, 0, auth.len);
		sbuf_release(&auth);
		break;
	}
	default:
		rq->url = xstrdup(s->url);
		sbuf_add(&rq->body, body, len);
		break;
	}
	if (s->type == SINK_WEBHOOK) {
		snprintf(idbuf, sizeof idbuf, "msg_%" PRId64, id);
		snprintf(h, sizeof h, "webhook-id: %s", idbuf);
		rq->headers = curl_slist_append(rq->headers, h);
		snprintf(h, sizeof h, "webhook-timestamp: %lld", (long long)now);
		rq->headers = curl_slist_append(rq->headers, h);
		if (s->key) {
			sbuf_init(&sig);
			sbuf_adds(&sig, "webhook-signature: ");
			webhook_sign(s->key, s->keylen, idbuf, now, rq->body.s,
			    rq->body.len, &sig);
			rq->headers = curl_slist_append(rq->headers, sig.s);
			sbuf_release(&sig);
		}
	}
}

void sink_request_release(struct sink_request *rq)
{
	free(rq->url);
	curl_slist_free_all(rq->headers);
	if (rq->body.s)
		memset(rq->body.s, 0, rq->body.len);
	sbuf_release(&rq->body);
	memset(rq, 0, sizeof *rq);
}

void webhook_sign(const unsigned char *key, size_t keylen, const char *id,
    int64_t ts, const char *body, size_t len, struct sbuf *out)
{
	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned int maclen = 0;
	char b64[4 * ((EVP_MAX_MD_SIZE + 2) / 3) + 1];
	struct sbuf msg;

	sbuf_init(&msg);
	sbuf_addf(&msg, "%s.%" PRId64 ".", id, ts);
	sbuf_add(&msg, body, len);
	HMAC(EVP_sha256(), key, (int)keylen, (const unsigned char *)msg.s, msg.len,
	    mac, &maclen);
	EVP_EncodeBlock((unsigned char *)b64, mac, (int)maclen);
	sbuf_adds(out, "v1,");
	sbuf_adds(out, b64);
	sbuf_release(&msg);
}
