/* paths: default file locations (see paths.h) */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "paths.h"

const char *paths_default_db(void)
{
	static char buf[4096];
	const char *e = getenv("EXIMWATCH_DB"), *home;

	if (e && *e)
		return e;
	if (geteuid() == 0)
		return "/var/lib/eximwatch/eximwatch.db";
	if ((e = getenv("XDG_STATE_HOME")) && *e) {
		snprintf(buf, sizeof buf, "%s/eximwatch/eximwatch.db", e);
		return buf;
	}
	home = getenv("HOME");
	snprintf(buf, sizeof buf, "%s/.local/state/eximwatch/eximwatch.db",
	    home && *home ? home : ".");
	return buf;
}

const char *paths_default_config(void)
{
	const char *e = getenv("EXIMWATCH_CONFIG");

	return e && *e ? e : "/etc/eximwatch/eximwatch.yaml";
}

const char *paths_default_log(void)
{
	if (access("/var/log/exim_mainlog", F_OK) == 0)
		return "/var/log/exim_mainlog";
	return "/var/log/exim4/mainlog";
}
