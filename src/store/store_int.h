/*
 * Private to src/store: the definition of struct store, shared by the
 * journal (journal.c) and the blob files (blob.c).
 */
#ifndef KILN_STORE_INT_H
#define KILN_STORE_INT_H

#include <sqlite3.h>

#include "kiln/store.h"

struct store {
	sqlite3		 *db;		/* DIR/kiln.db, WAL, synchronous=FULL */
	sqlite3_stmt	**stmt;		/* every statement, prepared at open */
	char		 *dir;		/* absolute path of DIR */
	int		  blob_dirfd;	/* DIR/blobs, O_DIRECTORY, or -1 */
	int		  iterating;	/* inside a list or events callback */
	int		  txn_wanted;	/* store_begin called, not yet ended */
	int		  txn_open;	/* ... and BEGIN IMMEDIATE has run */
};

/*
 * Creates DIR/blobs when missing and opens it into st->blob_dirfd; st->dir
 * must be set.  0 or -errno.
 */
int store_blobs_open(struct store *st);
/* Closes st->blob_dirfd; safe when it was never opened. */
void store_blobs_close(struct store *st);

#endif
