/*
 * follow.h - serve's follower of a store's changes: one thread that keeps
 * a watching connection to a store that announces changes (PostGIS's
 * NOTIFY), and on each announcement asks what changed since the version
 * it has and installs the sites that result through the map service
 * (mapservice_update_sites), so that every replica on one database sees
 * an edit within a moment of its commit.
 *
 * A lost link is retried with back-off while the last snapshot keeps
 * serving; the link's state and its reconnects go to the map service for
 * /readyz and /metrics.  The follower prints one line per update and per
 * change of the link (it is part of the command-line front).
 *
 * Owns its thread and its connection.  follow_start and follow_stop are
 * called from one thread (serve's main thread).
 */
#ifndef MS_CLI_FOLLOW_H
#define MS_CLI_FOLLOW_H

#include "../mapservice/mapservice.h"
#include "../util/ms_error.h"

struct follow;

/* Starts following db into maps when its backend announces changes; *out
 * is NULL (and MS_OK) when it does not (SpatiaLite: SIGHUP reloads).  The
 * first link is made, and the version the follower starts from read,
 * before it returns: load the first generation after it, so that no change
 * between the two is missed.  A store that cannot be reached now is an
 * error (the first load would fail too). */
enum ms_status follow_start(const char *db, struct mapservice *maps, struct follow **out,
                            struct ms_error *err);
/* Stops the thread and closes the link; NULL is fine. */
void follow_stop(struct follow *f);

#endif
