/*
 * sqlite-append — the SQLite side of the hive-beekeeper benchmark
 * (bench/beekeeper): the same durable appends into SQLite in WAL mode.
 *
 *   sqlite-append append DB FILE BATCH [N]
 *       Inserts the first N lines of FILE (all of them without N; each line
 *       without its newline, as TEXT) into table events(seq INTEGER PRIMARY
 *       KEY, line TEXT NOT NULL) of DB, created when missing, with
 *       journal_mode=WAL and synchronous=FULL: BATCH rows per transaction
 *       (BEGIN IMMEDIATE … COMMIT; 1 makes every row durable on its own).
 *       SQLite's defaults otherwise (4096-byte pages, automatic checkpoint
 *       every 1000 WAL pages). Prints "rows seconds rows_per_second"; the
 *       time covers the loop (reading the next line with getline, binding,
 *       stepping, committing), not opening DB.
 *   sqlite-append bare OUT FILE N [overwrite]
 *       The ceiling of a durable append, without SQLite: writes the first N
 *       lines of FILE to OUT (created or truncated), one write(2) and one
 *       fdatasync(2) per line, so the file grows with every sync as the
 *       ledger does. With "overwrite", OUT is first filled with the same
 *       bytes and synced, then the lines are written over them from the
 *       start (pwrite(2) and fdatasync(2) each; the file's size and blocks
 *       never change), which is what SQLite's WAL does once a checkpoint
 *       has let it start again from its beginning. Prints "rows seconds
 *       rows_per_second".
 *   sqlite-append read DB
 *       Reads every row back in seq order (SELECT seq, line FROM events
 *       ORDER BY seq) and sums the lines' lengths. Prints "rows bytes
 *       seconds", the time counted from opening DB to the last row.
 *
 * cc -O2 -o sqlite-append bench/sqlite-append.c -lsqlite3
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

static sqlite3 *db;

static void die(const char *what)
{
	fprintf(stderr, "sqlite-append: %s: %s\n", what, db ? sqlite3_errmsg(db) : "out of memory");
	exit(1);
}

static void exec(const char *sql)
{
	char *msg = NULL;
	if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		fprintf(stderr, "sqlite-append: %s: %s\n", sql, msg ? msg : "?");
		exit(1);
	}
}

static sqlite3_stmt *prepare(const char *sql)
{
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		die(sql);
	return st;
}

static void step_done(sqlite3_stmt *st, const char *what)
{
	if (sqlite3_step(st) != SQLITE_DONE)
		die(what);
	sqlite3_reset(st);
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int append(const char *path, const char *file, long batch, long long limit)
{
	FILE *in = fopen(file, "r");
	if (in == NULL) {
		perror(file);
		return 1;
	}
	if (sqlite3_open(path, &db) != SQLITE_OK)
		die(path);
	exec("PRAGMA journal_mode=WAL");
	exec("PRAGMA synchronous=FULL");
	exec("CREATE TABLE IF NOT EXISTS events (seq INTEGER PRIMARY KEY, line TEXT NOT NULL)");
	sqlite3_stmt *begin = prepare("BEGIN IMMEDIATE");
	sqlite3_stmt *commit = prepare("COMMIT");
	sqlite3_stmt *ins = prepare("INSERT INTO events (line) VALUES (?1)");

	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	long long rows = 0;
	long pending = 0;
	double t0 = now();
	while ((limit < 0 || rows < limit) && (len = getline(&line, &cap, in)) > 0) {
		if (line[len - 1] == '\n')
			len--;
		if (pending == 0)
			step_done(begin, "BEGIN");
		sqlite3_bind_text(ins, 1, line, (int)len, SQLITE_STATIC);
		step_done(ins, "INSERT");
		rows++;
		if (++pending == batch) {
			step_done(commit, "COMMIT");
			pending = 0;
		}
	}
	if (pending > 0)
		step_done(commit, "COMMIT");
	double t = now() - t0;
	printf("%lld %.3f %.0f\n", rows, t, t > 0 ? (double)rows / t : 0);
	sqlite3_finalize(begin);
	sqlite3_finalize(commit);
	sqlite3_finalize(ins);
	free(line);
	fclose(in);
	return sqlite3_close(db) == SQLITE_OK ? 0 : 1;
}

static int read_all(const char *path)
{
	double t0 = now();
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK)
		die(path);
	sqlite3_stmt *sel = prepare("SELECT seq, line FROM events ORDER BY seq");
	long long rows = 0, bytes = 0, last = 0;
	int rc;
	while ((rc = sqlite3_step(sel)) == SQLITE_ROW) {
		long long seq = sqlite3_column_int64(sel, 0);
		const unsigned char *text = sqlite3_column_text(sel, 1);
		if (seq <= last || text == NULL) {
			fprintf(stderr, "sqlite-append: row %lld out of order or empty\n", seq);
			return 1;
		}
		last = seq;
		bytes += sqlite3_column_bytes(sel, 1);
		rows++;
	}
	if (rc != SQLITE_DONE)
		die("SELECT");
	sqlite3_finalize(sel);
	double t = now() - t0;
	printf("%lld %lld %.3f\n", rows, bytes, t);
	return sqlite3_close(db) == SQLITE_OK ? 0 : 1;
}

static int bare(const char *out, const char *file, long long limit, int overwrite)
{
	FILE *in = fopen(file, "r");
	int fd = open(out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (in == NULL || fd < 0) {
		perror(in == NULL ? file : out);
		return 1;
	}
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	long long rows = 0;
	off_t at = 0;
	if (overwrite) {
		while (rows < limit && (len = getline(&line, &cap, in)) > 0) {
			if (write(fd, line, (size_t)len) != len) {
				perror(out);
				return 1;
			}
			rows++;
		}
		if (fsync(fd) != 0) {
			perror(out);
			return 1;
		}
		rewind(in);
		rows = 0;
	}
	double t0 = now();
	while (rows < limit && (len = getline(&line, &cap, in)) > 0) {
		if (pwrite(fd, line, (size_t)len, at) != len || fdatasync(fd) != 0) {
			perror(out);
			return 1;
		}
		at += len;
		rows++;
	}
	double t = now() - t0;
	printf("%lld %.3f %.0f\n", rows, t, t > 0 ? (double)rows / t : 0);
	free(line);
	fclose(in);
	return close(fd) == 0 ? 0 : 1;
}

int main(int argc, char **argv)
{
	if (argc >= 5 && argc <= 6 && strcmp(argv[1], "append") == 0) {
		long batch = atol(argv[4]);
		if (batch < 1) {
			fprintf(stderr, "sqlite-append: BATCH must be 1 or more\n");
			return 2;
		}
		return append(argv[2], argv[3], batch, argc == 6 ? atoll(argv[5]) : -1);
	}
	if ((argc == 5 || (argc == 6 && strcmp(argv[5], "overwrite") == 0)) && strcmp(argv[1], "bare") == 0)
		return bare(argv[2], argv[3], atoll(argv[4]), argc == 6);
	if (argc == 3 && strcmp(argv[1], "read") == 0)
		return read_all(argv[2]);
	fprintf(stderr, "usage: sqlite-append append DB FILE BATCH [N]\n       sqlite-append bare OUT FILE N [overwrite]\n"
	                "       sqlite-append read DB\n");
	return 2;
}
