/*
 * Private declarations of the kiln command-line client, one section per
 * source file.
 */
#ifndef KILN_TOOL_KILN_H
#define KILN_TOOL_KILN_H

#include <getopt.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <curl/curl.h>
#include <jansson.h>

/* Process exit statuses; docs/CLI.md and the usage text list them. */
#define EXIT_OK		0	/* success; for waits: the job SUCCEEDED */
#define EXIT_JOB	1	/* the job ended in another terminal state */
#define EXIT_USAGE	2	/* bad arguments or an unusable local file */
#define EXIT_SERVER	3	/* the server answered an error */
#define EXIT_TRANSPORT	4	/* no answer: connect or transfer failed */
#define EXIT_TIMEOUT	5	/* a wait ran out of time */

/* client.c */

/* One HTTP answer.  body is NUL-terminated one byte past len. */
struct client_resp {
	long		 status;	/* HTTP status code */
	uint8_t		*body;		/* the response body, owned */
	size_t		 len;		/* bytes in body */
};

/* The fields of an RFC 9457 problem document; each may be NULL. */
struct client_problem {
	char		*type;		/* e.g. "urn:kiln:problem:not_found" */
	char		*title;		/* fixed per type */
	char		*detail;	/* for humans */
};

struct client;

/*
 * A client for the API at base_url (trailing slashes are dropped) sending
 * "Authorization: Bearer token" when token is not NULL.  The token is
 * copied; the copies are wiped in client_free().  0 or -errno (-EINVAL for
 * an empty token or one with a byte outside printable ASCII, space
 * included).
 */
int	 client_new(struct client **cp, const char *base_url,
	    const char *token);
/* Wipes the credential and frees; NULL is a no-op. */
void	 client_free(struct client *c);
/*
 * Caps the total time of each later request at timeout_ms (0: the default
 * of 300 s).  Used by waits to stay within their deadline.
 */
void	 client_timeout_set(struct client *c, long timeout_ms);
/* The transport error text of the last failed request. */
const char *client_strerror(const struct client *c);

/*
 * One function per endpoint of docs/API.md.  Each returns 0 when the server
 * answered, whatever the status, with *resp filled; or, when no answer
 * arrived, -ECONNREFUSED, -EHOSTUNREACH, -ETIMEDOUT, -EIO or -ENOMEM with
 * client_strerror() saying why (it may be empty).  *resp is overwritten
 * either way and must be released with client_resp_clear().
 */
/* POST /v1/modules with the raw module bytes. */
int	 client_module_push(struct client *c, const uint8_t *wasm, size_t len,
	    struct client_resp *resp);
/* 1 when key is a usable Idempotency-Key: 1-128 printable ASCII. */
int	 client_idem_key_is_valid(const char *key);
/*
 * POST /v1/jobs; json is the request document, idem_key may be NULL
 * (-EINVAL when it is not valid).
 */
int	 client_job_submit(struct client *c, const char *json,
	    const char *idem_key, struct client_resp *resp);
/* GET /v1/jobs/{id}. */
int	 client_job_get(struct client *c, const char *id,
	    struct client_resp *resp);
/* GET /v1/jobs; state and page_token may be NULL, limit 0 for default. */
int	 client_job_list(struct client *c, const char *state, long limit,
	    const char *page_token, struct client_resp *resp);
/* POST /v1/jobs/{id}/cancel. */
int	 client_job_cancel(struct client *c, const char *id,
	    struct client_resp *resp);
/* GET /v1/jobs/{id}/output (stdout bytes) or /log (stderr bytes). */
int	 client_job_output(struct client *c, const char *id,
	    struct client_resp *resp);
int	 client_job_log(struct client *c, const char *id,
	    struct client_resp *resp);
int	 client_job_events(struct client *c, const char *id,
	    struct client_resp *resp);

/* Frees the body; resp may then be reused. */
void	 client_resp_clear(struct client_resp *resp);
/* 1 for a 2xx status, else 0. */
int	 client_resp_is_ok(const struct client_resp *resp);
/*
 * Parses resp's body as a problem document; fields that are absent stay
 * NULL.  0, or -EBADMSG when the body is not a JSON object.
 */
int	 client_problem_parse(const struct client_resp *resp,
	    struct client_problem *p);
void	 client_problem_clear(struct client_problem *p);

/* cmd.c: each returns the process exit status (EXIT_*). */

struct cli;

int	 cmd_module(struct cli *cli, int argc, char **argv);
int	 cmd_submit(struct cli *cli, int argc, char **argv);
int	 cmd_status(struct cli *cli, int argc, char **argv);
int	 cmd_list(struct cli *cli, int argc, char **argv);
int	 cmd_wait(struct cli *cli, int argc, char **argv);
int	 cmd_output(struct cli *cli, int argc, char **argv);
int	 cmd_log(struct cli *cli, int argc, char **argv);
int	 cmd_events(struct cli *cli, int argc, char **argv);
int	 cmd_cancel(struct cli *cli, int argc, char **argv);

/* main.c */

/* The options every command accepts; see cli_opt_next(). */
#define CLI_OPT_URL		0x100
#define CLI_OPT_TOKEN		0x101
#define CLI_OPT_TOKEN_FILE	0x102
#define CLI_OPT_JSON		0x103
#define CLI_OPT_HELP		'h'
#define CLI_OPT_VERSION		0x104
/* Command options use ids from CLI_OPT_CMD upwards. */
#define CLI_OPT_CMD		0x200
#define CLI_GLOBAL_LONGOPTS						\
	{ "url",	required_argument,	NULL, CLI_OPT_URL },	\
	{ "token",	required_argument,	NULL, CLI_OPT_TOKEN },	\
	{ "token-file",	required_argument,	NULL, CLI_OPT_TOKEN_FILE }, \
	{ "json",	no_argument,		NULL, CLI_OPT_JSON },	\
	{ "help",	no_argument,		NULL, CLI_OPT_HELP },	\
	{ "version",	no_argument,		NULL, CLI_OPT_VERSION },	\
	{ NULL,		0,			NULL, 0 }

/* State shared by the commands. */
struct cli {
	const char	*cmd;		/* the command word, for messages */
	const char	*url;		/* API base URL */
	const char	*token;		/* --token, or NULL */
	const char	*token_file;	/* --token-file, or NULL */
	int		 json;		/* --json: print the server's JSON */
	struct client	*client;	/* made by cli_client() */
};

/*
 * Steps through a command's arguments (argv[0] is the command word) with
 * getopt_long and longopts, which must end with CLI_GLOBAL_LONGOPTS.  Takes
 * care of the global options itself; exits 0 for --help and --version and 2
 * on a usage error.  Returns a command option's id with *arg set to its
 * value, 1 with *arg set for each operand in order, or -1 at the end.
 */
int	 cli_opt_next(struct cli *cli, int argc, char **argv,
	    const struct option *longopts, char **arg);
/* Prints "kiln: <cmd>: <message>" and the usage hint; exits 2. */
void	 cli_usage_error(struct cli *cli, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3), noreturn));
/*
 * The API client, made on first use from --url and the token options.
 * Exits 2 when the token file cannot be read or the token is unusable.
 */
struct client *cli_client(struct cli *cli);
/*
 * Reads a whole file ("-": standard input) of at most max bytes into a
 * fresh buffer, NUL-terminated past *len, owned by the caller.  0 or
 * -errno (-EFBIG past max).
 */
int	 cli_file_read(const char *path, size_t max, uint8_t **out,
	    size_t *len);
/* Writes s to f, printing control characters as '?'. */
void	 cli_put_safe(FILE *f, const char *s);

#endif
