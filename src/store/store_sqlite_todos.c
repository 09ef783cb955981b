/*
 * store_sqlite_todos.c - the SQLite backend's todos (issue 4, seed 004).
 *
 * Every statement names the owner: rows are matched on id AND user_id, so
 * a todo of someone else is indistinguishable from one that does not
 * exist (GH_ERR_NOTFOUND) and no caller can forget the check.  Writes run
 * under the process-wide writer lock (GH_SQLITE_LOCKED) and are single
 * statements using RETURNING, so none needs a transaction.
 *
 * Ownership: strings of returned records are copied into the caller's
 * arena; list callbacks see SQLite's own buffers (borrowed, valid during
 * the callback only).  Statements live in the thread's connection, slots
 * GH_SQLITE_SLOT_TODOS onwards.
 */
#include <stdbool.h>
#include <stdint.h>

#include <sqlite3.h>

#include "store/store_sqlite_int.h"
#include "util/timefmt.h"
#include "util/banned.h"

enum todo_stmt { T_INSERT, T_GET, T_UPDATE, T_DELETE, T_LIST, T_COUNT };

#define TODO_COLS "id, user_id, title, completed, created_at"

static const char *const todo_sql[T_COUNT] = {
    [T_INSERT] = "INSERT INTO todos (user_id, title, completed, created_at) "
                 "VALUES (?1, ?2, ?3, ?4) RETURNING " TODO_COLS,
    [T_GET] = "SELECT " TODO_COLS " FROM todos "
              "WHERE id = ?1 AND user_id = ?2",
    /* NULL parameters keep the column (the store.h contract) */
    [T_UPDATE] = "UPDATE todos SET title = coalesce(?3, title), "
                 "completed = coalesce(?4, completed) "
                 "WHERE id = ?1 AND user_id = ?2 RETURNING " TODO_COLS,
    [T_DELETE] = "DELETE FROM todos WHERE id = ?1 AND user_id = ?2",
    [T_LIST] = "SELECT " TODO_COLS " FROM todos "
               "WHERE user_id = ?1 AND id > ?2 ORDER BY id LIMIT ?3",
};

_Static_assert(T_COUNT <= 16, "todos own 16 statement slots");
_Static_assert(GH_SQLITE_SLOT_TODOS + T_COUNT <= GH_SQLITE_SLOT_ADMIN,
    "todo slots overlap the next range");

/* The connection of this thread and its statement id; NULL on error. */
static sqlite3_stmt *
todo_stmt(struct gh_store *gs, enum todo_stmt id, struct gh_sqlite_conn **c)
{
	if ((*c = gh_sqlite_conn(gs)) == NULL)
		return NULL;
	return gh_sqlite_stmt(*c, GH_SQLITE_SLOT_TODOS + (int)id, todo_sql[id]);
}

static void
row_todo(sqlite3_stmt *st, struct gh_arena *a, struct gh_todo *t)
{
	t->id = sqlite3_column_int64(st, 0);
	t->user_id = sqlite3_column_int64(st, 1);
	t->title = gh_sqlite_col_str(st, 2, a);
	t->completed = sqlite3_column_int(st, 3) != 0;
	t->created_at = gh_sqlite_col_time(st, 4);
}

/* Step a statement expected to yield at most one todo row. */
static enum gh_err
one_todo(struct gh_sqlite_conn *c, sqlite3_stmt *st, struct gh_arena *a,
    struct gh_todo *out, const char *what)
{
	int rc = sqlite3_step(st);
	enum gh_err r;

	if (rc == SQLITE_ROW)
		row_todo(st, a, out);
	if ((r = gh_sqlite_done(c, st, rc, what)) != GH_OK)
		return r;
	return rc == SQLITE_ROW ? GH_OK : GH_ERR_NOTFOUND;
}

static enum gh_err
s_todo_create(struct gh_store *gs, gh_id user_id, const char *title,
    bool completed, int64_t now, struct gh_arena *a, struct gh_todo *out)
{
	struct gh_sqlite_conn *c;
	sqlite3_stmt *st;
	char ts[GH_TIME_BUFSZ];
	enum gh_err r;

	if ((st = todo_stmt(gs, T_INSERT, &c)) == NULL)
		return GH_ERR_DB;
	gh_time_db(now, ts);
	sqlite3_bind_int64(st, 1, user_id);
	sqlite3_bind_text(st, 2, title, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 3, completed ? 1 : 0);
	sqlite3_bind_text(st, 4, ts, -1, SQLITE_STATIC);
	r = one_todo(c, st, a, out, "todo insert");
	/* the owner vanished between authentication and insert (foreign
	 * key), as s_post_create */
	if (r == GH_ERR_CONFLICT)
		return GH_ERR_NOTFOUND;
	return r == GH_ERR_NOTFOUND ? GH_ERR_DB : r;
}

enum gh_err
gh_sqlite_todo_create(struct gh_store *gs, gh_id user_id, const char *title,
    bool completed, int64_t now, struct gh_arena *a, struct gh_todo *out)
{
	GH_SQLITE_LOCKED(
	    s_todo_create(gs, user_id, title, completed, now, a, out));
}

enum gh_err
gh_sqlite_todo_get(struct gh_store *gs, gh_id id, gh_id user_id,
    struct gh_arena *a, struct gh_todo *out)
{
	struct gh_sqlite_conn *c;
	sqlite3_stmt *st;

	if ((st = todo_stmt(gs, T_GET, &c)) == NULL)
		return GH_ERR_DB;
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int64(st, 2, user_id);
	return one_todo(c, st, a, out, "todo get");
}

static enum gh_err
s_todo_update(struct gh_store *gs, gh_id id, gh_id user_id, const char *title,
    int completed, struct gh_arena *a, struct gh_todo *out)
{
	struct gh_sqlite_conn *c;
	sqlite3_stmt *st;

	if ((st = todo_stmt(gs, T_UPDATE, &c)) == NULL)
		return GH_ERR_DB;
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int64(st, 2, user_id);
	if (title != NULL)
		sqlite3_bind_text(st, 3, title, -1, SQLITE_STATIC);
	if (completed >= 0)
		sqlite3_bind_int(st, 4, completed != 0);
	return one_todo(c, st, a, out, "todo update");
}

enum gh_err
gh_sqlite_todo_update(struct gh_store *gs, gh_id id, gh_id user_id,
    const char *title, int completed, struct gh_arena *a, struct gh_todo *out)
{
	GH_SQLITE_LOCKED(
	    s_todo_update(gs, id, user_id, title, completed, a, out));
}

static enum gh_err
s_todo_delete(struct gh_store *gs, gh_id id, gh_id user_id)
{
	struct gh_sqlite_conn *c;
	sqlite3_stmt *st;
	int rc;

	if ((st = todo_stmt(gs, T_DELETE, &c)) == NULL)
		return GH_ERR_DB;
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int64(st, 2, user_id);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return gh_sqlite_err(c, rc, "todo delete");
	return sqlite3_changes(c->db) > 0 ? GH_OK : GH_ERR_NOTFOUND;
}

enum gh_err
gh_sqlite_todo_delete(struct gh_store *gs, gh_id id, gh_id user_id)
{
	GH_SQLITE_LOCKED(s_todo_delete(gs, id, user_id));
}

enum gh_err
gh_sqlite_todo_list(struct gh_store *gs, gh_id user_id, gh_id after_id,
    int64_t limit, gh_store_todo_fn fn, void *ctx)
{
	struct gh_sqlite_conn *c;
	struct gh_todo t;
	sqlite3_stmt *st;
	enum gh_err r = GH_OK;
	int rc;

	if ((st = todo_stmt(gs, T_LIST, &c)) == NULL)
		return GH_ERR_DB;
	sqlite3_bind_int64(st, 1, user_id);
	sqlite3_bind_int64(st, 2, after_id);
	sqlite3_bind_int64(st, 3, limit); /* negative: no limit in SQLite */
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		row_todo(st, NULL, &t);
		if ((r = fn(ctx, &t)) != GH_OK)
			break;
	}
	if (r == GH_OK && rc != SQLITE_DONE)
		r = gh_sqlite_err(c, rc, "todo list");
	sqlite3_reset(st);
	return r;
}
