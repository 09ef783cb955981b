/*
 * store_pg_todos.c - the PostgreSQL backend's todos (the SQLite
 * backend's store_sqlite_todos.c, on the same table).
 *
 * Every statement names the owner: rows are matched on id AND user_id, so
 * a todo of someone else is indistinguishable from one that does not
 * exist (GH_ERR_NOTFOUND) and no caller can forget the check.  Every
 * operation is a single statement (writes RETURNING the row), atomic in
 * the database itself, so none needs a transaction or a lock, however
 * many instances share the database.
 *
 * Ownership: strings of returned records are copied into the caller's
 * arena; list callbacks see the result's own buffers (borrowed, valid
 * during the callback only; the result is freed after the walk).
 * Prepared statements live in each pooled connection, slots
 * GH_PG_SLOT_TODOS onwards.
 */
#include <stdbool.h>
#include <stdint.h>

#include <libpq-fe.h>

#include "store/store_pg_int.h"
#include "util/banned.h"

enum todo_stmt { T_INSERT, T_GET, T_UPDATE, T_DELETE, T_LIST, T_COUNT };

#define TODO_COLS "id, user_id, title, completed, created_at"

static const char *const todo_sql[T_COUNT] = {
    [T_INSERT] = "INSERT INTO todos (user_id, title, completed, created_at) "
                 "VALUES ($1::bigint, $2::text, $3::boolean, $4::bigint) "
                 "RETURNING " TODO_COLS,
    [T_GET] = "SELECT " TODO_COLS " FROM todos "
              "WHERE id = $1::bigint AND user_id = $2::bigint",
    /* NULL parameters keep the column (the store.h contract) */
    [T_UPDATE] = "UPDATE todos SET title = coalesce($3::text, title), "
                 "completed = coalesce($4::boolean, completed) "
                 "WHERE id = $1::bigint AND user_id = $2::bigint "
                 "RETURNING " TODO_COLS,
    [T_DELETE] = "DELETE FROM todos "
                 "WHERE id = $1::bigint AND user_id = $2::bigint",
    /* a NULL limit: all (LIMIT NULL is no limit) */
    [T_LIST] = "SELECT " TODO_COLS " FROM todos "
               "WHERE user_id = $1::bigint AND id > $2::bigint "
               "ORDER BY id LIMIT $3::bigint",
};

_Static_assert(T_COUNT <= 16, "todos own 16 statement slots");
_Static_assert(GH_PG_SLOT_TODOS + T_COUNT <= GH_PG_SLOT_ADMIN,
    "todo slots overlap the next range");

/* Run this file's statement id on connection c. */
static enum gh_err
todo_exec(struct gh_pg_conn *c, enum todo_stmt id, const struct gh_pg_params *p,
    PGresult **out, const char *what)
{
	return gh_pg_exec(
	    c, GH_PG_SLOT_TODOS + (int)id, todo_sql[id], p, out, what);
}

static void
row_todo(const PGresult *r, int row, struct gh_arena *a, struct gh_todo *t)
{
	t->id = gh_pg_int(r, row, 0);
	t->user_id = gh_pg_int(r, row, 1);
	t->title = gh_pg_str(r, row, 2, a);
	t->completed = gh_pg_bool(r, row, 3);
	t->created_at = gh_pg_int(r, row, 4);
}

/* Run statement id, expected to yield at most one todo row, on this
 * thread's connection. */
static enum gh_err
one_todo(struct gh_store *gs, enum todo_stmt id, const struct gh_pg_params *p,
    struct gh_arena *a, struct gh_todo *out, const char *what)
{
	struct gh_pg_conn *c = gh_pg_acquire(gs);
	PGresult *res;
	enum gh_err r;

	if (c == NULL)
		return GH_ERR_DB;
	r = todo_exec(c, id, p, &res, what);
	gh_pg_release(gs, c);
	if (r != GH_OK)
		return r;
	r = GH_ERR_NOTFOUND;
	if (PQntuples(res) > 0) {
		row_todo(res, 0, a, out);
		r = GH_OK;
	}
	PQclear(res);
	return r;
}

enum gh_err
gh_pg_todo_create(struct gh_store *gs, gh_id user_id, const char *title,
    bool completed, int64_t now, struct gh_arena *a, struct gh_todo *out)
{
	struct gh_pg_params p = {0};
	enum gh_err r;

	gh_pg_p_int(&p, user_id);
	gh_pg_p_text(&p, title);
	gh_pg_p_bool(&p, completed);
	gh_pg_p_int(&p, now);
	r = one_todo(gs, T_INSERT, &p, a, out, "todo insert");
	/* the owner vanished between authentication and insert (foreign
	 * key), as gh_pg_post_create */
	if (r == GH_ERR_CONFLICT)
		return GH_ERR_NOTFOUND;
	return r == GH_ERR_NOTFOUND ? GH_ERR_DB : r;
}

enum gh_err
gh_pg_todo_get(struct gh_store *gs, gh_id id, gh_id user_id, struct gh_arena *a,
    struct gh_todo *out)
{
	struct gh_pg_params p = {0};

	gh_pg_p_int(&p, id);
	gh_pg_p_int(&p, user_id);
	return one_todo(gs, T_GET, &p, a, out, "todo get");
}

enum gh_err
gh_pg_todo_update(struct gh_store *gs, gh_id id, gh_id user_id,
    const char *title, int completed, struct gh_arena *a, struct gh_todo *out)
{
	struct gh_pg_params p = {0};

	gh_pg_p_int(&p, id);
	gh_pg_p_int(&p, user_id);
	gh_pg_p_text(&p, title); /* NULL: keep */
	if (completed >= 0)
		gh_pg_p_bool(&p, completed != 0);
	else
		gh_pg_p_text(&p, NULL); /* keep */
	return one_todo(gs, T_UPDATE, &p, a, out, "todo update");
}

enum gh_err
gh_pg_todo_delete(struct gh_store *gs, gh_id id, gh_id user_id)
{
	struct gh_pg_conn *c = gh_pg_acquire(gs);
	struct gh_pg_params p = {0};
	int64_t rows = 0;
	enum gh_err r;

	if (c == NULL)
		return GH_ERR_DB;
	gh_pg_p_int(&p, id);
	gh_pg_p_int(&p, user_id);
	r = gh_pg_run(c, GH_PG_SLOT_TODOS + T_DELETE, todo_sql[T_DELETE], &p,
	    &rows, "todo delete");
	gh_pg_release(gs, c);
	if (r != GH_OK)
		return r;
	return rows > 0 ? GH_OK : GH_ERR_NOTFOUND;
}

static enum gh_err
todo_row(const PGresult *res, int i, void *arg)
{
	struct gh_pg_walk *w = arg;
	struct gh_todo t;

	row_todo(res, i, NULL, &t);
	return ((gh_store_todo_fn)w->fn)(w->ctx, &t);
}

enum gh_err
gh_pg_todo_list(struct gh_store *gs, gh_id user_id, gh_id after_id,
    int64_t limit, gh_store_todo_fn fn, void *ctx)
{
	struct gh_pg_params p = {0};
	struct gh_pg_walk w = {(void (*)(void))fn, ctx};

	gh_pg_p_int(&p, user_id);
	gh_pg_p_int(&p, after_id);
	gh_pg_p_limit(&p, limit);
	return gh_pg_each(gs, GH_PG_SLOT_TODOS + T_LIST, todo_sql[T_LIST], &p,
	    todo_row, &w, "todo list");
}
