/* event: field names (see event.h) */
#include <string.h>

#include "event.h"

static const char *const names[FIELD_N] = {
	[FIELD_HOST] = "host",
	[FIELD_IP] = "ip",
	[FIELD_PORT] = "port",
	[FIELD_HELO] = "helo",
	[FIELD_RDNS] = "rdns",
	[FIELD_SENDER] = "sender",
	[FIELD_RCPT] = "rcpt",
	[FIELD_AUTH] = "auth",
	[FIELD_SET_ID] = "set_id",
	[FIELD_ACCOUNT] = "account",
	[FIELD_MSG_SENDER] = "msg_sender",
	[FIELD_LOCAL_USER] = "local_user",
};

const char *field_name(enum field f)
{
	return (unsigned)f < FIELD_N ? names[f] : "?";
}

int field_lookup(const char *name, size_t len)
{
	int i;

	for (i = 0; i < FIELD_N; i++)
		if (strlen(names[i]) == len && memcmp(names[i], name, len) == 0)
			return i;
	return -1;
}
