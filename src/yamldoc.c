/* yamldoc: libyaml events → node tree with positions (see yamldoc.h) */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "xmalloc.h"
#include "yamldoc.h"

#define YDOC_MAX_DEPTH 64
#define YDOC_MAX_SIZE (16u << 20)

static struct ydoc_node *node_new(enum ydoc_type t, const yaml_mark_t *m)
{
	struct ydoc_node *n = xcalloc(1, sizeof *n);

	n->type = t;
	n->line = (int)m->line + 1;
	n->col = (int)m->column + 1;
	return n;
}

void ydoc_free(struct ydoc_node *n)
{
	size_t i, k;

	if (n == NULL)
		return;
	k = n->nkids;
	for (i = 0; i < k; i++)
		ydoc_free(n->kids[i]);
	free(n->kids);
	free(n->str);
	free(n);
}

struct builder {
	struct ydoc_node *stack[YDOC_MAX_DEPTH];
	size_t count[YDOC_MAX_DEPTH];    /* kids stored in stack[i] */
	size_t cap[YDOC_MAX_DEPTH];
	int depth;
	struct ydoc_node *root;
};

static int attach(struct builder *b, struct ydoc_node *kid)
{
	struct ydoc_node *p;
	size_t i;

	if (b->depth == 0) {
		if (b->root != NULL) {
			ydoc_free(kid);
			return -1;
		}
		b->root = kid;
		return 0;
	}
	i = (size_t)b->depth - 1;
	p = b->stack[i];
	if (b->count[i] == b->cap[i]) {
		b->cap[i] = b->cap[i] ? b->cap[i] * 2 : 8;
		p->kids = xreallocarray(p->kids, b->cap[i], sizeof *p->kids);
	}
	p->kids[b->count[i]++] = kid;
	p->nkids = b->count[i];
	p->n = p->type == YDOC_MAP ? b->count[i] / 2 : b->count[i];
	return 0;
}

struct ydoc_node *ydoc_parse(const char *file, const char *buf, size_t len,
    struct diag *d)
{
	yaml_parser_t parser;
	yaml_event_t ev;
	struct builder b;
	struct ydoc_node *n;
	int done = 0, ok = 1, docs = 0;

	memset(&b, 0, sizeof b);
	if (!yaml_parser_initialize(&parser)) {
		diag_add(d, file, 0, 0, "cannot initialise the YAML parser");
		return NULL;
	}
	yaml_parser_set_input_string(&parser, (const unsigned char *)buf, len);
	while (!done) {
		if (!yaml_parser_parse(&parser, &ev)) {
			diag_add(d, file, (int)parser.problem_mark.line + 1,
			    (int)parser.problem_mark.column + 1, "YAML syntax error: %s%s%s",
			    parser.problem ? parser.problem : "unknown problem",
			    parser.context ? " " : "", parser.context ? parser.context : "");
			ok = 0;
			break;
		}
		switch (ev.type) {
		case YAML_STREAM_END_EVENT:
			done = 1;
			break;
		case YAML_DOCUMENT_START_EVENT:
			if (++docs > 1) {
				diag_add(d, file, (int)ev.start_mark.line + 1,
				    (int)ev.start_mark.column + 1,
				    "only one YAML document per file is allowed");
				ok = 0;
				done = 1;
			}
			break;
		case YAML_ALIAS_EVENT:
			diag_add(d, file, (int)ev.start_mark.line + 1,
			    (int)ev.start_mark.column + 1,
			    "YAML aliases (*name) are not supported here");
			ok = 0;
			done = 1;
			break;
		case YAML_SCALAR_EVENT:
			n = node_new(YDOC_SCALAR, &ev.start_mark);
			n->str = xstrndup((const char *)ev.data.scalar.value,
			    ev.data.scalar.length);
			n->len = ev.data.scalar.length;
			switch (ev.data.scalar.style) {
			case YAML_SINGLE_QUOTED_SCALAR_STYLE: n->quoted = 1; break;
			case YAML_DOUBLE_QUOTED_SCALAR_STYLE: n->quoted = 2; break;
			case YAML_LITERAL_SCALAR_STYLE:
			case YAML_FOLDED_SCALAR_STYLE: n->quoted = 3; break;
			default: n->quoted = 0; break;
			}
			if (attach(&b, n) < 0) {
				ok = 0;
				done = 1;
			}
			break;
		case YAML_SEQUENCE_START_EVENT:
		case YAML_MAPPING_START_EVENT:
			if (b.depth == YDOC_MAX_DEPTH) {
				diag_add(d, file, (int)ev.start_mark.line + 1,
				    (int)ev.start_mark.column + 1, "nesting too deep");
				ok = 0;
				done = 1;
				break;
			}
			n = node_new(ev.type == YAML_SEQUENCE_START_EVENT ?
			    YDOC_SEQ : YDOC_MAP, &ev.start_mark);
			if (attach(&b, n) < 0) {
				ok = 0;
				done = 1;
				break;
			}
			b.stack[b.depth] = n;
			b.count[b.depth] = 0;
			b.cap[b.depth] = 0;
			b.depth++;
			break;
		case YAML_SEQUENCE_END_EVENT:
		case YAML_MAPPING_END_EVENT:
			b.depth--;
			break;
		default:
			break;
		}
		yaml_event_delete(&ev);
	}
	yaml_parser_delete(&parser);
	if (!ok) {
		/* the root owns every attached node */
		ydoc_free(b.root);
		return NULL;
	}
	if (b.root == NULL) {
		yaml_mark_t m = { 0, 0, 0 };

		b.root = node_new(YDOC_MAP, &m);
	}
	return b.root;
}

struct ydoc_node *ydoc_load(const char *path, struct diag *d)
{
	FILE *fp;
	char *buf;
	size_t len = 0, cap = 8192, r;
	struct ydoc_node *n;

	if ((fp = fopen(path, "rb")) == NULL) {
		diag_add(d, path, 0, 0, "cannot open: %s", strerror(errno));
		return NULL;
	}
	buf = xmalloc(cap);
	while ((r = fread(buf + len, 1, cap - len, fp)) > 0) {
		len += r;
		if (len > YDOC_MAX_SIZE) {
			diag_add(d, path, 0, 0, "file too large (over %u MiB)",
			    YDOC_MAX_SIZE >> 20);
			fclose(fp);
			free(buf);
			return NULL;
		}
		if (len == cap) {
			cap *= 2;
			buf = xrealloc(buf, cap);
		}
	}
	if (ferror(fp)) {
		diag_add(d, path, 0, 0, "read error: %s", strerror(errno));
		fclose(fp);
		free(buf);
		return NULL;
	}
	fclose(fp);
	n = ydoc_parse(path, buf, len, d);
	free(buf);
	return n;
}

struct ydoc_node *ydoc_get(const struct ydoc_node *map, const char *key)
{
	size_t i;

	if (map == NULL || map->type != YDOC_MAP)
		return NULL;
	for (i = 0; i < map->n; i++) {
		const struct ydoc_node *k = map->kids[2 * i];

		if (k->type == YDOC_SCALAR && strcmp(k->str, key) == 0)
			return map->kids[2 * i + 1];
	}
	return NULL;
}

const char *ydoc_type_name(enum ydoc_type t)
{
	switch (t) {
	case YDOC_SCALAR: return "a scalar";
	case YDOC_SEQ: return "a list";
	case YDOC_MAP: return "a mapping";
	}
	return "?";
}
