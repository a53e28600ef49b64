/* paths: default locations of the database, config and logs. */
#ifndef EW_PATHS_H
#define EW_PATHS_H

/* $EXIMWATCH_DB, else /var/lib/eximwatch/eximwatch.db for root, else
 * $XDG_STATE_HOME (or ~/.local/state)/eximwatch/eximwatch.db */
const char *paths_default_db(void);
/* $EXIMWATCH_CONFIG, else /etc/eximwatch/eximwatch.yaml */
const char *paths_default_config(void);
/* /var/log/exim_mainlog if present (cPanel), else /var/log/exim4/mainlog */
const char *paths_default_log(void);

#endif
